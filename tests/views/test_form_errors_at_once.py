"""Every error of a create or edit form in one round (issue 14, item 11): the fields' own errors (a
date that does not exist, a choice never offered, a text too long) and the record's rules (the
document's validation and its clean()) together, each message on its field, in the user's language,
nothing saved and everything typed kept. A rule that would need a value whose input did not parse
says nothing (no second, misleading message on that field)."""
import re
from html import unescape

import pytest

from documents.complaints import Complaint
from documents.events import Event
from documents.repairs import Repair
from documents.residents import Household
from documents.staff import Staff
from tests.events_support import ew  # noqa: F401 - fixture
from tests.views.test_complaints_views import complaint_payload
from tests.views.test_repairs_views import register_payload
from tests.views.test_residents import edit_payload

LANGUAGES = ["en", "zh_Hans_CN"]
MESSAGES = {
    "date_time": ("Enter a date and time such as 2026-11-28 10:00.", "请按 2026-11-28 10:00 的格式输入日期和时间。"),
    "room": ("Choose the room, or set the location to a public area.", "请选择房号，或将位置设为公共区域。"),
    "mobile": ("Not a mainland mobile number: 11 digits starting with 13–19.",
               "不是有效的内地手机号码：应为 11 位，以 13–19 开头。"),
    "classify": ("Classify the complaint: class 1, 2 or 3.", "请为投诉分类：一类、二类或三类。"),
    "choice": ("Not a valid choice.", "不是有效的选择。"),
    "too_long": ("Field cannot be longer than 60 characters.", "字段长度不能超过 60 个字符。"),
    "move_out": ("The move-out date cannot be before the move-in date.", "迁出日期不能早于入住日期。"),
    "title": ("Give a title in Chinese or in English.", "请填写中文或英文标题。"),
    "venue_holds": ("The venue holds at most 80 people.", "该场地最多容纳 80 人。"),
    "end": ("The end must be after the start.", "结束时间必须晚于开始时间。"),
    "stale": ("Someone else saved this record", "其他人已保存了这条记录"),
}


def said(key, language):
    return MESSAGES[key][0 if language == "en" else 1]


def client_in(client_as, username, language):
    Staff.objects(username=username).update_one(set__language=language)
    return client_as(username)


def field_group(html: str, field_id: str) -> str:
    """The text of the form group holding the input `field_id` (its label, input and messages)."""
    start = html.index(f'id="{field_id}"')
    start = html.rindex('<div class="form-group', 0, start)
    following = html.find('<div class="form-group', start + 10)
    return unescape(html[start:following if following > 0 else len(html)])


def assert_on_field(html, field_id, *messages):
    group = field_group(html, field_id)
    assert "is-invalid" in group, (field_id, group[:600])
    for message in messages:
        assert message in group, (field_id, message, re.sub(r"\s+", " ", group)[:800])


# --- a field error and a rule error, both shown at once ------------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_repair_registration_shows_a_wrong_date_and_the_rules_at_once(client_as, world, language):
    client = client_in(client_as, "clerk", language)
    data = register_payload(world, room="", appointment_at="2026-02-31 14:30", resident_phone="12345")
    html = client.post("/admin/repairs/new/", data=data).get_data(as_text=True)
    assert_on_field(html, "appointment_at", said("date_time", language))   # the field's own check
    assert_on_field(html, "room", said("room", language))                  # the record's rule (clean)
    assert_on_field(html, "resident_phone", said("mobile", language))      # the document's field check
    assert Repair.objects.count() == 0
    assert 'value="2026-02-31 14:30"' in html and 'value="12345"' in html and "卫生间地漏堵塞" in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_complaint_registration_shows_a_wrong_date_and_the_missing_class_at_once(client_as, world, language):
    client = client_in(client_as, "clerk", language)
    data = complaint_payload(world, received_at="2026-02-31 23:50", complaint_class="")
    html = client.post("/admin/complaints/new/", data=data).get_data(as_text=True)
    assert_on_field(html, "received_at", said("date_time", language))
    assert_on_field(html, "complaint_class", said("classify", language))
    assert Complaint.objects.count() == 0
    assert 'value="2026-02-31 23:50"' in html and "楼上漏水到我家天花板" in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_rule_needing_a_value_that_did_not_parse_says_nothing_on_that_field(client_as, world, language):
    """A class never offered is refused as a choice; the rule "classify the complaint" (which would
    see no class) must not add a second message there, while the phone rule still speaks."""
    client = client_in(client_as, "clerk", language)
    data = complaint_payload(world, received_at="2026-02-31 23:50", complaint_class="9", resident_phone="12345")
    html = client.post("/admin/complaints/new/", data=data).get_data(as_text=True)
    assert_on_field(html, "complaint_class", said("choice", language))
    assert said("classify", language) not in html
    assert_on_field(html, "received_at", said("date_time", language))
    assert_on_field(html, "resident_phone", said("mobile", language))
    assert Complaint.objects.count() == 0


@pytest.mark.parametrize("language", LANGUAGES)
def test_archive_edit_shows_a_too_long_name_and_the_rules_at_once(client_as, world, language):
    hh = world["hh_a"]
    client = client_in(client_as, "manager", language)
    data = edit_payload(hh, name="x" * 61, move_in_date="2020-05-01", move_out_date="2019-01-01",
                        **{"owners-0-phone": "12345"})
    html = client.post(f"/admin/households/edit/?id={hh.pk}", data=data).get_data(as_text=True)
    assert_on_field(html, "name", said("too_long", language))
    assert_on_field(html, "move_out_date", said("move_out", language))
    assert_on_field(html, "owners-0-phone", said("mobile", language))
    stored = Household.objects.get(pk=hh.pk)
    assert (stored.name, stored.version, stored.move_out_date, stored.owners[0].phone) == \
        ("张伟", hh.version, None, "13800138000")
    assert 'value="2019-01-01"' in html and 'value="12345"' in html


def event_payload(ew, **overrides):
    data = {"community": str(ew.community.pk), "title_zh": "中秋游园", "title_en": "", "event_type": "culture",
            "start": "2026-06-19 19:00:00", "end": "2026-06-19 21:00:00", "venue": str(ew.venue.pk),
            "capacity": "30", "budget": "1234.50", "organiser": "客服中心"}
    data.update(overrides)
    return data


@pytest.mark.parametrize("language", LANGUAGES)
def test_event_form_shows_wrong_date_and_number_with_the_rules_at_once(ew, client_as, language):
    client = client_in(client_as, "culture", language)
    data = event_payload(ew, title_zh="", start="2026-06-31 19:00:00", capacity="3000", budget="12x")
    html = client.post("/admin/events/new/", data=data).get_data(as_text=True)
    assert_on_field(html, "start", said("date_time", language))
    assert_on_field(html, "budget")
    assert_on_field(html, "title_zh", said("title", language))
    assert_on_field(html, "capacity", said("venue_holds", language))
    assert said("end", language) not in html      # "end after start" needs the start that did not parse
    assert Event.objects.count() == 0
    assert 'value="2026-06-31 19:00:00"' in html and 'value="3000"' in html and "客服中心" in html


# --- rule errors alone, valid forms, the lost-update guard ----------------------------------------

@pytest.mark.parametrize("language", LANGUAGES)
def test_a_form_with_only_rule_errors_shows_them_all(ew, client_as, world, language):
    clerk = client_in(client_as, "clerk", language)
    html = clerk.post("/admin/repairs/new/", data=register_payload(world, room="", resident_phone="12345")) \
        .get_data(as_text=True)
    assert_on_field(html, "room", said("room", language))
    assert_on_field(html, "resident_phone", said("mobile", language))
    assert Repair.objects.count() == 0
    culture = client_in(client_as, "culture", language)
    html = culture.post("/admin/events/new/", data=event_payload(ew, title_zh="", end="2026-06-19 18:00:00",
                                                                capacity="3000")).get_data(as_text=True)
    assert_on_field(html, "title_zh", said("title", language))
    assert_on_field(html, "end", said("end", language))
    assert_on_field(html, "capacity", said("venue_holds", language))
    assert Event.objects.count() == 0


def test_valid_forms_still_save(ew, client_as, world):
    assert client_as("clerk").post("/admin/repairs/new/", data=register_payload(world)).status_code == 302
    assert Repair.objects.count() == 1
    assert client_as("culture").post("/admin/events/new/", data=event_payload(ew)).status_code == 302
    assert Event.objects.get().title_zh == "中秋游园"
    hh = world["hh_a"]
    response = client_as("manager").post(f"/admin/households/edit/?id={hh.pk}",
                                         data=edit_payload(hh, move_out_date="2026-01-31", notes="已迁出"))
    assert response.status_code == 302
    hh.reload()
    assert (hh.notes, str(hh.move_out_date)[:10], hh.version) == ("已迁出", "2026-01-31", 2)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_round_of_errors_keeps_the_version_first_opened_so_a_colleagues_save_is_not_overwritten(
        client_as, world, language):
    hh = world["hh_a"]
    opened = str(hh.version)
    manager = client_in(client_as, "manager", language)
    assert client_as("clerk").post(f"/admin/households/edit/?id={hh.pk}",
                                   data=edit_payload(hh, notes="同事的修改")).status_code == 302
    html = manager.post(f"/admin/households/edit/?id={hh.pk}",
                        data=edit_payload(hh, name="x" * 61, notes="我的修改", move_in_date="2020-05-01",
                                          move_out_date="2019-01-01", record_version=opened)).get_data(as_text=True)
    assert_on_field(html, "name", said("too_long", language))
    assert_on_field(html, "move_out_date", said("move_out", language))
    kept = re.search(r'name="record_version"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="record_version"', html)
    assert kept and opened in kept.groups()
    fixed = manager.post(f"/admin/households/edit/?id={hh.pk}",
                         data=edit_payload(hh, notes="我的修改", record_version=opened), follow_redirects=True)
    assert said("stale", language) in fixed.get_data(as_text=True)
    hh.reload()
    assert hh.notes == "同事的修改" and hh.version == 2


# --- forms whose record is made by a document method (a booking by its venue, a sign-up) ---------

@pytest.mark.parametrize("language", LANGUAGES)
def test_booking_form_shows_a_wrong_date_a_clash_and_a_wrong_phone_at_once(ew, client_as, language):
    clerk = client_in(client_as, "clerk", language)
    data = {"venue": str(ew.venue.pk), "start": "2026-05-20 09:00:00", "end": "2026-05-20 11:00:00",
            "purpose": "书法班", "booked_for": "老年协会", "contact_phone": ""}
    assert clerk.post("/admin/venuebookings/new/", data=data).status_code == 302
    html = clerk.post("/admin/venuebookings/new/", data=dict(data, start="2026-05-31 10:00:00", end="2026-06-31 12:00",
                                                            contact_phone="123", purpose="合唱")).get_data(as_text=True)
    assert_on_field(html, "end", said("date_time", language))
    assert_on_field(html, "contact_phone", said("mobile", language))
    html = clerk.post("/admin/venuebookings/new/", data=dict(data, start="2026-05-20 10:30:00", end="2026-05-20 11:30",
                                                            contact_phone="123", purpose="合唱")).get_data(as_text=True)
    assert_on_field(html, "start", "书法班")                         # the clash, naming the booking
    assert_on_field(html, "contact_phone", said("mobile", language))
    from documents.events import VenueBooking
    assert VenueBooking.objects(venue=ew.venue).count() == 1
    assert 'value="合唱"' in html and 'value="123"' in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_up_form_shows_a_wrong_number_and_a_wrong_phone_at_once(ew, client_as, language):
    from documents.events import SignUp
    from tests.events_support import make_event
    event = make_event(ew, capacity=5)
    clerk = client_in(client_as, "clerk", language)
    data = {"event": str(event.pk), "household": str(ew.households[0].pk), "people": "two", "contact_phone": "123"}
    html = clerk.post("/admin/signups/new/", data=data).get_data(as_text=True)
    assert_on_field(html, "people")
    assert_on_field(html, "contact_phone", said("mobile", language))
    assert SignUp.objects.count() == 0
    assert 'value="two"' in html and 'value="123"' in html


def test_a_time_left_out_of_the_check_is_read_in_local_time_like_a_typed_one(ew, client_as):
    """An edit whose start did not parse is checked with the saved start, read as the form shows
    it (local time): not shifted by the community's offset, which would put an event of New Year's
    night 01:00 into the previous year and blame its plan."""
    from tests.events_support import make_event
    event = make_event(ew, state="draft", start=(2026, 1, 1, 1, 0), plan=ew.plan)
    data = event_payload(ew, plan=str(ew.plan.pk), title_zh=event.title_zh, start="2026-13-01 01:00",
                         end="2026-01-01 03:00", record_version=str(event.version))
    html = client_as("culture").post(f"/admin/events/edit/?id={event.pk}", data=data).get_data(as_text=True)
    assert_on_field(html, "start", said("date_time", "en"))
    assert "plan's year" not in unescape(html) and "is-invalid" not in field_group(html, "plan")
    assert Event.objects.get(pk=event.pk).version == event.version


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_rules_of_a_record_are_all_reported_not_only_the_first(client_as, world, language):
    """clean() collects its messages by field (documents.base.RuleErrors) instead of stopping at the
    first: a complaint received in the future and without a class."""
    client = client_in(client_as, "clerk", language)
    data = complaint_payload(world, received_at="2030-01-01 10:00", complaint_class="")
    html = client.post("/admin/complaints/new/", data=data).get_data(as_text=True)
    assert_on_field(html, "received_at", "The complaint cannot be received in the future" if language == "en"
                    else "受理时间不能晚于当前时间")
    assert_on_field(html, "complaint_class", said("classify", language))
    assert Complaint.objects.count() == 0
