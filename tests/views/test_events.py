"""Events and notices through the test client: roles, scoping, forms, exports, pages."""
import io
from datetime import datetime

import openpyxl

from app import clock
from documents.audit import AuditEntry
from documents.events import Event, EventPhoto, SignUp, VenueBooking
from documents.notices import Notice
from documents.staff import Staff
from tests.events_support import NOW, ew, local, make_event  # noqa: F401 - fixture
from tests.support import filter_arg


def post_step(client, endpoint, record, step, **data):
    """A step taken on its page (admin_views/steps.py)."""
    return client.post(f"/admin/{endpoint}/step/{step}/?id={record.pk}", data=data)


def set_language(username, language):
    Staff.objects(username=username).update_one(set__language=language)


# --- events: forms, roles, state changes --------------------------------------------------------

def test_culture_officer_creates_an_event_in_local_time(ew, client_as):
    client = client_as("culture")
    response = client.post("/admin/events/new/", data={
        "community": str(ew.community.pk), "title_zh": "端午包粽子", "title_en": "",
        "event_type": "culture", "start": "2026-06-19 19:00:00", "end": "2026-06-19 21:00:00",
        "venue": str(ew.venue.pk), "capacity": "30", "budget": "1234.50", "organiser": "客服中心",
    })
    assert response.status_code == 302, response.data.decode()[-2000:]
    event = Event.objects.get(title_zh="端午包粽子")
    assert event.start == datetime(2026, 6, 19, 11, 0)  # 19:00 in Shanghai, stored as UTC
    assert event.state == "draft" and event.created_by.username == "culture"
    assert str(event.budget) == "1234.50"
    assert AuditEntry.objects(record_id=str(event.pk), action="create").first().actor_name == "culture"
    form = client.get(f"/admin/events/edit/?id={event.pk}").data.decode()
    assert 'value="2026-06-19 19:00"' in form  # shown back in local time, to the minute
    listing = client.get("/admin/events/").data.decode()
    assert "2026-06-19 19:00" in listing and "端午包粽子" in listing


def test_form_refuses_end_before_start_and_foreign_venue_on_the_field(ew, client_as):
    client = client_as("culture")
    response = client.post("/admin/events/new/", data={
        "community": str(ew.community.pk), "title_zh": "错时活动", "event_type": "culture",
        "start": "2026-06-19 19:00:00", "end": "2026-06-19 18:00:00", "capacity": "30"})
    assert response.status_code == 200 and "The end must be after the start." in response.data.decode()
    assert Event.objects(title_zh="错时活动").count() == 0


def test_published_event_edit_keeps_times_and_refuses_a_new_time(ew, client_as):
    event = make_event(ew, capacity=3, venue=ew.venue)
    event.sign_up(ew.households[0], 1, "", ew.clerk)
    waiting = [event.sign_up(h, 1, "", ew.clerk) for h in ew.households[1:4]][-1]
    data = {"community": str(ew.community.pk), "title_zh": event.title_zh, "title_en": event.title_en,
            "event_type": event.event_type, "start": "2026-05-10 19:00:00", "end": "2026-05-10 21:00:00",
            "venue": str(ew.venue.pk), "capacity": "4", "budget": "800.00", "organiser": "客服中心",
            "description_zh": "请自带水杯", "record_version": str(Event.objects.get(pk=event.pk).version)}
    culture = client_as("culture")
    response = culture.post(f"/admin/events/edit/?id={event.pk}", data=data)
    assert response.status_code == 302, response.data.decode()[-3000:]
    stored = Event.objects.get(pk=event.pk)
    assert stored.description_zh == "请自带水杯" and stored.capacity == 4 and stored.start == event.start
    assert SignUp.objects.get(pk=waiting.pk).state == "confirmed"  # the new place went to the waiting list
    moved = culture.post(f"/admin/events/edit/?id={event.pk}",
                         data=dict(data, start="2026-05-11 19:00:00", end="2026-05-11 21:00:00",
                                   record_version=str(stored.version)))
    assert "Cannot be changed once the event was submitted" in moved.data.decode()
    assert Event.objects.get(pk=event.pk).start == event.start


def test_clerk_may_not_create_or_approve_events(ew, client_as):
    event = make_event(ew, state="submitted")
    clerk = client_as("clerk")
    assert clerk.get("/admin/events/new/").status_code == 403
    assert post_step(clerk, "events", event, "approve").status_code == 403
    assert post_step(client_as("culture"), "events", event, "approve").status_code == 403
    assert Event.objects.get(pk=event.pk).state == "submitted"
    page = client_as("supervisor").get(f"/admin/events/details/?id={event.pk}").data.decode()
    assert "step-approve" in page and "step-reject" in page
    page = client_as("culture").get(f"/admin/events/details/?id={event.pk}").data.decode()
    assert "step-approve" not in page


def test_the_flow_through_the_pages(ew, client_as):
    event = make_event(ew, state="draft", venue=ew.venue)
    culture, supervisor = client_as("culture"), client_as("supervisor")
    post_step(culture, "events", event, "submit")
    response = post_step(supervisor, "events", event, "reject", reason="")
    assert Event.objects.get(pk=event.pk).state == "submitted"  # no reason, no rejection
    assert response.status_code == 200 and "Please give a reason." in response.data.decode()
    post_step(supervisor, "events", event, "approve")
    # the list offers the publish button to the officer, in the row
    listing = culture.get("/admin/events/").data.decode()
    assert "step-publish" in listing
    post_step(culture, "events", event, "publish")
    event.reload()
    assert event.state == "published" and event.booking is not None
    assert [e.action for e in AuditEntry.objects(record_id=str(event.pk)).order_by("at", "id")] == \
        ["submit", "approve", "publish"]
    history = culture.get(f"/admin/events/details/?id={event.pk}").data.decode()
    assert 'id="record-history"' in history and "Published" in history


def test_another_communitys_event_is_not_found(ew, client_as):
    other = make_event(ew, state="submitted", community=ew.world["B"], title_zh="乙区活动")
    manager_a = client_as("manager")
    assert post_step(manager_a, "events", other, "approve").status_code == 404
    assert Event.objects.get(pk=other.pk).state == "submitted"
    assert "乙区活动" not in manager_a.get("/admin/events/").data.decode()
    assert manager_a.get(f"/admin/events/details/?id={other.pk}", follow_redirects=True).status_code in (200, 404)
    assert "乙区活动" not in manager_a.get(f"/admin/events/details/?id={other.pk}",
                                         follow_redirects=True).data.decode()
    assert manager_a.get(f"/admin/signups/export-event/?event={other.pk}").status_code == 404
    assert "乙区活动" not in manager_a.get("/admin/event_calendar/?month=2026-05").data.decode()


def test_list_filters_by_state_and_date(ew, client_as, app):
    make_event(ew, state="published", title_zh="五月活动", title_en="", start=(2026, 5, 10, 19, 0))
    make_event(ew, state="draft", title_zh="六月草稿", title_en="", start=(2026, 6, 10, 19, 0))
    client = client_as("culture")
    state = filter_arg(app, "events", "state")
    page = client.get(f"/admin/events/?{state}=draft").data.decode()
    assert "六月草稿" in page and "五月活动" not in page
    date = filter_arg(app, "events", "start")
    page = client.get(f"/admin/events/?{date}=2026-05-01+to+2026-05-31").data.decode()
    assert "五月活动" in page and "六月草稿" not in page


# --- sign-ups -----------------------------------------------------------------------------------

def test_clerk_signs_up_through_the_form_and_a_second_time_is_refused(ew, client_as):
    event = make_event(ew, capacity=2)
    clerk = client_as("clerk")
    form = clerk.get(f"/admin/signups/new/?event={event.pk}").data.decode()
    assert f'<option selected value="{event.pk}">Mid-Autumn fair</option>' in form
    data = {"event": str(event.pk), "household": str(ew.households[0].pk), "people": "2", "contact_phone": ""}
    response = clerk.post("/admin/signups/new/", data=data)
    assert response.status_code == 302 and f"/admin/events/details/?id={event.pk}" in response.headers["Location"]
    signup = SignUp.objects.get(event=event)
    assert signup.state == "confirmed" and signup.contact_phone == "13800138000"
    again = clerk.post("/admin/signups/new/", data=data)
    assert again.status_code == 200 and "already signed up" in again.data.decode()
    assert SignUp.objects(event=event).count() == 1
    full = clerk.post("/admin/signups/new/", data=dict(data, household=str(ew.households[1].pk), people="1"),
                      follow_redirects=True).data.decode()
    assert "number 1 on the waiting list" in full
    # a household of another community cannot even be chosen
    clerk.post("/admin/signups/new/", data=dict(data, household=str(ew.world["hh_b"].pk)))
    assert SignUp.objects(household=ew.world["hh_b"]).count() == 0
    assert client_as("culture").get(f"/admin/signups/new/?event={event.pk}").status_code == 403


def test_cancel_on_the_event_page_promotes_and_attendance_is_ticked(ew, client_as):
    event = make_event(ew, capacity=1)
    first = event.sign_up(ew.households[0], 1, "", ew.clerk)
    waiting = event.sign_up(ew.households[1], 1, "", ew.clerk)
    clerk = client_as("clerk")
    back = f"/admin/events/details/?id={event.pk}"
    page = clerk.get(f"/admin/signups/step/cancel_signup/?id={first.pk}")
    assert page.status_code == 200 and SignUp.objects.get(pk=first.pk).state == "confirmed"  # GET asks only
    response = clerk.post(f"/admin/signups/step/cancel_signup/?id={first.pk}", data={"url": back},
                          follow_redirects=True)
    text = response.data.decode()
    assert response.request.path == "/admin/events/details/"
    assert "moved up from the waiting list" in text
    assert SignUp.objects.get(pk=waiting.pk).state == "confirmed"
    page = clerk.get(f"/admin/events/details/?id={event.pk}").data.decode()
    assert "Tick attendance" not in page  # not before the day of the event
    clock.freeze(local(ew.community, 2026, 5, 10, 18, 45))
    assert "Tick attendance" in clerk.get(f"/admin/events/details/?id={event.pk}").data.decode()
    post_step(clerk, "signups", waiting, "attend", url=back)
    assert SignUp.objects.get(pk=waiting.pk).attended is True
    page = clerk.get(f"/admin/events/details/?id={event.pk}").data.decode()
    assert "✓ Attended" in page
    assert post_step(client_as("housekeeper"), "signups", waiting, "unattend").status_code == 403
    assert SignUp.objects.get(pk=waiting.pk).attended is True
    # the archive page shows the sign-up and the attendance
    archive = clerk.get(f"/admin/households/details/?id={ew.households[1].pk}").data.decode()
    assert "Signed up for Mid-Autumn fair (1 people)" in archive and "Attended Mid-Autumn fair" in archive


def test_phones_are_masked_for_roles_without_the_right(ew, client_as):
    event = make_event(ew, capacity=5)
    event.sign_up(ew.households[0], 1, "", ew.clerk)
    assert "13800138000" in client_as("clerk").get(f"/admin/events/details/?id={event.pk}").data.decode()
    page = client_as("housekeeper").get(f"/admin/events/details/?id={event.pk}").data.decode()
    assert "13800138000" not in page and "138****8000" in page


def _export(client, event):
    response = client.get(f"/admin/signups/export-event/?event={event.pk}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return openpyxl.load_workbook(io.BytesIO(response.data))


def _header_row(sheet):
    return next(row for row in sheet.iter_rows(values_only=True) if row and row[0] in ("No.", "序号"))


def test_signups_export_to_a_valid_xlsx_with_translated_headers(ew, client_as):
    event = make_event(ew, capacity=1, title_zh="中秋游园会", title_en="Mid-Autumn fair")
    event.sign_up(ew.households[0], 1, "", ew.clerk)
    event.sign_up(ew.households[1], 1, "13912345678", ew.clerk)
    book = _export(client_as("clerk"), event)
    sheet = book.active
    assert sheet["A1"].value == "Mid-Autumn fair"
    header = _header_row(sheet)
    assert list(header[:6]) == ["No.", "Room", "Household", "Number of people", "Contact phone", "State"]
    rows = [row for row in sheet.iter_rows(min_row=sheet.max_row - 1, values_only=True)]
    assert rows[0][1] == "1-1-101" and rows[0][5] == "Confirmed"
    assert rows[1][1] == "1-1-201" and rows[1][5] == "Waiting list" and rows[1][6] == 1
    set_language("clerk", "zh_Hans_CN")
    book = _export(client_as("clerk"), event)
    sheet = book.active
    assert sheet["A1"].value == "中秋游园会"
    header = _header_row(sheet)
    assert header[0] == "序号" and list(header[3:9]) == ["人数", "联系电话", "状态", "候补序号", "已到场", "报名时间"]
    assert sheet.cell(row=sheet.max_row, column=6).value == "候补"
    assert AuditEntry.objects(action="export_signups").count() == 2
    # the sign-up list's own export (all sign-ups the user may see) is a valid workbook too
    listed = client_as("clerk").get("/admin/signups/export/xlsx/")
    assert listed.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(listed.data)).active.iter_rows(values_only=True))
    assert "人数" in rows[0] and "联系电话" in rows[0] and len(rows) == 3
    assert client_as("housekeeper").get(f"/admin/signups/export-event/?event={event.pk}").status_code == 403


def test_household_lookup_of_the_signup_form_is_scoped(ew, client_as):
    clerk = client_as("clerk")
    found = clerk.get("/admin/signups/ajax/lookup/?name=household&query=1-1-1").get_json()
    labels = [label for _id, label in found]
    assert labels and all(label.startswith("1-1-1") for label in labels)
    assert str(ew.world["hh_b"].pk) not in [i for i, _l in found]  # B has a 1-1-101 too
    assert clerk.get("/admin/signups/ajax/lookup/?name=household&query=李娜").get_json() == []


# --- venues, calendar ------------------------------------------------------------------------------

def test_booking_form_names_the_conflicting_booking(ew, client_as):
    clerk = client_as("clerk")
    data = {"venue": str(ew.venue.pk), "start": "2026-05-20 09:00:00", "end": "2026-05-20 11:00:00",
            "purpose": "书法班", "booked_for": "老年协会", "contact_phone": ""}
    assert clerk.post("/admin/venuebookings/new/", data=data).status_code == 302
    touching = clerk.post("/admin/venuebookings/new/", data=dict(data, start="2026-05-20 11:00:00",
                                                                 end="2026-05-20 12:00:00", purpose="太极"))
    assert touching.status_code == 302
    bad_phone = clerk.post("/admin/venuebookings/new/", data=dict(data, start="2026-05-21 09:00:00",
                                                                  end="2026-05-21 10:00:00", contact_phone="123"))
    assert bad_phone.status_code == 200 and "Not a mainland mobile number" in bad_phone.data.decode()
    clash = clerk.post("/admin/venuebookings/new/", data=dict(data, start="2026-05-20 10:30:00",
                                                              end="2026-05-20 11:30:00", purpose="合唱"))
    text = clash.data.decode()
    assert clash.status_code == 200 and "书法班" in text and "already booked" in text
    assert VenueBooking.objects(venue=ew.venue).count() == 2
    assert client_as("housekeeper").get("/admin/venuebookings/new/").status_code == 403


def test_calendar_month_shows_events_and_bookings_in_the_users_language(ew, client_as):
    make_event(ew, title_zh="中秋游园会", title_en="Mid-Autumn fair", start=(2026, 5, 10, 19, 0))
    make_event(ew, title_zh="广场舞比赛", title_en="", start=(2026, 5, 23, 9, 0), state="approved")
    make_event(ew, title_zh="六月活动", title_en="", start=(2026, 6, 2, 9, 0))
    ew.square.book(local(ew.community, 2026, 5, 16, 8), local(ew.community, 2026, 5, 16, 10), ew.clerk,
                   purpose="晨练队")
    page = client_as("culture").get("/admin/event_calendar/?month=2026-05").data.decode()
    assert 'data-day="2026-05-10"' in page
    may10 = page.split('data-day="2026-05-10"')[1].split("</td>")[0]
    assert "Mid-Autumn fair" in may10 and "19:00" in may10
    assert "广场舞比赛" in page.split('data-day="2026-05-23"')[1].split("</td>")[0]  # falls back to Chinese
    assert "晨练队" in page.split('data-day="2026-05-16"')[1].split("</td>")[0]
    assert "六月活动" not in page  # May 2026 ends on a Sunday: no June days in this month's grid
    set_language("culture", "zh_Hans_CN")
    page = client_as("culture").get("/admin/event_calendar/?month=2026-05").data.decode()
    assert "中秋游园会" in page.split('data-day="2026-05-10"')[1].split("</td>")[0]
    assert client_as("cashier").get("/admin/event_calendar/").status_code == 403


# --- records: photos and feedback ----------------------------------------------------------------

def _png():
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_photos_upload_thumbnails_and_scoped_serving(ew, client_as):
    event = make_event(ew, state="held")
    culture = client_as("culture")
    response = culture.post("/admin/events/photos/add/", data={
        "id": str(event.pk), "caption": "猜灯谜", "photo": (io.BytesIO(_png()), "fair.png")},
        content_type="multipart/form-data")
    assert response.status_code == 302
    photo = EventPhoto.objects.get(event=event)
    page = culture.get(f"/admin/events/details/?id={event.pk}").data.decode()
    assert f"/admin/events/photo/?id={photo.pk}&amp;size=thumb" in page
    thumb = culture.get(f"/admin/events/photo/?id={photo.pk}&size=thumb")
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg" and thumb.data[:2] == b"\xff\xd8"
    full = client_as("housekeeper").get(f"/admin/events/photo/?id={photo.pk}")
    assert full.mimetype == "image/png" and full.data == _png()
    assert "sandbox" in full.headers["Content-Security-Policy"] and full.headers["Cache-Control"].startswith("private")
    assert client_as("manager_b").get(f"/admin/events/photo/?id={photo.pk}").status_code == 404
    assert client_as("clerk").post("/admin/events/photos/add/", data={
        "id": str(event.pk), "photo": (io.BytesIO(_png()), "x.png")},
        content_type="multipart/form-data").status_code == 403
    bad = culture.post("/admin/events/photos/add/", data={
        "id": str(event.pk), "photo": (io.BytesIO(b"GIF89a<script>"), "x.gif")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "x.gif is not a readable image" in bad.data.decode() and EventPhoto.objects(event=event).count() == 1


def test_feedback_with_average_on_the_event_page(ew, client_as):
    event = make_event(ew, state="held")
    culture = client_as("culture")
    for rating, room in (("5", "1-1-101"), ("3", ""), ("4", "1栋1单元201")):
        culture.post("/admin/events/feedback/add/", data={"id": str(event.pk), "rating": rating, "room": room,
                                                          "comment": "很热闹"})
    page = culture.get(f"/admin/events/details/?id={event.pk}").data.decode()
    assert 'id="feedback-average">4.0<' in page
    culture.post("/admin/events/feedback/add/", data={"id": str(event.pk), "rating": "5", "room": "9-9-909"})
    assert event.feedback().count() == 3
    archive = culture.get(f"/admin/households/details/?id={ew.households[0].pk}").data.decode()
    assert "Feedback on Mid-Autumn fair: 5/5" in archive


def test_record_summary_and_cancel_lists_households_to_call(ew, client_as):
    held = make_event(ew, state="held", title_zh="已举办")
    culture = client_as("culture")
    post_step(culture, "events", held, "record", summary="到场86人，反响很好。")
    assert Event.objects.get(pk=held.pk).state == "recorded"
    published = make_event(ew, capacity=5, title_zh="将取消")
    published.sign_up(ew.households[0], 2, "", ew.clerk)
    response = post_step(client_as("supervisor"), "events", published, "cancel", reason="暴雨预警")
    page = client_as("supervisor").get(response.headers["Location"]).data.decode()
    assert 'id="households-to-call"' in page and "1-1-101" in page and "13800138000" in page
    assert Event.objects.get(pk=published.pk).cancel_reason == "暴雨预警"


def test_only_draft_events_without_signups_can_be_deleted(ew, client_as):
    published = make_event(ew)
    draft = make_event(ew, state="draft", title_zh="要删的草稿")
    manager = client_as("manager")
    manager.post("/admin/events/delete/", data={"id": str(published.pk)})
    manager.post("/admin/events/delete/", data={"id": str(draft.pk)})
    assert Event.objects(pk=published.pk).count() == 1 and Event.objects(pk=draft.pk).count() == 0
    assert client_as("culture").post("/admin/events/delete/", data={"id": str(draft.pk)}).status_code in (302, 403)


# --- plans --------------------------------------------------------------------------------------

def test_plan_page_shows_budget_and_approves_as_a_whole(ew, client_as):
    events = [make_event(ew, state="draft", plan=ew.plan, title_zh=f"计划活动{i}", title_en="", budget="1500.00")
              for i in range(2)]
    post_step(client_as("culture"), "eventplans", ew.plan, "submit")
    page = client_as("supervisor").get(f"/admin/eventplans/details/?id={ew.plan.pk}").data.decode()
    assert 'id="plan-total">3,000.00<' in page and "计划活动1" in page
    post_step(client_as("supervisor"), "eventplans", ew.plan, "approve")
    assert [Event.objects.get(pk=e.pk).state for e in events] == ["approved", "approved"]


# --- notices ------------------------------------------------------------------------------------

def _notice(ew, **fields):
    values = dict(community=ew.community, notice_type="affairs", title_zh="关于二次供水水箱清洗的通知",
                  title_en="", body_zh="各位业主：\n本周六上午9:00至12:00清洗水箱，届时停水。",
                  body_en="Dear residents,\nthe water tanks are cleaned on Saturday 9:00–12:00; "
                          "the water is off meanwhile.", author=ew.clerk)
    values.update(fields)
    notice = Notice(**values)
    notice.save_versioned(None)
    return notice


def test_notice_is_written_published_and_locked(ew, client_as):
    clerk = client_as("clerk")
    response = clerk.post("/admin/notices/new/", data={
        "community": str(ew.community.pk), "notice_type": "meeting", "title_zh": "业主大会通知",
        "body_zh": "定于6月1日召开业主大会。", "audience": "community"})
    assert response.status_code == 302
    notice = Notice.objects.get(title_zh="业主大会通知")
    assert notice.author.username == "clerk" and notice.state == "draft"
    assert post_step(clerk, "notices", notice, "publish").status_code == 403
    post_step(client_as("supervisor"), "notices", notice, "publish")
    notice.reload()
    assert notice.state == "published" and notice.publish_date == NOW.date()
    edit = clerk.post(f"/admin/notices/edit/?id={notice.pk}", data={
        "community": str(ew.community.pk), "notice_type": "meeting", "title_zh": "改过的标题",
        "body_zh": "x", "audience": "community", "record_version": str(notice.version)})
    assert "cannot be changed" in edit.data.decode()
    assert Notice.objects.get(pk=notice.pk).title_zh == "业主大会通知"
    assert AuditEntry.objects(record_id=str(notice.pk), action="publish").count() == 1


def test_notice_list_filters_by_publish_date(ew, client_as, app):
    from datetime import date
    _notice(ew, title_zh="十月通知", publish_date=date(2026, 10, 8))
    _notice(ew, title_zh="五月通知", publish_date=date(2026, 5, 31))
    arg = filter_arg(app, "notices", "publish_date")
    page = client_as("clerk").get(f"/admin/notices/?{arg}=2026-05-01+to+2026-05-31").data.decode()
    assert "五月通知" in page and "十月通知" not in page


def test_notice_for_buildings_needs_buildings(ew, client_as):
    response = client_as("clerk").post("/admin/notices/new/", data={
        "community": str(ew.community.pk), "notice_type": "informative", "title_zh": "楼栋通知",
        "body_zh": "电梯维保", "audience": "buildings"})
    assert "Choose the buildings" in response.data.decode()
    assert Notice.objects(title_zh="楼栋通知").count() == 0


def test_notice_prints_on_a4_in_the_chosen_language(ew, client_as):
    notice = _notice(ew)
    client = client_as("housekeeper")
    english = client.get(f"/admin/notices/print/?id={notice.pk}&lang=en").data.decode()
    assert "size: A4" in english and '<html lang="en">' in english
    assert "关于二次供水水箱清洗的通知" in english  # no English title: the Chinese one is printed
    assert "the water tanks are cleaned" in english and "To:" in english and "All residents" in english
    assert "Community A Customer Service Centre" in english and "DRAFT" in english
    chinese = client.get(f"/admin/notices/print/?id={notice.pk}&lang=zh").data.decode()
    assert '<html lang="zh-CN">' in chinese and "本周六上午9:00至12:00清洗水箱" in chinese
    assert "甲小区客户服务中心" in chinese and "全体业主" in chinese
    assert client.get(f"/admin/notices/print/?id={notice.pk}&lang=fr").status_code == 404
    other = _notice(ew, community=ew.world["B"])
    assert client.get(f"/admin/notices/print/?id={other.pk}&lang=zh").status_code == 404


# --- the step pages, buttons and bulk steps -------------------------------------------------------

def test_every_step_has_a_right_a_label_in_both_languages_and_a_page_or_button(app, world, client_as):
    """The catalogue of the events and notices workflows."""
    from flask_babel import force_locale

    import inspect

    from wtforms.fields.core import UnboundField

    from admin_views.steps import ConfirmStepForm, StepPageMixin
    from app.permissions import PERMISSIONS
    from documents.workflow import REGISTRY
    from tests.support import english_request

    admin = app.extensions["estate_admin"]
    views = {view.model: view for view in admin._views if isinstance(view, StepPageMixin)}
    workflows = [w for w in REGISTRY.values() if w.area in ("events", "notices")]
    assert {w.model.__name__ for w in workflows} == {"AnnualPlan", "Event", "VenueBooking", "SignUp", "Notice"}
    system_steps = []
    for workflow in workflows:
        for step in workflow.steps:
            area = step.area or workflow.area
            assert any(step.right in rights for rights in PERMISSIONS[area].values()), (workflow.area, step.name)
            with english_request(app):
                english = str(step.label)
                with force_locale("zh_Hans_CN"):
                    chinese = str(step.label)
            assert english and chinese and english != chinese, step.name
            if step.page:                               # a step page, offered as a button by offered_steps
                form_class = views[workflow.model].step_forms.get(step.name, ConfirmStepForm)
                fields = {name for name in dir(form_class) if isinstance(getattr(form_class, name), UnboundField)}
                method = inspect.signature(getattr(workflow.model, step.method_name))
                needed = {name for name, p in method.parameters.items()
                          if name not in ("self", "user") and p.default is p.empty}
                assert needed <= fields, (step.name, needed, fields)
            else:
                system_steps.append(step.name)
    assert system_steps == ["promote"]                  # taken by the waiting list itself, never by a person


def test_step_page_shows_why_not_and_the_form_only_when_allowed(ew, client_as):
    event = make_event(ew, state="published")
    culture = client_as("culture")
    page = culture.get(f"/admin/events/details/?id={event.pk}").data.decode()
    assert "step-mark_held" not in page and "step-cancel" in page and "step-record" not in page   # not yet held
    refused = culture.get(f"/admin/events/step/mark_held/?id={event.pk}").data.decode()
    assert 'id="step-refusal"' in refused and "The event has not started yet." in refused
    assert 'id="step-form"' not in refused
    assert culture.post(f"/admin/events/step/mark_held/?id={event.pk}").status_code == 200
    assert Event.objects.get(pk=event.pk).state == "published"
    clock.freeze(event.start)
    assert 'id="step-form"' in culture.get(f"/admin/events/step/mark_held/?id={event.pk}").data.decode()
    culture.post(f"/admin/events/step/mark_held/?id={event.pk}")
    assert Event.objects.get(pk=event.pk).state == "held"
    assert culture.get(f"/admin/events/step/no_such_step/?id={event.pk}").status_code == 404


def test_cancelling_an_event_tells_whom_to_inform_and_its_history_says_event_cancelled(ew, client_as):
    event = make_event(ew, capacity=5)
    event.sign_up(ew.households[0], 1, "", ew.clerk)
    supervisor = client_as("supervisor")
    form = supervisor.get(f"/admin/events/step/cancel/?id={event.pk}").data.decode()
    assert 'name="reason"' in form and "Mid-Autumn fair" in form
    page = supervisor.post(f"/admin/events/step/cancel/?id={event.pk}", data={"reason": "台风预警"},
                           follow_redirects=True).data.decode()
    assert "Please inform 1 signed-up households" in page and 'id="households-to-call"' in page
    history = page.split('id="record-history"')[1]
    assert "Event cancelled" in history


def test_bulk_cancel_of_sign_ups_moves_the_waiting_list_up_and_says_whom_to_call(ew, client_as):
    event = make_event(ew, capacity=2)
    first = event.sign_up(ew.households[0], 1, "", ew.clerk)
    second = event.sign_up(ew.households[1], 1, "", ew.clerk)
    waiting = event.sign_up(ew.households[2], 2, "", ew.clerk)
    clerk = client_as("clerk")
    page = clerk.post("/admin/signups/action/", data={"action": "cancel_signup", "rowid": [str(first.pk), str(second.pk)],
                                                      "url": "/admin/signups/"}, follow_redirects=True).data.decode()
    assert [SignUp.objects.get(pk=s.pk).state for s in (first, second, waiting)] == ["cancelled", "cancelled", "confirmed"]
    assert "Cancel sign-up: 2 record(s) done." in page
    assert "住户0 moved up from the waiting list; please let them know." in page
    assert Event.objects.get(pk=event.pk).taken == 2
    assert client_as("culture").post("/admin/signups/action/", data={
        "action": "cancel_signup", "rowid": [str(waiting.pk)]}).status_code == 403
    assert SignUp.objects.get(pk=waiting.pk).state == "confirmed"


def test_bulk_cancel_of_bookings_leaves_an_events_booking_alone(ew, client_as):
    c = ew.community
    own = ew.venue.book(local(c, 2026, 5, 20, 9), local(c, 2026, 5, 20, 11), ew.clerk, purpose="书法班")
    event = make_event(ew, state="approved", venue=ew.square)
    event.publish(ew.culture)
    page = client_as("clerk").post("/admin/venuebookings/action/", data={
        "action": "cancel_booking", "rowid": [str(own.pk), str(event.booking.pk)]},
        follow_redirects=True).data.decode()
    assert VenueBooking.objects.get(pk=own.pk).state == "cancelled"
    assert VenueBooking.objects.get(pk=event.booking.pk).state == "booked"
    assert "cancel the event instead" in page and "Cancel booking: 1 record(s) done." in page
    details = client_as("clerk").get(f"/admin/venuebookings/details/?id={own.pk}").data.decode()
    assert "Venue booking cancelled" in details and "step-cancel_booking" not in details


# --- defects --------------------------------------------------------------------------------------

def test_the_venue_list_and_details_open_for_every_role_that_may_list(ew, client_as):
    for role in ("manager", "supervisor", "culture", "clerk", "housekeeper"):
        listing = client_as(role).get("/admin/venues/")
        assert listing.status_code == 200, role
        text = listing.data.decode()
        assert "Activity room" in text and "中心广场" in text and "Clubhouse B" not in text, role
        details = client_as(role).get(f"/admin/venues/details/?id={ew.venue.pk}")
        assert details.status_code == 200 and "Activity room" in details.data.decode(), role
    assert client_as("cashier").get("/admin/venues/").status_code == 403


def test_a_month_the_calendar_cannot_show_gives_a_message_and_the_current_month(ew, client_as):
    make_event(ew, title_zh="中秋游园会", title_en="Mid-Autumn fair", start=(2026, 5, 10, 19, 0))
    client = client_as("culture")
    for month in ("1-1", "9999-12", "abc", "2026-13", "2026-05-01"):
        response = client.get(f"/admin/event_calendar/?month={month}")
        page = response.data.decode()
        assert response.status_code == 200, month
        assert f"“{month}” is not a month the calendar can show" in page, month
        assert 'id="calendar-month">2026-05<' in page and "Mid-Autumn fair" in page, month
    fine = client.get("/admin/event_calendar/?month=2026-06").data.decode()
    assert 'id="calendar-month">2026-06<' in fine and "not a month" not in fine
    set_language("culture", "zh_Hans_CN")
    page = client_as("culture").get("/admin/event_calendar/?month=9999-12").data.decode()
    assert "“9999-12”" in page and "not a month" not in page and 'id="calendar-month">2026-05<' in page


def _event_form(ew, **changes):
    data = {"community": str(ew.community.pk), "title_zh": "空选项活动", "title_en": "", "event_type": "culture",
            "start": "2026-06-19 19:00:00", "end": "2026-06-19 21:00:00", "capacity": "30",
            "organiser": "客服中心"}
    data.update(changes)
    return data


def test_an_empty_or_unknown_choice_is_refused_on_its_field_and_the_input_kept(ew, client_as):
    culture = client_as("culture")
    message = "Please choose one of the offered entries."
    for field, value in (("plan", ""), ("venue", ""), ("target_buildings", ""), ("plan", "abc"),
                         ("plan", "0123456789abcdef01234567")):
        response = culture.post("/admin/events/new/", data=_event_form(ew, **{field: value}))
        page = response.data.decode()
        assert response.status_code == 200, (field, value)
        assert message in page and 'value="空选项活动"' in page, (field, value)
    assert Event.objects(title_zh="空选项活动").count() == 0
    notice = client_as("clerk").post("/admin/notices/new/", data={
        "community": str(ew.community.pk), "notice_type": "informative", "title_zh": "楼栋停电通知",
        "body_zh": "周六停电", "audience": "buildings", "buildings": ""})
    assert notice.status_code == 200 and message in notice.data.decode() and "楼栋停电通知" in notice.data.decode()
    assert Notice.objects(title_zh="楼栋停电通知").count() == 0
    plan = culture.post("/admin/eventplans/new/", data={"community": "", "year": "2027", "title_zh": "明年计划",
                                                        "budget": "100"})
    assert plan.status_code == 200 and "明年计划" in plan.data.decode()
    booking = client_as("clerk").post("/admin/venuebookings/new/", data={
        "venue": "", "start": "2026-06-19 19:00:00", "end": "2026-06-19 21:00:00", "purpose": "合唱"})
    assert booking.status_code == 200 and "合唱" in booking.data.decode()
    assert VenueBooking.objects.count() == 0


def test_an_empty_choice_on_the_edit_form_changes_nothing(ew, client_as):
    event = make_event(ew, state="draft", plan=ew.plan, venue=ew.venue)
    data = _event_form(ew, title_zh=event.title_zh, start="2026-05-10 19:00:00", end="2026-05-10 21:00:00",
                       plan="", venue=str(ew.venue.pk), record_version=str(event.version))
    response = client_as("culture").post(f"/admin/events/edit/?id={event.pk}", data=data)
    assert response.status_code == 200 and "Please choose one of the offered entries." in response.data.decode()
    stored = Event.objects.get(pk=event.pk)
    assert stored.plan.pk == ew.plan.pk and stored.version == event.version
    assert AuditEntry.objects(record_id=str(event.pk), action="edit").count() == 0


def test_notice_history_names_the_publisher_and_lists_read_in_the_users_language(ew, client_as):
    """History shows a reference by its name (not its id); columns take the documents' labels."""
    notice = _notice(ew)
    supervisor = client_as("supervisor")
    post_step(supervisor, "notices", notice, "publish")
    page = supervisor.get(f"/admin/notices/details/?id={notice.pk}",
                          headers={"Accept-Language": "en"}).data.decode()
    history = page[page.index('id="record-history"'):]
    supervisor_id = str(Notice.objects.get(pk=notice.pk).published_by.pk)
    assert "supervisor A" in history and supervisor_id not in history


# --- found by the browser review of 2026-11-27 ------------------------------------------------------

def test_booking_step_page_and_message_show_the_local_time(ew, client_as):
    c = ew.community
    booking = ew.square.book(local(c, 2026, 11, 29, 7, 0), local(c, 2026, 11, 29, 9, 0), ew.clerk,
                             purpose="太极拳晨练")
    clerk = client_as("clerk")
    page = clerk.get(f"/admin/venuebookings/step/cancel_booking/?id={booking.pk}").data.decode()
    title = page.split('id="step-title">')[1].split("</h4>")[0]
    assert "中心广场 2026-11-29 07:00" in title and "2026-11-28 23:00" not in page
    done = clerk.post(f"/admin/venuebookings/step/cancel_booking/?id={booking.pk}", data={"reason": "下雨"},
                      follow_redirects=True).data.decode()
    assert "Cancel booking: 中心广场 2026-11-29 07:00 is now" in done and "23:00" not in done
    assert VenueBooking.objects.get(pk=booking.pk).state == "cancelled"


def test_an_events_booking_reads_in_the_language_of_the_reader_not_of_the_publisher(ew, client_as):
    event = make_event(ew, state="approved", venue=ew.venue)
    post_step(client_as("culture"), "events", event, "publish")        # the officer works in English
    booking = VenueBooking.objects.get(event=event)
    set_language("clerk", "zh_Hans_CN")
    clerk = client_as("clerk")
    for url in ("/admin/venuebookings/", f"/admin/venuebookings/details/?id={booking.pk}"):
        page = clerk.get(url).data.decode()
        assert "中秋游园会" in page and "Mid-Autumn fair" not in page, url
    english = client_as("culture").get("/admin/venuebookings/").data.decode()
    assert "Mid-Autumn fair" in english and "中秋游园会" not in english


def test_no_buttons_for_steps_that_would_be_refused(ew, client_as):
    c = ew.community
    event = make_event(ew, capacity=3, venue=ew.venue, state="approved")
    event.publish(ew.culture)
    signup = event.sign_up(ew.households[0], 1, "", ew.clerk)
    other = event.sign_up(ew.households[1], 1, "", ew.clerk)
    over = ew.square.book(local(c, 2026, 4, 28, 9), local(c, 2026, 4, 28, 11), ew.clerk, purpose="晨练")
    ahead = ew.square.book(local(c, 2026, 5, 20, 9), local(c, 2026, 5, 20, 11), ew.clerk, purpose="书法班")
    clerk, culture = client_as("clerk"), client_as("culture")
    details = f"/admin/events/details/?id={event.pk}"
    # before the event's day: sign-ups may be cancelled, attendance is not ticked, it is not held
    for url in ("/admin/signups/", details):
        page = clerk.get(url).data.decode()
        assert "step-attend" not in page and page.count("step-cancel_signup") == 2, url
    assert "step-mark_held" not in culture.get("/admin/events/").data.decode()
    assert "step-mark_held" not in culture.get(details).data.decode()
    # bookings: neither the event's nor one that is over offers "Cancel booking"
    bookings = clerk.get("/admin/venuebookings/").data.decode()
    assert bookings.count("step-cancel_booking") == 1 and f"cancel_booking/?id={ahead.pk}" in bookings
    page = clerk.get(f"/admin/venuebookings/details/?id={over.pk}").data.decode()
    assert "step-cancel_booking" not in page
    refused = clerk.get(f"/admin/venuebookings/step/cancel_booking/?id={over.pk}").data.decode()
    assert "a booking that is over cannot be cancelled" in refused and 'id="step-form"' not in refused
    # on the day: one row attended offers neither "tick" nor "cancel", only "untick"
    clock.freeze(event.start)
    post_step(clerk, "signups", signup, "attend")
    for url in ("/admin/signups/", details):
        page = clerk.get(url).data.decode()
        assert page.count("step-attend") == 1 and f"attend/?id={other.pk}" in page, url
        assert page.count("step-cancel_signup") == 1 and f"cancel_signup/?id={other.pk}" in page, url
    # a cancelled or recorded event: nothing to do on its sign-ups
    for state in ("cancelled", "recorded"):
        Event.objects(pk=event.pk).update_one(set__state=state)
        for url in ("/admin/signups/", details, f"/admin/signups/details/?id={signup.pk}"):
            page = clerk.get(url).data.decode()
            assert not any(f"step-{step}" in page for step in ("attend", "unattend", "cancel_signup")), (state, url)


def test_reopening_a_rejected_event_reads_as_editing_it_again_in_chinese(ew, client_as):
    event = make_event(ew, state="rejected", rejection_reason="与街道讲座重复")
    set_language("culture", "zh_Hans_CN")
    culture = client_as("culture")
    page = culture.get(f"/admin/events/details/?id={event.pk}").data.decode()
    assert "重新编辑" in page and "退回修改" not in page
    post_step(culture, "events", event, "revise")
    assert Event.objects.get(pk=event.pk).state == "draft"
    history = culture.get(f"/admin/events/details/?id={event.pk}").data.decode().split('id="record-history"')[1]
    assert "退回修改" not in history and "已重新打开编辑" in history


def test_phone_layout_sign_ups_and_calendar_keep_to_the_screen(ew, client_as):
    """The wide tables sit in boxes that scroll by themselves; the phone shows fewer columns."""
    event = make_event(ew, capacity=3, venue=ew.venue)
    event.sign_up(ew.households[0], 1, "", ew.clerk)
    clerk = client_as("clerk")
    page = clerk.get(f"/admin/events/details/?id={event.pk}").data.decode()
    box = page.split('id="signup-table-box"')[0].rsplit("<div", 1)[1]
    assert "table-responsive" in box
    header = page.split('id="signup-table"')[1].split("</thead>")[0]
    assert '<th class="d-none d-sm-table-cell">#</th>' in header
    assert 'class="d-none d-md-table-cell">Contact phone</th>' in header
    assert 'class="d-md-none small text-nowrap signup-phone">13800138000</div>' in page   # under the name
    calendar = clerk.get("/admin/event_calendar/?month=2026-05").data.decode()
    assert "table-responsive" in calendar.split('id="event-calendar-box"')[0].rsplit("<div", 1)[1]
    assert "table-layout: fixed" in calendar and 'class="text-muted calendar-where"' in calendar
