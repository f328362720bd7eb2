"""The front desk's intake, the information feedback register and liaison slips through the test client."""
from documents.audit import AuditEntry
from documents.feedback import FeedbackEntry, LiaisonSlip
from documents.staff import Staff
from tests.services_support import freeze_shanghai, request_context, separate_logins, shanghai  # noqa: F401
from tests.support import row_of


def chinese(username):
    Staff.objects(username=username).update_one(set__language="zh_Hans_CN")


def entry_payload(world, **overrides):
    data = {"community": str(world["A"].pk), "room": str(world["rooms"]["A"]["1-1-101"].pk),
            "resident_name": "", "resident_phone": "", "source": "staff",
            "passed_on_by": str(world["staff"]["housekeeper"].pk), "content": "管家反映：1-1-101门口灯不亮",
            "received_at": "2026-11-23 09:00"}
    data.update(overrides)
    return data


def slip_payload(entry, **overrides):
    data = {"community": str(entry.community.pk), "feedback": str(entry.pk), "complaint": "",
            "department": "engineering", "addressee": "__None", "matter": "请更换1-1-101门口灯泡", "due_at": ""}
    data.update(overrides)
    return data


def test_intake_sends_each_kind_to_its_register_with_the_room_preset(client_as, world):
    client = client_as("clerk")
    room = world["rooms"]["A"]["1-1-101"]
    page = client.get("/admin/intake/").get_data(as_text=True)
    assert "Internal feedback (passed on by our staff)" in page
    for kind, target in (("repair", "/admin/repairs/new/"), ("complaint", "/admin/complaints/new/"),
                         ("internal", "/admin/feedback/new/")):
        response = client.post("/admin/intake/", data={"classification": kind, "community": str(world["A"].pk),
                                                       "room_code": "1-1-101"})
        assert response.status_code == 302 and response.location == f"{target}?room={room.pk}"
    form = client.get(f"/admin/feedback/new/?room={room.pk}").get_data(as_text=True)
    assert "1-1-101" in form
    missing = client.post("/admin/intake/", data={"classification": "internal", "community": str(world["A"].pk),
                                                  "room_code": "9-9-999"}).get_data(as_text=True)
    assert "There is no room 9-9-999 in this community." in missing


def test_intake_in_chinese(client_as, world):
    chinese("clerk")
    page = client_as("clerk").get("/admin/intake/").get_data(as_text=True)
    assert "前台受理" in page and "内部信息反馈（公司员工反馈）" in page


def test_the_clerk_logs_feedback_issues_a_slip_and_the_housekeeper_signs_and_replies(client_as, world):
    freeze_shanghai(2026, 11, 23, 9, 5)
    clerk = client_as("clerk")
    assert clerk.post("/admin/feedback/new/", data=entry_payload(world)).status_code == 302
    entry = FeedbackEntry.objects.get()
    assert entry.registered_by.username == "clerk" and entry.answer_due_at == shanghai(2026, 11, 24, 9, 0)
    assert AuditEntry.objects(record_id=str(entry.pk), action="create").count() == 1
    details = clerk.get(f"/admin/feedback/details/?id={entry.pk}").get_data(as_text=True)
    assert "Issue a liaison slip" in details and "No liaison slip yet." in details
    response = clerk.post("/admin/liaison_slips/new/", data=slip_payload(entry))
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    slip = LiaisonSlip.objects.get()
    assert slip.issued_by.username == "clerk" and slip.reply_due_at == shanghai(2026, 11, 24, 9, 5)
    housekeeper = client_as("housekeeper")
    assert housekeeper.post(f"/admin/liaison_slips/step/sign/?id={slip.pk}", data={}).status_code == 302
    assert slip.reload().signed_by.username == "housekeeper"
    assert housekeeper.post(f"/admin/liaison_slips/step/reply/?id={slip.pk}",
                            data={"reply": "已更换灯泡"}).status_code == 302
    assert slip.reload().state == "replied"
    details = clerk.get(f"/admin/feedback/details/?id={entry.pk}").get_data(as_text=True)
    assert slip.number in details and "已更换灯泡" in details and "housekeeper A" in details
    assert clerk.post(f"/admin/feedback/step/answer/?id={entry.pk}",
                      data={"answer": "已安排维修，灯已修好"}).status_code == 302
    assert entry.reload().state == "answered"


def test_a_slip_without_department_or_with_a_past_time_is_refused_on_its_fields_in_both_languages(client_as, world):
    freeze_shanghai(2026, 11, 23, 9, 5)
    clerk = client_as("clerk")
    clerk.post("/admin/feedback/new/", data=entry_payload(world))
    entry = FeedbackEntry.objects.get()
    bad = slip_payload(entry, department="", due_at="2026-11-23 08:00")
    page = clerk.post("/admin/liaison_slips/new/", data=bad).get_data(as_text=True)
    assert "Choose the department the slip goes to." in page
    assert "The reply time must be after the slip is issued (2026-11-23 09:05)." in page
    chinese("clerk")
    page = client_as("clerk").post("/admin/liaison_slips/new/", data=bad).get_data(as_text=True)
    assert "请选择联系单发往的部门。" in page and "回复时间必须晚于联系单发出时间（2026-11-23 09:05）。" in page
    assert LiaisonSlip.objects.count() == 0


def test_nobody_signs_for_the_addressee_and_the_slip_prints_with_its_signature_line(client_as, world):
    freeze_shanghai(2026, 11, 23, 9, 5)
    clerk = client_as("clerk")
    clerk.post("/admin/feedback/new/", data=entry_payload(world))
    entry = FeedbackEntry.objects.get()
    clerk.post("/admin/liaison_slips/new/",
               data=slip_payload(entry, addressee=str(world["staff"]["housekeeper"].pk), due_at="2026-11-23 12:00"))
    slip = LiaisonSlip.objects.get()
    assert slip.reply_due_at == shanghai(2026, 11, 23, 12, 0)
    refused = clerk.post(f"/admin/liaison_slips/step/sign/?id={slip.pk}", data={}).get_data(as_text=True)
    assert "Only housekeeper A, to whom the slip is addressed, signs for it." in refused
    assert slip.reload().state == "issued"
    printed = clerk.get(f"/admin/liaison_slips/print/?id={slip.pk}").get_data(as_text=True)
    assert "工作联系单" in printed and "Liaison slip" in printed and "签收人（签名）" in printed
    assert "Signed for by (signature)" in printed and "2026-11-23 12:00" in printed and "工程部" in printed
    assert client_as("clerk_b").get(f"/admin/liaison_slips/print/?id={slip.pk}").status_code == 404


def test_the_register_exports_to_xlsx_and_lists_in_chinese(client_as, world):
    freeze_shanghai(2026, 11, 23, 9, 5)
    chinese("clerk")
    clerk = client_as("clerk")
    clerk.post("/admin/feedback/new/", data=entry_payload(world, major="y"))
    entry = FeedbackEntry.objects.get()
    assert entry.major and entry.answer_due_at == shanghai(2026, 11, 25, 9, 0)
    row = row_of(clerk.get("/admin/feedback/").get_data(as_text=True), entry.number)
    assert "待答复" in row and "重大事项" not in row
    export = clerk.get("/admin/feedback/export/xlsx/")
    assert export.status_code == 200 and export.data[:2] == b"PK"
    answer = clerk.post(f"/admin/feedback/step/answer/?id={entry.pk}", data={"answer": "x"}).get_data(as_text=True)
    assert "重大事项须先上报管理层，再答复住户。" in answer and entry.reload().state == "open"
    other = client_as("clerk_b").get(f"/admin/feedback/details/?id={entry.pk}", follow_redirects=True)
    assert entry.number not in other.get_data(as_text=True)          # another community's record


def relay_payload(world, complaint, **overrides):
    data = {"complaint": str(complaint.pk), "received_by": str(world["staff"]["housekeeper"].pk),
            "received_at": "2026-11-23 09:00", "relayed_at": "2026-11-23 10:30", "raised_to": "", "head": ""}
    data.update(overrides)
    return data


def test_a_relay_is_recorded_flagged_late_and_handled_line_by_line(client_as, world):
    from documents.feedback import ComplaintRelay
    from tests.services_support import make_complaint
    freeze_shanghai(2026, 11, 23, 11, 0)
    complaint = make_complaint(world, channel="phone")
    clerk = client_as("clerk")
    response = clerk.post("/admin/complaint_relays/new/", data=relay_payload(world, complaint))
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    relay = ComplaintRelay.objects.get()
    assert relay.relay_late and relay.received_at == shanghai(2026, 11, 23, 9, 0)
    assert "Relayed late" in row_of(clerk.get("/admin/complaint_relays/").get_data(as_text=True), complaint.number)
    assert clerk.post(f"/admin/complaint_relays/step/write_line/?id={relay.pk}",
                      data={"text": "已联系保洁主管，今天清理"}).status_code == 302
    details = clerk.get(f"/admin/complaint_relays/details/?id={relay.pk}").get_data(as_text=True)
    lines = details[details.index('id="handling-lines"'):]
    assert "clerk A" in lines and "2026-11-23 11:00" in lines and "已联系保洁主管" in lines
    assert f"/admin/liaison_slips/new/?url=" in details and f"complaint={complaint.pk}" in details


def test_a_relay_before_the_reception_is_refused_on_its_field_in_both_languages(client_as, world):
    from documents.feedback import ComplaintRelay
    from tests.services_support import make_complaint
    freeze_shanghai(2026, 11, 23, 11, 0)
    complaint = make_complaint(world, channel="letter")
    bad = relay_payload(world, complaint, relayed_at="2026-11-23 08:30")
    page = client_as("clerk").post("/admin/complaint_relays/new/", data=bad).get_data(as_text=True)
    field = page[page.index('name="relayed_at"'):]
    assert "The relay cannot come before the complaint was received (2026-11-23 09:00)." in field[:1500]
    chinese("clerk")
    page = client_as("clerk").post("/admin/complaint_relays/new/", data=bad).get_data(as_text=True)
    assert "转达时间不能早于接到投诉的时间（2026-11-23 09:00）。" in page
    assert ComplaintRelay.objects.count() == 0
