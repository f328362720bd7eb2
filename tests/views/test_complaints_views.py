"""Complaints, visits and the handover page through the test client."""
import re

from app import clock
from documents.audit import AuditEntry
from documents.agenda import sweep
from documents.complaints import Complaint
from documents.handover import Handover
from documents.repairs import Repair
from documents.visits import Visit
from tests.services_support import (completed_repair, freeze_shanghai, local_now, make_complaint,  # noqa: F401
                                    make_repair, separate_logins, shanghai)
from tests.support import english_request, filter_arg, row_of


CASE_ANALYSIS = "保洁排班漏了3号楼：已调整排班并培训"


def complaint_payload(world, **overrides):
    data = {"community": str(world["A"].pk), "kind": "complaint", "channel": "phone",
            "room": str(world["rooms"]["A"]["1-1-101"].pk), "resident_name": "", "resident_phone": "",
            "complaint_class": "2", "content": "楼上漏水到我家天花板", "received_at": "2026-03-11 23:50"}
    data.update(overrides)
    return data


def test_clerk_registers_a_class_2_complaint_late_in_the_evening(client_as, world):
    freeze_shanghai(2026, 3, 11, 23, 52)
    client = client_as("clerk")
    response = client.post("/admin/complaints/new/", data=complaint_payload(world))
    assert response.status_code == 302, response.data.decode()[-1500:]
    complaint = Complaint.objects.get()
    assert complaint.received_at == shanghai(2026, 3, 11, 23, 50)
    assert complaint.handle_due_at == shanghai(2026, 3, 11, 23, 59, 59)
    row = row_of(client.get("/admin/complaints/").data.decode(), complaint.number)
    assert "due in 7 min" in row and "Class 2" in row


def test_suggestion_needs_no_class_but_a_complaint_does(client_as, world):
    client = client_as("clerk")
    missing = client.post("/admin/complaints/new/", data=complaint_payload(world, complaint_class=""))
    assert "Classify the complaint" in missing.data.decode() and Complaint.objects.count() == 0
    ok = client.post("/admin/complaints/new/", data=complaint_payload(world, kind="suggestion", complaint_class=""))
    assert ok.status_code == 302 and Complaint.objects.get().number.startswith("JY")


def test_supervisor_assigns_and_clerk_may_not(app, client_as, world):
    with english_request(app):
        complaint = make_complaint(world)
    clerk = client_as("clerk")
    assert "step-assign" not in row_of(clerk.get("/admin/complaints/").data.decode(), complaint.number)
    payload = {"department": "engineering", "handler": str(world["staff"]["housekeeper"].pk), "note": "今天处理"}
    assert clerk.post(f"/admin/complaints/step/assign/?id={complaint.pk}", data=payload).status_code == 403
    supervisor = client_as("supervisor")
    form = supervisor.get(f"/admin/complaints/step/assign/?id={complaint.pk}").data.decode()
    assert "housekeeper A" in form and "clerk B" not in form        # handlers of this community only
    assert supervisor.post(f"/admin/complaints/step/assign/?id={complaint.pk}", data=payload).status_code == 302
    complaint.reload()
    assert complaint.state == "assigned" and complaint.handler.username == "housekeeper"
    # the housekeeper now records the handling from their own list
    housekeeper = client_as("housekeeper")
    assert "step-handle" in row_of(housekeeper.get("/admin/complaints/").data.decode(), complaint.number)
    assert housekeeper.post(f"/admin/complaints/step/handle/?id={complaint.pk}",
                            data={"result": "已更换灯管", "measures": "每周巡查"}).status_code == 302
    assert complaint.reload().state == "handled"


def test_a_handler_from_another_community_is_refused(app, client_as, world):
    with english_request(app):
        complaint = make_complaint(world)
    response = client_as("supervisor").post(f"/admin/complaints/step/assign/?id={complaint.pk}", data={
        "department": "engineering", "handler": str(world["staff"]["clerk_b"].pk)})
    assert response.status_code == 200 and "is-invalid" in response.data.decode(), response.data.decode()[-3000:]
    assert complaint.reload().state == "received"


def test_escalation_shows_in_lists_and_can_be_filtered(app, client_as, world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    with english_request(app):
        late = make_complaint(world, complaint_class=1)
        fresh = make_complaint(world, complaint_class=3)
        freeze_shanghai(2026, 3, 6, 9, 0)
        old = make_complaint(world, complaint_class=3)           # due 9 March, senior management 11th
    clock.freeze(shanghai(2026, 3, 11, 14, 0))
    client = client_as("supervisor")
    page = client.get("/admin/complaints/").data.decode()
    assert "Escalated" not in page                               # looking at a list escalates nothing
    sweep()                                                      # the agenda does, at the due moments
    page = client.get("/admin/complaints/").data.decode()
    assert "Escalated: Supervisor" in row_of(page, late.number)
    assert "Escalated: Senior management" in row_of(page, old.number)
    assert "Escalated" not in row_of(page, fresh.number)
    escalation = filter_arg(app, "complaints", name="Escalation")
    to_manager = client.get(f"/admin/complaints/?{escalation}=2").data.decode()
    assert old.number in to_manager and late.number not in to_manager
    details = client.get(f"/admin/complaints/details/?id={late.pk}").data.decode()
    assert "Escalated" in details and "Deadline passed" in details   # in the record's history


def test_log_visit_from_the_complaint_row_closes_it(app, client_as, world):
    with english_request(app):
        complaint = make_complaint(world)
        complaint.assign(world["staff"]["supervisor"], "cleaning")
        complaint.handle(world["staff"]["clerk"], "已清理")
    client = client_as("clerk")
    # a class 1 complaint is closed only once its case analysis is written: no visit closes it before
    assert "visits/log/" not in row_of(client.get("/admin/complaints/").data.decode(), complaint.number)
    assert "closed only once its case analysis is written" in \
        client.get(f"/admin/visits/log/?target=complaint&id={complaint.pk}").data.decode()
    Complaint.objects(pk=complaint.pk).update_one(set__case_analysis="楼道保洁排班漏了3号楼，已调整排班")
    row = row_of(client.get("/admin/complaints/").data.decode(), complaint.number)
    link = re.search(r'href="([^"]*visits/log/[^"]*)"', row).group(1).replace("&amp;", "&")
    response = client.post(link, data={"method": "phone", "visited_at": local_now(),
                                       "resident_said": "满意", "satisfaction": "4"})
    assert response.status_code == 302
    assert complaint.reload().state == "closed"
    assert Visit.objects.get().complaint.pk == complaint.pk


def test_log_visit_from_the_archive_row_and_follow_up(app, client_as, world):
    household = world["hh_a"]
    client = client_as("housekeeper")
    archive_list = client.get("/admin/households/").data.decode()
    row = row_of(archive_list, "1-1-101")
    link = re.search(r'href="([^"]*visits/log/[^"]*)"', row).group(1).replace("&amp;", "&")
    assert "target=household" in link
    form = client.get(link).data.decode()
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', form).group(1)
    payload = {"method": "on_site", "visited_at": local_now(),
               "resident_said": "阳台门关不严", "satisfaction": "3", "follow_up_needed": "y",
               "follow_up_kind": "repair", "follow_up_note": "阳台门需要调整", "submission_key": key}
    assert client.post(link, data=payload).status_code == 302
    again = client.post(link, data=payload, follow_redirects=True)        # the same form sent twice
    assert "already been saved" in again.data.decode()
    visit = Visit.objects.get()
    assert visit.household.pk == household.pk and visit.kind == "proactive"
    repair = Repair.objects.get()
    assert repair.room.pk == household.room.pk and repair.description == "阳台门需要调整"
    timeline = client.get(f"/admin/households/details/?id={household.pk}").data.decode()
    assert "阳台门关不严" in timeline and repair.number in timeline
    # roles without visits do not get the button, and cannot post
    assert "log-visit" not in client_as("cashier").get("/admin/households/").data.decode()
    assert client_as("cashier").post(link, data=payload).status_code == 403
    # another community's archive is not found
    other = f"/admin/visits/log/?target=household&id={world['hh_b'].pk}"
    assert client.get(other).status_code == 404


def test_visit_form_errors_stay_on_the_form(app, client_as, world):
    with english_request(app):
        repair = completed_repair(world)
        repair.sign_off(world["staff"]["clerk"], 5, paper_order_no="P-001")
    client = client_as("clerk")
    link = f"/admin/visits/log/?target=repair&id={repair.pk}"
    response = client.post(link, data={"method": "phone", "visited_at": local_now(),
                                       "resident_said": "还行"})
    assert response.status_code == 200 and "satisfaction (1–5)" in response.data.decode()
    assert "还行" in response.data.decode() and repair.reload().state == "signed_off"
    early = completed_repair  # noqa: F841
    with english_request(app):
        reported = make_repair(world, room="1-1-102")
    refused = client.post(f"/admin/visits/log/?target=repair&id={reported.pk}", data={
        "method": "phone", "visited_at": local_now(), "resident_said": "x",
        "satisfaction": "5"})
    assert "is not possible" in refused.data.decode() and Visit.objects.count() == 0


def test_visits_list_and_export(app, client_as, world):
    from documents.visits import log_visit
    with english_request(app):
        log_visit(world["hh_a"], world["staff"]["clerk"], resident_said="一切都好", satisfaction=5)
        log_visit(world["hh_b"], world["staff"]["clerk_b"], resident_said="乙小区的走访", satisfaction=4)
    client = client_as("clerk")
    page = client.get("/admin/visits/").data.decode()
    assert "1-1-101" in page and "乙小区" not in page
    export = client.get("/admin/visits/export/csv/").get_data(as_text=True)
    assert "一切都好" in export and "乙小区的走访" not in export
    assert client.get("/admin/visits/new/").status_code in (302, 403)   # visits come from "Log visit" only
    assert Visit.objects.count() == 2


def test_case_analysis_only_for_class_1(app, client_as, world):
    with english_request(app):
        c2 = make_complaint(world, complaint_class=2)
    client = client_as("supervisor")
    data = complaint_payload(world, received_at=c2.received_at.strftime("%Y-%m-%d %H:%M"),
                             case_analysis="培训用", record_version=str(c2.version))
    response = client.post(f"/admin/complaints/edit/?id={c2.pk}", data=data)
    assert "Only class 1 complaints carry a case analysis" in response.data.decode()
    assert c2.reload().case_analysis is None


def test_handover_page_lists_open_items_and_is_acknowledged(app, client_as, world):
    freeze_shanghai(2026, 3, 11, 17, 0)
    with english_request(app):
        late = make_repair(world, appointment_at=shanghai(2026, 3, 11, 16, 0))
        complaint = make_complaint(world, complaint_class=3)
        closed = completed_repair(world, room="1-1-102")
        closed.close(world["staff"]["supervisor"], "unreachable")
    sweep()                                                  # the agenda finds the late arrival
    clerk = client_as("clerk")
    page = clerk.get("/admin/handover/").data.decode()
    open_table = page[page.index('id="open-items"'):page.index("</table>", page.index('id="open-items"'))]
    assert late.number in open_table and closed.number not in open_table
    assert "table-danger" in row_of(open_table, late.number)
    assert ">1 late<" in page                               # the tab of late work orders
    complaints = clerk.get("/admin/handover/?kind=complaint").data.decode()
    complaints = complaints[complaints.index('id="open-items"'):]
    assert complaint.number in complaints and late.number not in complaints[:complaints.index("</table>")]
    response = clerk.post("/admin/handover/", data={"community": str(world["A"].pk), "shift": "day",
                                                     "notes": "2栋电梯维保，明早复查"})
    assert response.status_code == 302
    handover = Handover.objects.get()
    assert [i.number for i in handover.items] == [late.number, complaint.number]
    # the writer sees no acknowledge button; the next shift does, once
    assert "Acknowledge</button>" not in clerk.get("/admin/handover/").data.decode()
    night = client_as("supervisor")
    assert "Acknowledge</button>" in night.get("/admin/handover/").data.decode()
    night.post("/admin/handover/acknowledge/", data={"id": str(handover.pk)})
    again = client_as("manager").post("/admin/handover/acknowledge/", data={"id": str(handover.pk)},
                                      follow_redirects=True)
    assert "already acknowledged" in again.data.decode()
    assert handover.reload().acknowledged_by.username == "supervisor"
    assert AuditEntry.objects(action="acknowledge").count() == 1
    assert client_as("cashier").get("/admin/handover/").status_code == 403
    assert client_as("clerk_b").post("/admin/handover/acknowledge/", data={"id": str(handover.pk)}).status_code == 404


def test_a_housekeeper_handles_only_the_complaints_given_to_them(app, client_as, world):
    with english_request(app):
        theirs = make_complaint(world)
        theirs.assign(world["staff"]["supervisor"], "cleaning", world["staff"]["housekeeper"])
        others = make_complaint(world, room="1-1-102")
        others.assign(world["staff"]["supervisor"], "cleaning", world["staff"]["manager"])
    housekeeper = client_as("housekeeper")
    listing = housekeeper.get("/admin/complaints/").data.decode()
    assert "step-handle" in row_of(listing, theirs.number)
    assert "step-handle" not in row_of(listing, others.number)
    page = housekeeper.get(f"/admin/complaints/step/handle/?id={others.pk}").data.decode()
    assert "You may only record the handling of complaints given to you." in page
    assert 'id="step-form"' not in page
    refused = housekeeper.post(f"/admin/complaints/step/handle/?id={others.pk}", data={"result": "处理了"})
    assert refused.status_code == 200 and others.reload().state == "assigned"
    assert AuditEntry.objects(record_id=str(others.pk), action="handle").count() == 0


def test_reassigning_starts_from_the_current_handler(app, client_as, world):
    with english_request(app):
        complaint = make_complaint(world)
        complaint.assign(world["staff"]["supervisor"], "security", world["staff"]["housekeeper"], "先看监控")
    form = client_as("supervisor").get(f"/admin/complaints/step/assign/?id={complaint.pk}").data.decode()
    assert re.search(r'<option selected value="security">', form)
    assert re.search(rf'<option selected value="{world["staff"]["housekeeper"].pk}">', form)
    response = client_as("supervisor").post(f"/admin/complaints/step/assign/?id={complaint.pk}", data={
        "department": "cleaning", "handler": "", "note": ""})
    assert response.status_code == 302
    complaint.reload()
    assert (complaint.state, complaint.department, complaint.handler) == ("assigned", "cleaning", None)
    assert AuditEntry.objects(record_id=str(complaint.pk), action="assign").count() == 2


def test_the_handover_page_acknowledges_through_the_step(app, client_as, world):
    from documents.handover import write_handover
    with english_request(app):
        handover = write_handover(world["A"], world["staff"]["clerk"], "day", "交接")
    page = client_as("housekeeper").get("/admin/handover/").data.decode()
    assert "Acknowledge</button>" in page and "Not acknowledged yet" not in page
    client_as("housekeeper").post("/admin/handover/acknowledge/", data={"id": str(handover.pk)})
    assert handover.reload().state == "acknowledged"
    page = client_as("manager").get("/admin/handover/").data.decode()
    assert "Acknowledged by housekeeper A" in page and "Acknowledge</button>" not in page
    assert client_as("cashier").post("/admin/handover/acknowledge/", data={"id": str(handover.pk)}).status_code == 403


def test_service_step_pages_in_chinese_show_no_untranslated_string(app, client_as, world):
    from documents.handover import write_handover
    from documents.staff import Staff
    from tests.test_i18n import ENGLISH_IDS, visible_texts
    freeze_shanghai(2026, 3, 11, 9, 0)
    with english_request(app):
        repair = completed_repair(world)
        reported = make_repair(world, room="1-1-102")
        complaint = make_complaint(world)
        write_handover(world["A"], world["staff"]["clerk"], "day", "交接")
    Staff.objects(username="supervisor").update(set__language="zh_Hans_CN")
    client = client_as("supervisor")
    urls = [f"/admin/repairs/details/?id={repair.pk}", f"/admin/repairs/step/sign_off/?id={repair.pk}",
            f"/admin/repairs/step/close/?id={repair.pk}", f"/admin/repairs/step/dispatch/?id={reported.pk}",
            f"/admin/repairs/step/complete/?id={reported.pk}",                 # refused: says why, in Chinese
            f"/admin/complaints/step/assign/?id={complaint.pk}", f"/admin/complaints/details/?id={complaint.pk}",
            f"/admin/complaints/step/handle/?id={complaint.pk}", f"/admin/visits/log/?target=repair&id={repair.pk}",
            "/admin/handover/"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.data.decode()
        leftovers = sorted(msgid for msgid in ENGLISH_IDS if msgid in visible_texts(page))
        assert leftovers == [], (url, leftovers)
    refused = client.get(f"/admin/repairs/step/complete/?id={reported.pk}").data.decode()
    assert "维修人员须在现场" in refused


# --- browser review 2026-11-27: the visit form and the handover page ---

def handled_complaint(app, world, *at):
    freeze_shanghai(*at)
    with english_request(app):
        complaint = make_complaint(world, case_analysis=CASE_ANALYSIS)     # class 1: closed only with it
        complaint.assign(world["staff"]["supervisor"], "cleaning")
        complaint.handle(world["staff"]["clerk"], "已处理")
    return complaint


def test_a_visit_dated_before_the_handling_is_refused_on_the_field(app, client_as, world):
    complaint = handled_complaint(app, world, 2026, 11, 27, 15, 48, 20)
    clock.freeze(shanghai(2026, 11, 28, 9, 0))
    link = f"/admin/visits/log/?target=complaint&id={complaint.pk}"
    response = client_as("clerk").post(link, data={"method": "phone", "visited_at": "2026-11-27T09:00",
                                                   "resident_said": "满意", "satisfaction": "5"})
    page = response.data.decode()
    field = page[page.index('name="visited_at"'):]
    assert "not before 2026-11-27 15:48." in field[:900] and "“Handled on”" in field[:900]
    assert complaint.reload().state == "handled" and Visit.objects.count() == 0


def test_the_visit_form_shows_every_problem_at_once(app, client_as, world):
    complaint = handled_complaint(app, world, 2026, 3, 11, 9, 0)
    link = f"/admin/visits/log/?target=complaint&id={complaint.pk}"
    page = client_as("clerk").post(link, data={
        "method": "phone", "visited_at": "2026-03-12T09:00", "resident_said": "", "satisfaction": "",
        "follow_up_needed": "y", "follow_up_kind": "", "follow_up_note": ""}).data.decode()
    for message in ("This time is in the future.", "A return visit records the resident&#39;s satisfaction (1–5).",
                    "Choose whether the follow-up is a repair or a complaint.",
                    "Describe what has to be followed up.", "This field is required."):
        assert message in page, message
    assert complaint.reload().state == "handled" and Visit.objects.count() == 0


def test_the_visit_time_says_it_is_the_communitys_local_time(app, client_as, world):
    complaint = handled_complaint(app, world, 2026, 3, 11, 9, 0)
    page = client_as("clerk").get(f"/admin/visits/log/?target=complaint&id={complaint.pk}").data.decode()
    field = page[page.index('name="visited_at"'):]
    assert "Local time of the community" in field[:400]


def test_the_visit_page_of_a_closed_record_says_why_instead_of_a_form(app, client_as, world):
    complaint = handled_complaint(app, world, 2026, 3, 11, 9, 0)
    with english_request(app):
        complaint.close(world["staff"]["supervisor"], "unreachable")
    page = client_as("clerk").get(f"/admin/visits/log/?target=complaint&id={complaint.pk}").data.decode()
    assert 'id="visit-refusal"' in page and "is not possible" in page and 'id="visit-form"' not in page


def test_the_handover_hint_is_true_on_a_phone_too(app, client_as, world):
    with english_request(app):
        make_repair(world)
    page = client_as("clerk").get("/admin/handover/").data.decode()
    assert "The counts and the first 100 open items, the late ones first, are copied into the handover." in page
    assert "on the left" not in page
    assert 'class="item-summary"' in page                 # the summary goes under the item on a phone
