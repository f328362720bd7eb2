"""Repairs through the test client: register, row buttons per role, steps, print, photos, scoping."""
import io
import re

from documents.audit import AuditEntry
from documents.repairs import RainDay, Repair, RepairPhoto
from tests.services_support import (completed_repair, freeze_shanghai, make_repair, separate_logins,  # noqa: F401
                                    shanghai)
from tests.support import PNG, english_request, filter_arg, row_of


def register_payload(world, **overrides):
    data = {"community": str(world["A"].pk), "source": "phone", "location": "room",
            "room": str(world["rooms"]["A"]["1-1-101"].pk), "public_area": "", "resident_name": "",
            "resident_phone": "13800138000", "category": "plumbing", "urgency": "urgent",
            "description": "卫生间地漏堵塞", "charge_note": "人工费30元", "appointment_at": "2026-03-11 14:30"}
    data.update(overrides)
    return data


def test_clerk_registers_a_repair_in_local_time_and_it_is_audited(app, client_as, world):
    freeze_shanghai(2026, 3, 11, 10, 0)
    client = client_as("clerk")
    response = client.post("/admin/repairs/new/", data=register_payload(world))
    assert response.status_code == 302, response.data.decode()[-2000:]
    repair = Repair.objects.get()
    assert repair.number == "BX20260311-001" and repair.state == "reported"
    assert repair.appointment_at == shanghai(2026, 3, 11, 14, 30)          # stored in UTC
    assert repair.arrival_due_at == shanghai(2026, 3, 11, 14, 45)
    assert repair.household.pk == world["hh_a"].pk and repair.resident_name == "张伟"
    assert repair.registered_by.username == "clerk"
    assert AuditEntry.objects(record_id=str(repair.pk), action="create").count() == 1
    listing = client.get("/admin/repairs/").data.decode()
    assert "2026-03-11 14:30" in row_of(listing, repair.number)            # shown in local time again
    edit = client.get(f"/admin/repairs/edit/?id={repair.pk}").data.decode()
    assert 'value="2026-03-11 14:30' in edit


def test_registration_errors_show_on_the_field(client_as, world):
    client = client_as("clerk")
    response = client.post("/admin/repairs/new/", data=register_payload(world, location="public", room=""))
    assert response.status_code == 200
    assert "Choose the building of the public area." in response.data.decode()
    assert Repair.objects.count() == 0


def test_row_buttons_follow_role_and_state(app, client_as, world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    with english_request(app):
        reported = make_repair(world)
        done = completed_repair(world, room="1-1-102")
    clerk = client_as("clerk").get("/admin/repairs/").data.decode()
    assert "step-dispatch" in row_of(clerk, reported.number)
    assert "step-sign_off" not in row_of(clerk, reported.number)
    assert "log-visit" not in row_of(clerk, reported.number)
    assert "step-sign_off" in row_of(clerk, done.number)
    assert "log-visit" not in row_of(clerk, done.number)                    # the resident signs off first
    assert "step-close" not in row_of(clerk, done.number)                   # closing is the supervisor's
    supervisor = client_as("supervisor").get("/admin/repairs/").data.decode()
    assert "step-close" in row_of(supervisor, done.number) and "step-cancel" in row_of(supervisor, reported.number)
    housekeeper = client_as("housekeeper").get("/admin/repairs/").data.decode()
    assert "step-dispatch" not in row_of(housekeeper, reported.number)
    assert "step-sign_off" in row_of(housekeeper, done.number)
    cashier = client_as("cashier").get("/admin/repairs/").data.decode()
    assert "step-" not in row_of(cashier, done.number) and "log-visit" not in row_of(cashier, done.number)
    assert client_as("culture").get("/admin/repairs/").status_code == 403


def test_dispatch_step_applies_once_and_refuses_illegal_steps(app, client_as, world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    with english_request(app):
        repair = make_repair(world)
    client = client_as("clerk")
    form = client.get(f"/admin/repairs/step/dispatch/?id={repair.pk}").data.decode()
    assert 'name="technician"' in form and 'value="2026-03-11 09:00"' in form    # appointment pre-filled, local
    payload = {"technician": "王师傅", "technician_phone": "13500000000", "appointment_at": "2026-03-11T10:00"}
    assert client.post(f"/admin/repairs/step/dispatch/?id={repair.pk}", data=payload).status_code == 302
    repair.reload()
    assert repair.state == "dispatched" and repair.appointment_at == shanghai(2026, 3, 11, 10, 0)
    again = client.post(f"/admin/repairs/step/dispatch/?id={repair.pk}", data=payload, follow_redirects=True)
    assert "is not possible" in again.data.decode()
    assert AuditEntry.objects(record_id=str(repair.pk), action="dispatch").count() == 1
    early = client.post(f"/admin/repairs/step/sign_off/?id={repair.pk}",
                        data={"signed_by": "张伟", "satisfaction": "5"}, follow_redirects=True)
    assert "(Sign off) is not possible" in early.data.decode() and repair.reload().state == "dispatched"


def test_steps_check_role_and_community_server_side(app, client_as, world):
    with english_request(app):
        repair = make_repair(world)
    payload = {"technician": "王师傅", "appointment_at": "2026-03-11T10:00"}
    assert client_as("housekeeper").post(f"/admin/repairs/step/dispatch/?id={repair.pk}",
                                         data=payload).status_code == 403
    assert client_as("clerk_b").post(f"/admin/repairs/step/dispatch/?id={repair.pk}",
                                     data=payload).status_code == 404
    assert client_as("clerk").get("/admin/repairs/step/dispatch/?id=not-an-id").status_code == 404
    assert client_as("clerk").get(f"/admin/repairs/step/explode/?id={repair.pk}").status_code == 404
    other = client_as("clerk_b")
    assert repair.number not in other.get("/admin/repairs/").data.decode()
    assert other.get(f"/admin/repairs/print/?id={repair.pk}").status_code == 404
    assert repair.number not in other.get("/admin/repairs/export/csv/").get_data(as_text=True)
    assert repair.reload().state == "reported"


def test_complete_with_materials_shows_exact_totals(app, client_as, world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    clerk = world["staff"]["clerk"]
    with english_request(app):
        repair = make_repair(world)
        repair.dispatch(clerk, "王师傅")
        repair.arrive(clerk)
    client = client_as("clerk")
    data = {"work_done": "更换管件", "labour": "30",
            "materials-0-name": "垫片", "materials-0-quantity": "3", "materials-0-unit_price": "0.10",
            "materials-1-name": "PPR管", "materials-1-spec": "DN20", "materials-1-quantity": "1.5",
            "materials-1-unit_price": "12.35"}
    response = client.post(f"/admin/repairs/step/complete/?id={repair.pk}", data=data)
    assert response.status_code == 302, response.data.decode()[-1500:]
    repair.reload()
    assert str(repair.materials_total) == "18.83" and str(repair.total) == "48.83"
    details = client.get(f"/admin/repairs/details/?id={repair.pk}").data.decode()
    assert "48.83" in details and "18.53" in details and "0.30" in details
    bad = client.post(f"/admin/repairs/step/complete/?id={repair.pk}",
                      data={"work_done": "x", "materials-0-name": "阀门"})   # already completed anyway
    assert bad.status_code in (200, 302)
    assert str(repair.reload().total) == "48.83"


def test_material_line_without_price_is_refused_on_the_form(app, client_as, world):
    clerk = world["staff"]["clerk"]
    with english_request(app):
        repair = make_repair(world)
        repair.dispatch(clerk, "王师傅")
        repair.arrive(clerk)
    response = client_as("clerk").post(f"/admin/repairs/step/complete/?id={repair.pk}",
                                       data={"work_done": "x", "materials-0-name": "阀门",
                                             "materials-0-quantity": "1"})
    assert response.status_code == 200
    assert "Line 1, Unit price: Enter the unit price." in response.data.decode()
    assert repair.reload().state == "arrived"


def test_log_visit_from_the_repair_row_closes_it(app, client_as, world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    with english_request(app):
        repair = completed_repair(world)
        repair.sign_off(world["staff"]["clerk"], 5, paper_order_no="P-001")
    client = client_as("clerk")
    listing = client.get("/admin/repairs/").data.decode()
    link = re.search(r'href="([^"]*visits/log/[^"]*)"', row_of(listing, repair.number)).group(1).replace("&amp;", "&")
    form = client.get(link).data.decode()
    assert repair.number in form and 'value="张伟"' in form
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', form).group(1)
    response = client.post(link, data={"method": "phone", "visited_at": "2026-03-11T09:00",
                                       "resident_name": "张伟", "resident_said": "不漏了，谢谢",
                                       "satisfaction": "5", "submission_key": key})
    assert response.status_code == 302 and "/admin/repairs/" in response.headers["Location"]
    repair.reload()
    assert repair.state == "closed" and repair.visit_satisfaction == 5
    assert "log-visit" not in row_of(client.get("/admin/repairs/").data.decode(), repair.number)
    details = client.get(f"/admin/repairs/details/?id={repair.pk}").data.decode()
    assert "不漏了，谢谢" in details


def test_printable_work_order_in_both_languages(app, client_as, world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    with english_request(app):
        repair = completed_repair(world)
    page = client_as("clerk").get(f"/admin/repairs/print/?id={repair.pk}").data.decode()
    assert "维修单" in page and "Repair work order" in page
    assert "单价" in page and "Unit price" in page and "size: A4" in page
    assert "55.50" in page and "2026-03-11 09:00" in page and repair.number in page


def test_first_rain_from_the_list_page(app, client_as, world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    with english_request(app):
        leak = completed_repair(world, urgency="leak")
    client = client_as("clerk")
    assert "first-rain-form" in client.get("/admin/repairs/").data.decode()
    assert "first-rain-form" not in client_as("housekeeper").get("/admin/repairs/").data.decode()
    response = client.post("/admin/repairs/first-rain/", data={"community": str(world["A"].pk), "day": "2026-03-11"},
                           follow_redirects=True)
    assert "1 leak repairs" in response.data.decode()
    assert leak.reload().visit_due_at == shanghai(2026, 3, 11, 23, 59, 59)
    assert client_as("housekeeper").post("/admin/repairs/first-rain/", data={
        "community": str(world["A"].pk), "day": "2026-03-11"}).status_code == 403
    assert client_as("clerk_b").post("/admin/repairs/first-rain/", data={
        "community": str(world["A"].pk), "day": "2026-03-11"}).status_code == 404
    assert RainDay.objects.count() == 1


def test_due_filter_lists_late_work_orders(app, client_as, world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    clerk = world["staff"]["clerk"]
    with english_request(app):
        late = make_repair(world, appointment_at=shanghai(2026, 3, 11, 8, 0))
        late.dispatch(clerk, "王师傅")
        fine = make_repair(world, room="1-1-102", appointment_at=shanghai(2026, 3, 11, 16, 0))
        fine.dispatch(clerk, "李师傅")
    client = client_as("clerk")
    page = client.get("/admin/repairs/").data.decode()
    assert "late by 45 min" in row_of(page, late.number) and "due in 7 h 15 min" in row_of(page, fine.number)
    deadline = filter_arg(app, "repairs", name="Deadline")
    overdue = client.get(f"/admin/repairs/?{deadline}=overdue").data.decode()
    assert late.number in overdue and fine.number not in overdue
    today = client.get(f"/admin/repairs/?{deadline}=today").data.decode()
    assert late.number in today and fine.number in today


def test_photos_uploaded_and_served_only_in_the_community(app, client_as, world):
    with english_request(app):
        repair = make_repair(world)
    client = client_as("clerk")
    response = client.post(f"/admin/repairs/photo/add/?id={repair.pk}", data={
        "photos": [(io.BytesIO(PNG), "leak.png"), (io.BytesIO(b"MZ\x90\x00evil"), "virus.exe")]},
        content_type="multipart/form-data", follow_redirects=True)
    assert "virus.exe is not a JPEG" in response.data.decode()
    photo = RepairPhoto.objects.get()
    served = client.get(f"/admin/repairs/photo/{photo.pk}")
    assert served.status_code == 200 and served.data == PNG and served.mimetype == "image/png"
    assert "sandbox" in served.headers["Content-Security-Policy"]        # served like every stored file
    assert served.headers["Cache-Control"] == "private, max-age=600"
    assert client_as("clerk_b").get(f"/admin/repairs/photo/{photo.pk}").status_code == 404
    assert client.get(f"/admin/repairs/api/file/?db=x&coll=fs&id={photo.file.grid_id}").status_code in (403, 404)


def test_registration_with_a_photo(client_as, world):
    data = register_payload(world)
    data["photos"] = [(io.BytesIO(PNG), "drain.png")]
    response = client_as("clerk").post("/admin/repairs/new/", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert RepairPhoto.objects(repair=Repair.objects.get()).count() == 1


def test_finished_repairs_cannot_be_edited(app, client_as, world):
    with english_request(app):
        repair = completed_repair(world)
        repair.close(world["staff"]["supervisor"], "unreachable")
    client = client_as("clerk")
    payload = register_payload(world, description="改掉", record_version=str(repair.reload().version))
    response = client.post(f"/admin/repairs/edit/?id={repair.pk}", data=payload)
    assert "can no longer be edited" in response.data.decode()
    assert repair.reload().description == "厨房水龙头漏水"


def test_repairs_complaints_and_visits_on_the_household_timeline(app, client_as, world):
    from documents.visits import log_visit
    from tests.services_support import make_complaint
    freeze_shanghai(2026, 3, 11, 9, 0)
    with english_request(app):
        repair = completed_repair(world)
        complaint = make_complaint(world)
        repair.sign_off(world["staff"]["clerk"], 5, paper_order_no="P-001")
        log_visit(repair, world["staff"]["clerk"], resident_said="很好", satisfaction=5)
    page = client_as("housekeeper").get(f"/admin/households/details/?id={world['hh_a'].pk}").data.decode()
    timeline = page[page.index('id="household-timeline"'):]
    assert repair.number in timeline and complaint.number in timeline and "很好" in timeline
    assert f"/admin/repairs/details/?id={repair.pk}" in timeline


def test_the_step_page_says_what_must_happen_first(app, client_as, world):
    with english_request(app):
        repair = make_repair(world)
    client = client_as("clerk")
    page = client.get(f"/admin/repairs/step/arrive/?id={repair.pk}").data.decode()
    refusal = page[page.index('id="step-refusal"'):page.index("</div>", page.index('id="step-refusal"'))]
    assert "(Arrived) is not possible" in refusal and "Dispatch the work order first." in refusal
    assert 'id="step-form"' not in page and repair.number in page
    posted = client.post(f"/admin/repairs/step/arrive/?id={repair.pk}", data={"at": "2026-03-11T10:00"})
    assert posted.status_code == 200 and repair.reload().state == "reported"
    # a return visit is taken from the visit log only: it has no step page
    assert client.get(f"/admin/repairs/step/return_visit/?id={repair.pk}").status_code == 404


def test_step_times_are_typed_in_local_time_and_stored_in_utc(app, client_as, world):
    from app import clock
    freeze_shanghai(2026, 3, 11, 10, 0)
    clerk = world["staff"]["clerk"]
    with english_request(app):
        repair = make_repair(world)
        repair.dispatch(clerk, "王师傅")
    clock.freeze(shanghai(2026, 3, 11, 10, 30))
    client = client_as("clerk")
    form = client.get(f"/admin/repairs/step/arrive/?id={repair.pk}").data.decode()
    assert 'value="2026-03-11 10:30"' in form                               # "now", local
    response = client.post(f"/admin/repairs/step/arrive/?id={repair.pk}", data={"at": "2026-03-11T10:20"})
    assert response.status_code == 302
    assert repair.reload().arrived_at == shanghai(2026, 3, 11, 10, 20) and repair.state == "arrived"
    entry = AuditEntry.objects.get(record_id=str(repair.pk), action="arrive")
    assert entry.actor_name == "clerk"
    early = client.post(f"/admin/repairs/step/back_on_site/?id={repair.pk}", data={"at": "2026-03-11T10:25"})
    assert early.status_code == 200 and "(Back on site) is not possible" in early.data.decode()


def test_details_page_buttons_are_the_steps_offered(app, client_as, world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    with english_request(app):
        repair = completed_repair(world)

    def actions(username):
        page = client_as(username).get(f"/admin/repairs/details/?id={repair.pk}").data.decode()
        return page[page.index('id="record-actions"'):page.index("</div>", page.index('id="record-actions"'))]
    clerk = actions("clerk")
    assert "step-sign_off" in clerk and "step-close" not in clerk and "log-visit" not in clerk
    assert f"/admin/repairs/step/sign_off/?id={repair.pk}" in clerk
    supervisor = actions("supervisor")
    assert "step-sign_off" in supervisor and "step-close" in supervisor
    cashier = actions("cashier")
    assert "step-" not in cashier and "log-visit" not in cashier


# --- browser review 2026-11-27: every problem of a step form at once, on its field, in our words ---

def arrived_repair(app, world):
    clerk = world["staff"]["clerk"]
    with english_request(app):
        repair = make_repair(world)
        repair.dispatch(clerk, "王师傅")
        repair.arrive(clerk)
    return repair


def input_tag(page, name):
    return re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page).group(0)


def test_complete_shows_every_material_problem_at_once_with_its_line(app, client_as, world):
    repair = arrived_repair(app, world)
    lines = [{"name": "阀芯", "quantity": "123456.5", "unit_price": "35.50"},
             {"name": "垫片", "quantity": "0", "unit_price": "-1"}, {}, {"spec": "DN20"}, {}]
    data = {"work_done": "", "labour": "-5"}
    for number, line in enumerate(lines):           # a browser sends every line, empty ones too
        for name in ("name", "spec", "model", "quantity", "unit_price"):
            data[f"materials-{number}-{name}"] = line.get(name, "")
    response = client_as("clerk").post(f"/admin/repairs/step/complete/?id={repair.pk}", data=data)
    assert response.status_code == 200
    page = response.data.decode()
    for message in ("Line 2, Quantity: Must be greater than 0.", "Line 2, Unit price: Must be at least 0.",
                    "Line 4, Material: Enter the name of the material.", "Line 4, Quantity: Enter the quantity.",
                    "Line 4, Unit price: Enter the unit price."):
        assert message in page, message
    assert "Line 1," not in page and "Line 3," not in page              # the good line and the empty one
    assert "This field is required." in page                           # work done, in the same round
    labour = page[page.index('name="labour"'):]
    assert "Must be at least 0." in labour[:600]
    assert "is-invalid" in input_tag(page, "materials-1-quantity")     # that line's field is marked
    assert "is-invalid" in input_tag(page, "materials-1-unit_price")
    assert "is-invalid" not in input_tag(page, "materials-0-quantity")
    assert 'value="123456.5"' in input_tag(page, "materials-0-quantity")   # nothing typed is lost
    assert repair.reload().state == "arrived" and repair.materials == []


def test_material_lines_carry_their_labels_and_numbers_for_a_phone(app, client_as, world):
    repair = arrived_repair(app, world)
    page = client_as("clerk").get(f"/admin/repairs/step/complete/?id={repair.pk}").data.decode()
    table = page[page.index("step-list-table"):page.index("</table>", page.index("step-list-table"))]
    assert table.count('data-label="Quantity"') == 5 and "Line 5" in table


def test_dispatch_refuses_a_technician_phone_that_is_no_mobile_number(app, client_as, world):
    with english_request(app):
        repair = make_repair(world)
    client = client_as("clerk")
    response = client.post(f"/admin/repairs/step/dispatch/?id={repair.pk}", data={
        "technician": "", "technician_phone": "abc-not-phone", "appointment_at": "2026-03-11T10:00"})
    assert response.status_code == 200
    page = response.data.decode()
    phone = page[page.index('name="technician_phone"'):]
    assert "Not a mainland mobile number" in phone[:700] and "is-invalid" in input_tag(page, "technician_phone")
    assert "This field is required." in page                             # the technician, in the same round
    assert repair.reload().state == "reported"
    ok = client.post(f"/admin/repairs/step/dispatch/?id={repair.pk}", data={
        "technician": "王师傅", "technician_phone": "135-0000-1111", "appointment_at": "2026-03-11T10:00"})
    assert ok.status_code == 302 and repair.reload().technician_phone == "13500001111"


def test_sign_off_flags_the_missing_signature_and_rating_together(app, client_as, world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    with english_request(app):
        repair = completed_repair(world)
    response = client_as("clerk").post(f"/admin/repairs/step/sign_off/?id={repair.pk}",
                                       data={"signature": "", "paper_order_no": " ", "satisfaction": ""})
    page = response.data.decode()
    assert "The resident signs on the screen, or write the number of the paper work order" in page
    assert "Record the satisfaction rating (1–5)." in page
    assert "is-invalid" in input_tag(page, "paper_order_no") and 'id="signature-pad"' in page
    assert repair.reload().state == "completed"


def test_the_resident_signs_on_the_screen_and_the_signature_is_kept_as_a_png(app, client_as, world):
    import base64
    freeze_shanghai(2026, 3, 11, 9, 0)
    with english_request(app):
        repair = completed_repair(world)
    client = client_as("clerk")
    drawn = "data:image/png;base64," + base64.b64encode(PNG).decode()
    refused = client.post(f"/admin/repairs/step/sign_off/?id={repair.pk}",
                          data={"signature": "data:image/gif;base64,R0lGODlh", "satisfaction": "4"})
    assert "The signature could not be read" in refused.data.decode() and repair.reload().state == "completed"
    response = client.post(f"/admin/repairs/step/sign_off/?id={repair.pk}",
                           data={"signature": drawn, "paper_order_no": "", "satisfaction": "4"})
    assert response.status_code == 302
    repair.reload()
    assert repair.state == "signed_off" and repair.signed_by == "张伟" and repair.signature is not None
    details = client.get(f"/admin/repairs/details/?id={repair.pk}").data.decode()
    assert f"/admin/repairs/signature/?id={repair.pk}" in details
    image = client.get(f"/admin/repairs/signature/?id={repair.pk}")
    assert image.status_code == 200 and image.data == PNG and image.mimetype == "image/png"
    assert client_as("clerk_b").get(f"/admin/repairs/signature/?id={repair.pk}").status_code == 404


def test_a_public_area_is_registered_as_building_and_place_and_its_housekeeper_confirms(app, client_as, world):
    from documents.places import Building
    freeze_shanghai(2026, 3, 11, 9, 0)
    building = Building.objects(community=world["A"], number="1").first()
    client = client_as("clerk")
    form = client.get("/admin/repairs/new/").data.decode()
    assert 'name="public_place"' in form and 'name="public_building"' in form and 'name="public_area"' not in form
    response = client.post("/admin/repairs/new/", data=register_payload(
        world, location="public", room="", public_building=str(building.pk), public_place="lobby"))
    assert response.status_code == 302, response.data.decode()[-1500:]
    repair = Repair.objects.get()
    assert repair.building_no == "1" and repair.public_area == "1栋 大堂"
    assert "Building 1 · Lobby" in row_of(client.get("/admin/repairs/").data.decode(), repair.number)
    with english_request(app):
        clerk = world["staff"]["clerk"]
        repair.dispatch(clerk, "王师傅")
        repair.arrive(clerk)
        repair.complete(clerk, "换灯")
    page = client.get(f"/admin/repairs/step/sign_off/?id={repair.pk}").data.decode()
    assert "confirmed by the housekeeper of building 1" in page and 'id="signature-pad"' not in page
    keeper = client_as("housekeeper")
    form = keeper.get(f"/admin/repairs/step/sign_off/?id={repair.pk}").data.decode()
    assert 'name="paper_order_no"' not in form and 'id="signature-pad"' not in form
    assert keeper.post(f"/admin/repairs/step/sign_off/?id={repair.pk}", data={"satisfaction": "5"}).status_code == 302
    assert repair.reload().state == "signed_off" and repair.signed_by_staff.username == "housekeeper"


def test_step_times_are_read_as_people_write_them(app, client_as, world):
    freeze_shanghai(2026, 3, 11, 10, 30)
    with english_request(app):
        repair = make_repair(world)
        repair.dispatch(world["staff"]["clerk"], "王师傅")
    client = client_as("clerk")
    garbage = client.post(f"/admin/repairs/step/arrive/?id={repair.pk}", data={"at": "tomorrow 10"}).data.decode()
    assert "Enter a date and time such as 2026-11-28 10:00." in garbage and 'value="tomorrow 10"' in garbage
    assert repair.reload().state == "dispatched"
    ok = client.post(f"/admin/repairs/step/arrive/?id={repair.pk}", data={"at": "２０２６/03/11 10：30"})
    assert ok.status_code == 302 and repair.reload().arrived_at == shanghai(2026, 3, 11, 10, 30)


def test_a_step_time_before_the_previous_step_says_the_earliest_allowed(app, client_as, world):
    freeze_shanghai(2026, 3, 11, 10, 5)
    with english_request(app):
        repair = make_repair(world)
        repair.dispatch(world["staff"]["clerk"], "王师傅")
    response = client_as("clerk").post(f"/admin/repairs/step/arrive/?id={repair.pk}", data={"at": "2026-03-11T09:50"})
    page = response.data.decode()
    assert "This time is before the previous step: not before 2026-03-11 10:05." in page
    assert "is-invalid" in input_tag(page, "at") and repair.reload().state == "dispatched"


def test_number_limits_are_worded_right_in_chinese(app, client_as, world):
    from documents.staff import Staff
    repair = arrived_repair(app, world)
    Staff.objects(username="clerk").update(set__language="zh_Hans_CN")
    page = client_as("clerk").post(f"/admin/repairs/step/complete/?id={repair.pk}", data={
        "work_done": "更换", "labour": "-1", "materials-0-name": "垫片", "materials-0-quantity": "0",
        "materials-0-unit_price": "1"}).data.decode()
    assert "不能小于 0。" in page and "必须大于 0。" in page                  # labour >= 0; a quantity > 0
    assert "数值必须大于" not in page                                       # WTForms' words for "at least"


def test_the_printed_work_order_shows_the_archives_phone_masked_per_role(world, client_as):
    """A repair taken without a phone prints the archive's (the office calls that number); roles
    that may not see phone numbers get it masked."""
    repair = make_repair(world, resident_phone=None)
    assert not repair.resident_phone
    url = f"/admin/repairs/print/?id={repair.pk}"
    clerk = client_as("clerk").get(url).get_data(as_text=True)
    assert "13800138000" in clerk
    cashier = client_as("cashier").get(url).get_data(as_text=True)
    assert "13800138000" not in cashier and "138****8000" in cashier
