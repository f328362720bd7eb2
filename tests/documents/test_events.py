"""Rules of community events: state machine and roles, seats and waiting list, venues, records."""
import io
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from mongoengine import ValidationError

from app import clock
from documents.audit import AuditEntry
from documents.base import DomainError, PermissionDenied
from documents.bilingual import pick
from documents.events import (AnnualPlan, Event, EventFeedback, EventPhoto, SignUp, VenueBooking,
                              make_thumbnail)
from documents.timeline import for_household
from tests.events_support import NOW, ew, local, make_event  # noqa: F401 - fixture
from tests.support import atomic_store_operations, english_request


def field_errors(err) -> dict:
    """Field -> error of a ValidationError raised by a document's clean()."""
    errors = err.value.errors
    return errors["__all__"].errors if "__all__" in errors else errors


def actions_of(doc):
    return [e.action for e in AuditEntry.objects(record_id=str(doc.pk)).order_by("at", "id")]


# --- the state machine and its role checks ---------------------------------------------------

def test_full_life_of_an_event_with_roles_checked_at_every_step(ew):
    event = make_event(ew, state="draft", venue=ew.venue)
    with pytest.raises(PermissionDenied):
        event.submit(ew.clerk)
    event.submit(ew.culture)
    assert event.state == "submitted" and event.version == 2
    for outsider in (ew.culture, ew.clerk, ew.housekeeper):
        with pytest.raises(PermissionDenied):
            event.approve(outsider)
    assert Event.objects.get(pk=event.pk).state == "submitted"
    event.approve(ew.supervisor)
    assert event.state == "approved" and event.decided_by.pk == ew.supervisor.pk
    with pytest.raises(DomainError, match="not possible while"):
        event.approve(ew.supervisor)  # a second click changes nothing
    with pytest.raises(PermissionDenied):
        event.publish(ew.clerk)
    event.publish(ew.culture)
    assert event.state == "published"
    assert event.booking is not None and event.booking.venue.pk == ew.venue.pk
    with pytest.raises(DomainError, match="not started"):
        event.mark_held(ew.culture)
    clock.freeze(event.start + timedelta(minutes=5))
    event.mark_held(ew.culture)
    with pytest.raises(DomainError, match="summary"):
        event.record(ew.culture, "   ")
    with pytest.raises(PermissionDenied):
        event.record(ew.clerk, "text")
    event.record(ew.culture, "到场120人，猜灯谜、做月饼。")
    stored = Event.objects.get(pk=event.pk)
    assert stored.state == "recorded" and stored.summary.startswith("到场120人")
    assert actions_of(event) == ["create", "submit", "approve", "publish", "mark_held", "record"] \
        or actions_of(event) == ["submit", "approve", "publish", "mark_held", "record"]
    entry = AuditEntry.objects(record_id=str(event.pk), action="approve").first()
    assert entry.actor_name == "supervisor" and any(c.field == "state" and c.new == "approved"
                                                    for c in entry.changes)


def test_stale_copy_cannot_apply_a_transition_twice(ew):
    event = make_event(ew, state="submitted")
    first, second = Event.objects.get(pk=event.pk), Event.objects.get(pk=event.pk)
    first.approve(ew.supervisor)
    with pytest.raises(DomainError, match="moved this record on"):
        second.reject(ew.supervisor, "预算过高")  # read as submitted, but it is approved now
    assert Event.objects.get(pk=event.pk).state == "approved"
    assert actions_of(event).count("approve") == 1 and "reject" not in actions_of(event)


def test_reject_needs_a_reason_then_revise_and_resubmit(ew):
    event = make_event(ew, state="submitted")
    with pytest.raises(DomainError, match="reason"):
        event.reject(ew.supervisor, "")
    event.reject(ew.supervisor, "预算过高，请压缩到500元")
    assert event.state == "rejected" and event.rejection_reason == "预算过高，请压缩到500元"
    with pytest.raises(PermissionDenied):
        event.revise(ew.clerk)
    event.revise(ew.culture)
    assert event.state == "draft"
    event.budget = Decimal("500.00")
    event.save_versioned(event.version)
    event.submit(ew.culture)
    assert event.state == "submitted" and event.rejection_reason is None


def test_cancel_before_held_lists_households_and_frees_the_venue(ew):
    event = make_event(ew, state="approved", venue=ew.venue)
    event.publish(ew.culture)
    event.sign_up(ew.households[0], 2, "", ew.clerk)
    event.sign_up(ew.households[1], 1, "13912345678", ew.clerk)
    with pytest.raises(PermissionDenied):
        event.cancel(ew.clerk, "下雨")
    with pytest.raises(DomainError, match="reason"):
        event.cancel(ew.culture, " ")
    to_call = event.cancel(ew.culture, "台风预警，活动取消")
    assert {s.household.pk for s in to_call} == {ew.households[0].pk, ew.households[1].pk}
    assert to_call[0].contact_phone == "13800138000"  # taken from the archive when not given
    assert event.state == "cancelled" and event.cancel_reason == "台风预警，活动取消"
    assert VenueBooking.objects.get(pk=event.booking.pk).state == "cancelled"
    assert ew.venue.conflicts(event.start, event.end).count() == 0


def test_no_cancel_once_held(ew):
    event = make_event(ew, state="held")
    with pytest.raises(DomainError, match="not possible while"):
        event.cancel(ew.manager, "太晚了")
    assert Event.objects.get(pk=event.pk).state == "held"


def test_content_is_locked_after_submission_but_description_and_capacity_may_change(ew):
    event = make_event(ew, state="published", capacity=3)
    event.sign_up(ew.households[0], 2, "", ew.clerk)
    event.reload()
    event.title_zh = "改了标题"
    with pytest.raises(ValidationError) as err:
        event.save_versioned(event.version)
    assert "title_zh" in field_errors(err)
    event.reload()
    event.description_zh = "请带上家人一起来"
    event.capacity = 10
    event.save_versioned(event.version)
    event.reload()
    event.capacity = 1  # two people are already confirmed
    with pytest.raises(ValidationError) as err:
        event.save_versioned(event.version)
    assert "capacity" in field_errors(err)
    assert Event.objects.get(pk=event.pk).capacity == 10


def test_plan_is_submitted_and_approved_as_a_whole(ew):
    events = [make_event(ew, state="draft", plan=ew.plan, title_zh=f"活动{i}", budget="1000.00")
              for i in range(3)]
    with pytest.raises(PermissionDenied):
        ew.plan.submit(ew.clerk)
    ew.plan.submit(ew.culture)
    assert ew.plan.state == "submitted"
    assert [Event.objects.get(pk=e.pk).state for e in events] == ["submitted"] * 3
    with pytest.raises(PermissionDenied):
        ew.plan.approve(ew.culture)
    ew.plan.approve(ew.supervisor)
    assert ew.plan.state == "approved"
    assert [Event.objects.get(pk=e.pk).state for e in events] == ["approved"] * 3
    assert ew.plan.planned_total() == Decimal("3000.00")


def test_plan_over_budget_is_refused_and_rejection_carries_the_reason(ew):
    make_event(ew, state="draft", plan=ew.plan, budget="4000.00")
    over = make_event(ew, state="draft", plan=ew.plan, title_zh="篮球赛", budget="1000.01")
    with pytest.raises(DomainError, match="more than"):
        ew.plan.submit(ew.culture)
    assert AnnualPlan.objects.get(pk=ew.plan.pk).state == "draft"
    over.budget = Decimal("1000.00")
    over.save_versioned(over.version)
    ew.plan.submit(ew.culture)
    ew.plan.reject(ew.supervisor, "请增加志愿者活动")
    assert ew.plan.rejection_reason == "请增加志愿者活动"
    assert Event.objects.get(pk=over.pk).state == "rejected"
    assert Event.objects.get(pk=over.pk).rejection_reason == "请增加志愿者活动"


def test_budget_is_an_exact_decimal(ew):
    event = make_event(ew, budget=Decimal("0.10") + Decimal("0.20"))
    assert Event.objects.get(pk=event.pk).budget == Decimal("0.30")
    raw = Event.objects(pk=event.pk).as_pymongo().first()
    assert str(raw["budget"]) == "0.30" and not isinstance(raw["budget"], float)


def test_event_must_fall_in_its_plan_year_and_community(ew):
    with pytest.raises(ValidationError) as err:
        make_event(ew, plan=ew.plan, start=(2027, 1, 5, 9, 0))
    assert "plan" in field_errors(err)
    with pytest.raises(ValidationError) as err:
        make_event(ew, venue=ew.venue_b)
    assert "venue" in field_errors(err)


# --- capacity and waiting list ---------------------------------------------------------------

def test_signups_beyond_capacity_wait_and_a_cancellation_promotes_the_first(ew):
    event = make_event(ew, capacity=3)
    h = ew.households
    first = event.sign_up(h[0], 2, "", ew.clerk)
    second = event.sign_up(h[1], 1, "", ew.clerk)
    third = event.sign_up(h[2], 1, "", ew.clerk)
    fourth = event.sign_up(h[3], 1, "", ew.clerk)
    assert [first.state, second.state, third.state, fourth.state] == ["confirmed", "confirmed", "waiting", "waiting"]
    assert third.waiting_number() == 1 and fourth.waiting_number() == 2
    assert Event.objects.get(pk=event.pk).taken == 3
    second.cancel(ew.clerk)
    assert SignUp.objects.get(pk=third.pk).state == "confirmed"   # the first in line moves up
    assert SignUp.objects.get(pk=fourth.pk).state == "waiting"
    assert SignUp.objects.get(pk=fourth.pk).waiting_number() == 1
    assert Event.objects.get(pk=event.pk).taken == 3
    assert "promote" in actions_of(third)
    first.cancel(ew.clerk)  # two places free: the next one moves up too
    assert SignUp.objects.get(pk=fourth.pk).state == "confirmed"
    assert Event.objects.get(pk=event.pk).taken == 2


def test_waiting_list_is_first_come_first_served(ew):
    event = make_event(ew, capacity=3)
    h = ew.households
    event.sign_up(h[0], 2, "", ew.clerk)
    big = event.sign_up(h[1], 3, "", ew.clerk)      # does not fit: waits
    small = event.sign_up(h[2], 1, "", ew.clerk)    # fits, but may not jump the queue
    assert (big.state, small.state) == ("waiting", "waiting")
    SignUp.objects.get(household=h[0]).cancel(ew.clerk)
    assert SignUp.objects.get(pk=big.pk).state == "confirmed"
    assert SignUp.objects.get(pk=small.pk).state == "waiting"


def test_capacity_increase_moves_the_waiting_list_up(ew):
    event = make_event(ew, capacity=1)
    event.sign_up(ew.households[0], 1, "", ew.clerk)
    waiting = event.sign_up(ew.households[1], 1, "", ew.clerk)
    event.reload()
    event.capacity = 2
    event.save_versioned(event.version)
    event.promote_waiting(ew.culture)
    assert SignUp.objects.get(pk=waiting.pk).state == "confirmed"


def test_a_household_cannot_sign_up_twice(ew):
    event = make_event(ew, capacity=5)
    event.sign_up(ew.households[0], 1, "", ew.clerk)
    with pytest.raises(DomainError, match="already signed up"):
        event.sign_up(ew.households[0], 2, "", ew.clerk)
    assert SignUp.objects(event=event).count() == 1
    assert Event.objects.get(pk=event.pk).taken == 1
    # the database itself refuses a second row for the same household
    from mongoengine.errors import NotUniqueError
    with pytest.raises(NotUniqueError):
        SignUp(community=ew.community, event=event, household=ew.households[0], people=1,
               state="waiting", position=99).save()
    # after a cancellation the household may sign up again, at the end of the list
    SignUp.objects.get(event=event).cancel(ew.clerk)
    again = event.sign_up(ew.households[0], 2, "", ew.clerk)
    assert again.state == "confirmed" and again.people == 2
    assert SignUp.objects(event=event).count() == 1


def test_signup_rules_role_state_community_buildings(ew):
    event = make_event(ew, capacity=5)
    with pytest.raises(PermissionDenied):
        event.sign_up(ew.households[0], 1, "", ew.culture)
    with pytest.raises(DomainError, match="another community"):
        event.sign_up(ew.world["hh_b"], 1, "", ew.clerk)
    with pytest.raises(DomainError, match="1 to 5"):
        event.sign_up(ew.households[0], 6, "", ew.clerk)
    with pytest.raises(DomainError, match="mobile"):
        event.sign_up(ew.households[0], 1, "12345", ew.clerk)
    draft = make_event(ew, state="draft", title_zh="草稿")
    with pytest.raises(DomainError, match="published"):
        draft.sign_up(ew.households[0], 1, "", ew.clerk)
    from documents.places import Building
    other = Building(community=ew.community, number="9").save()
    only_9 = make_event(ew, title_zh="9栋活动", target_buildings=[other])
    with pytest.raises(DomainError, match="buildings 9"):
        only_9.sign_up(ew.households[0], 1, "", ew.clerk)
    assert SignUp.objects.count() == 0


def test_concurrent_signups_never_exceed_capacity_threads(ew, app):
    """Eight clerks at once, all reading the event before any writes: exactly 3 confirmed."""
    import mongoengine.queryset.base as qs_base
    from documents.residents import Household, Person

    rooms = ew.world["rooms"]["A"]
    from documents.places import Building
    building = Building.objects.get(community=ew.community, number="1")
    building.generate_units_and_rooms(2, 3, 2)
    from documents.places import Room
    extra = [Household(community=ew.community, room=r, name=f"并发{i}",
                       owners=[Person(name=f"并发{i}", relation="owner", phone="13700000000")]).save_versioned(None)
             for i, r in enumerate(Room.objects(community=ew.community, unit_no="2"))]
    households = ew.households + extra
    assert len(households) >= 8 and len(rooms) == 6
    event = make_event(ew, capacity=3)
    barrier = threading.Barrier(8, timeout=10)
    original_modify = qs_base.BaseQuerySet.modify
    local_state = threading.local()

    def modify_after_everyone_read(self, *args, **kwargs):
        # the first seat-taking write of every thread waits until all threads have read the event
        if self._document is Event and "inc__taken" in kwargs and not getattr(local_state, "waited", False):
            local_state.waited = True
            barrier.wait()
        return original_modify(self, *args, **kwargs)

    results, errors = [], []

    def clerk(household):
        with english_request(app):
            try:
                results.append(Event.objects.get(pk=event.pk).sign_up(household, 1, "", ew.clerk).state)
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    qs_base.BaseQuerySet.modify = modify_after_everyone_read
    try:
        with atomic_store_operations():
            threads = [threading.Thread(target=clerk, args=(h,)) for h in households[:8]]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
    finally:
        qs_base.BaseQuerySet.modify = original_modify
    assert not errors, errors
    assert len(results) == 8 and set(results) <= {"confirmed", "waiting"}
    states = sorted(s.state for s in SignUp.objects(event=event))
    # never more than capacity; which three threads win is up to the scheduler (first come first
    # served is checked without threads, where "first" is well defined)
    assert states == ["confirmed"] * 3 + ["waiting"] * 5
    assert Event.objects.get(pk=event.pk).taken == 3
    assert SignUp.objects(event=event, state="confirmed").count() == 3


def test_concurrent_signups_forced_interleaving_with_stale_copies(ew):
    """Two clerks opened the event when one place was left; both press "sign up"."""
    event = make_event(ew, capacity=2)
    event.sign_up(ew.households[0], 1, "", ew.clerk)
    clerk1_view, clerk2_view = Event.objects.get(pk=event.pk), Event.objects.get(pk=event.pk)
    assert clerk1_view.free_places == clerk2_view.free_places == 1
    a = clerk1_view.sign_up(ew.households[1], 1, "", ew.clerk)
    b = clerk2_view.sign_up(ew.households[2], 1, "", ew.clerk)
    assert (a.state, b.state) == ("confirmed", "waiting")
    assert Event.objects.get(pk=event.pk).taken == 2


def test_seat_write_is_conditional_even_when_the_read_said_free(ew, monkeypatch):
    """Between reading "1 place free" and writing, another sign-up takes the place."""
    event = make_event(ew, capacity=1)
    import mongoengine.queryset.base as qs_base
    original = qs_base.BaseQuerySet.modify
    sneaked = []

    def modify(self, *args, **kwargs):
        if self._document is Event and "inc__taken" in kwargs and not sneaked:
            sneaked.append(True)
            Event.objects(pk=event.pk).update_one(inc__taken=1)  # the competitor's write lands first
        return original(self, *args, **kwargs)

    monkeypatch.setattr(qs_base.BaseQuerySet, "modify", modify)
    signup = event.sign_up(ew.households[0], 1, "", ew.clerk)
    assert signup.state == "waiting"
    assert Event.objects.get(pk=event.pk).taken == 1


# --- venues ---------------------------------------------------------------------------------

def test_venue_conflicts_touching_intervals_allowed(ew):
    c = ew.community
    first = ew.venue.book(local(c, 2026, 5, 9, 10), local(c, 2026, 5, 9, 12), ew.clerk, purpose="书法班")
    after = ew.venue.book(local(c, 2026, 5, 9, 12), local(c, 2026, 5, 9, 14), ew.clerk, purpose="舞蹈队")
    before = ew.venue.book(local(c, 2026, 5, 9, 8), local(c, 2026, 5, 9, 10), ew.clerk, purpose="晨练")
    assert {b.state for b in (first, after, before)} == {"booked"}
    with pytest.raises(DomainError) as err:
        ew.venue.book(local(c, 2026, 5, 9, 11), local(c, 2026, 5, 9, 13), ew.clerk, purpose="合唱")
    assert "书法班" in err.value.message and "10:00" in err.value.message
    with pytest.raises(DomainError, match="舞蹈队"):
        ew.venue.book(local(c, 2026, 5, 9, 12, 30), local(c, 2026, 5, 9, 13), ew.clerk)
    with pytest.raises(DomainError, match="晨练"):  # one inside another
        ew.venue.book(local(c, 2026, 5, 9, 7), local(c, 2026, 5, 9, 15), ew.clerk)
    # another venue, or after cancelling, the time is free
    ew.square.book(local(c, 2026, 5, 9, 11), local(c, 2026, 5, 9, 13), ew.clerk, purpose="合唱")
    with pytest.raises(PermissionDenied):
        first.cancel(ew.housekeeper)
    first.cancel(ew.clerk, "老师请假")
    ew.venue.book(local(c, 2026, 5, 9, 10, 30), local(c, 2026, 5, 9, 11, 30), ew.clerk, purpose="合唱")
    assert VenueBooking.objects(venue=ew.venue, state="booked").count() == 3
    with pytest.raises(DomainError, match="after the start"):
        ew.venue.book(local(c, 2026, 5, 9, 18), local(c, 2026, 5, 9, 18), ew.clerk)


def test_publishing_into_a_booked_venue_is_refused_naming_the_booking(ew):
    c = ew.community
    ew.venue.book(local(c, 2026, 5, 10, 18), local(c, 2026, 5, 10, 20), ew.clerk, purpose="业委会会议")
    event = make_event(ew, state="approved", venue=ew.venue)  # 19:00-21:00 on the same day
    with pytest.raises(DomainError, match="业委会会议"):
        event.publish(ew.culture)
    assert Event.objects.get(pk=event.pk).state == "approved"
    assert VenueBooking.objects(event=event).count() == 0


# --- language fallback ----------------------------------------------------------------------

def test_titles_fall_back_to_the_other_language(ew, app):
    both = make_event(ew, title_zh="中秋游园会", title_en="Mid-Autumn fair")
    zh_only = make_event(ew, title_zh="端午包粽子", title_en="")
    en_only = make_event(ew, title_zh="", title_en="Yoga in the park")
    with app.test_request_context("/"):
        with force_locale("en"):
            assert [both.title, zh_only.title, en_only.title] == \
                ["Mid-Autumn fair", "端午包粽子", "Yoga in the park"]
        with force_locale("zh_Hans_CN"):
            assert [both.title, zh_only.title, en_only.title] == \
                ["中秋游园会", "端午包粽子", "Yoga in the park"]
    assert pick("  ", "English", "zh_Hans_CN") == "English"
    assert pick("中文", None, "en") == "中文"
    with pytest.raises(ValidationError):
        make_event(ew, title_zh=" ", title_en="")


# --- attendance and records -----------------------------------------------------------------

def test_attendance_is_ticked_on_the_day_once(ew):
    event = make_event(ew, capacity=1)
    confirmed = event.sign_up(ew.households[0], 1, "", ew.clerk)
    waiting = event.sign_up(ew.households[1], 1, "", ew.clerk)
    with pytest.raises(DomainError, match="day of the event"):
        confirmed.set_attended(ew.clerk)
    clock.freeze(local(ew.community, 2026, 5, 10, 8, 0))  # the morning of the day, local time
    with pytest.raises(PermissionDenied):
        confirmed.set_attended(ew.housekeeper)
    confirmed.set_attended(ew.clerk)
    assert SignUp.objects.get(pk=confirmed.pk).attended is True
    with pytest.raises(DomainError, match="already"):
        confirmed.set_attended(ew.clerk)
    with pytest.raises(DomainError, match="confirmed"):
        waiting.set_attended(ew.clerk)
    confirmed.set_attended(ew.clerk, False)
    assert SignUp.objects.get(pk=confirmed.pk).attended is False
    assert actions_of(confirmed).count("attend") == 1 and "unattend" in actions_of(confirmed)


def _png(size=(800, 600), colour=(200, 40, 40)):
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def test_photos_are_stored_with_thumbnails_only_after_the_event(ew):
    event = make_event(ew)
    with pytest.raises(DomainError, match="held"):
        event.add_photo(ew.culture, _png())
    Event.objects(pk=event.pk).update_one(set__state="held")
    event.reload()
    with pytest.raises(PermissionDenied):
        event.add_photo(ew.clerk, _png())
    with pytest.raises(DomainError, match="not a picture"):
        event.add_photo(ew.culture, b"<script>alert(1)</script>", filename="x.png")
    photo = event.add_photo(ew.culture, _png(), caption="猜灯谜")
    stored = EventPhoto.objects.get(pk=photo.pk)
    assert stored.content_type == "image/png" and (stored.width, stored.height) == (800, 600)
    assert stored.image.read() == _png()
    from PIL import Image
    thumb = Image.open(io.BytesIO(stored.thumbnail.read()))
    assert thumb.format == "JPEG" and max(thumb.size) == 320
    assert "add_photo" in actions_of(event)
    stored.remove(ew.culture)
    assert EventPhoto.objects(event=event).count() == 0


def test_thumbnail_refuses_decompression_bombs():
    from PIL import Image
    out = io.BytesIO()
    Image.new("1", (9000, 9000)).save(out, "PNG")  # 81 megapixels, a few KB
    with pytest.raises(DomainError, match="megapixels"):
        make_thumbnail(out.getvalue())


def test_feedback_ratings_and_average(ew):
    event = make_event(ew, state="held")
    for rating in (5, 4, 4):
        event.add_feedback(ew.culture, rating, "很好", household=ew.households[0])
    with pytest.raises(DomainError, match="1 to 5"):
        event.add_feedback(ew.culture, 6)
    with pytest.raises(DomainError, match="another community"):
        event.add_feedback(ew.culture, 3, household=ew.world["hh_b"])
    assert EventFeedback.objects(event=event).count() == 3
    assert event.feedback_average() == Decimal("4.3")


def test_signups_and_attendance_appear_on_the_household_timeline(ew, app):
    event = make_event(ew, capacity=5)
    signup = event.sign_up(ew.households[0], 2, "", ew.clerk)
    clock.freeze(local(ew.community, 2026, 5, 10, 19, 30))
    signup.set_attended(ew.clerk)
    with app.test_request_context("/"), force_locale("en"):
        titles = [item.title for item in for_household(ew.households[0])]
    assert "Signed up for Mid-Autumn fair (2 people)" in titles
    assert "Attended Mid-Autumn fair" in titles
    assert not any("Mid-Autumn" in item.title for item in for_household(ew.households[1]))


# --- the workflow engine: ownership, timing rules, audit labels, steps taken once --------------

def test_staff_of_another_community_can_take_no_step_and_create_nothing_here(ew):
    """The documents themselves check the community (not only the pages)."""
    outsider = ew.world["staff"]["manager_b"]           # a manager, but of community B
    event = make_event(ew, state="submitted", venue=ew.venue)
    for step, arguments in (("approve", {}), ("reject", {"reason": "不行"}), ("cancel", {"reason": "不行"})):
        with pytest.raises(PermissionDenied, match="own communities"):
            event.perform(step, outsider, **arguments)
    with pytest.raises(PermissionDenied, match="own communities"):
        ew.plan.submit(outsider)
    published = make_event(ew, title_zh="已发布", start=(2026, 5, 12, 19, 0))
    with pytest.raises(PermissionDenied, match="own communities"):
        published.sign_up(ew.households[0], 1, "", outsider)
    with pytest.raises(PermissionDenied, match="own communities"):
        ew.venue.book(local(ew.community, 2026, 5, 20, 9), local(ew.community, 2026, 5, 20, 10), outsider)
    held = make_event(ew, state="held", title_zh="已举办")
    with pytest.raises(PermissionDenied, match="own communities"):
        held.add_feedback(outsider, 5)
    assert Event.objects.get(pk=event.pk).state == "submitted"
    assert SignUp.objects.count() == 0 and VenueBooking.objects.count() == 0 and EventFeedback.objects.count() == 0
    assert AuditEntry.objects(actor_name="manager_b").count() == 0


def test_timing_rules_are_preconditions_no_button_before_time_and_the_page_says_why(ew):
    event = make_event(ew, state="published")           # starts 2026-05-10 19:00, now is 05-01
    assert not event.offers("mark_held", ew.culture)    # not yet: no button ...
    assert event.why_not("mark_held", ew.culture) == "The event has not started yet."   # ... the page says why not
    clock.freeze(event.start)
    assert event.allows("mark_held", ew.culture) and event.offers("mark_held", ew.culture)
    late = make_event(ew, state="approved", title_zh="迟到的活动", start=(2026, 4, 30, 9, 0))
    assert "start has passed" in late.why_not("publish", ew.culture)
    draft = make_event(ew, state="draft", title_zh="过期草稿", start=(2026, 4, 30, 9, 0))
    with pytest.raises(DomainError, match="change the date first"):
        draft.submit(ew.culture)
    assert Event.objects.get(pk=draft.pk).state == "draft"


def test_approving_the_plan_audits_each_events_approval_naming_the_plan(ew):
    events = [make_event(ew, state="draft", plan=ew.plan, title_zh=f"计划内{i}", budget="100.00") for i in range(2)]
    ew.plan.submit(ew.culture)
    ew.plan.approve(ew.supervisor)
    for event in events:
        entries = list(AuditEntry.objects(record_id=str(event.pk)).order_by("at", "id"))
        assert [e.action for e in entries] == ["submit", "approve"]
        assert entries[1].actor_name == "supervisor" and entries[1].note == str(ew.plan)
        assert ("state", "submitted", "approved") in [(c.field, c.old, c.new) for c in entries[1].changes]
    plan_entries = [e.action for e in AuditEntry.objects(record_id=str(ew.plan.pk)).order_by("at", "id")]
    assert plan_entries == ["submit", "approve"]


def test_each_cancellation_reads_as_its_own_in_the_history(ew, monkeypatch):
    from documents import audit
    monkeypatch.setitem(audit.ACTION_LABELS, "cancel", "Cancel")   # what repairs registered for every area
    event = make_event(ew, capacity=5, venue=ew.venue, state="approved")
    event.publish(ew.culture)
    signup = event.sign_up(ew.households[0], 1, "", ew.clerk)
    signup.cancel(ew.clerk)
    event.cancel(ew.culture, "暴雨预警")
    labels = {e.action: audit.action_label(e) for e in AuditEntry.objects(action__in=[
        "cancel", "cancel_signup", "cancel_booking"])}
    assert labels == {"cancel": "Event cancelled", "cancel_signup": "Sign-up cancelled",
                      "cancel_booking": "Venue booking cancelled"}
    assert audit.action_label("cancel") == "Cancel"     # another area's "cancel" keeps its own label


def test_an_events_booking_is_cancelled_only_with_its_event(ew):
    event = make_event(ew, state="approved", venue=ew.venue)
    event.publish(ew.culture)
    booking = VenueBooking.objects.get(event=event)
    with pytest.raises(DomainError, match="cancel the event instead"):
        booking.cancel(ew.clerk, "冲突")
    assert VenueBooking.objects.get(pk=booking.pk).state == "booked"
    event.cancel(ew.supervisor, "暴雨预警")              # the supervisor may cancel events, not bookings
    stored = VenueBooking.objects.get(pk=booking.pk)
    assert (stored.state, stored.cancel_reason) == ("cancelled", "暴雨预警")
    entry = AuditEntry.objects.get(record_id=str(booking.pk), action="cancel_booking")
    assert entry.actor_name == "supervisor" and entry.note == "暴雨预警"


def test_a_double_click_on_publish_books_the_venue_once(ew):
    event = make_event(ew, state="approved", venue=ew.venue)
    first, second = Event.objects.get(pk=event.pk), Event.objects.get(pk=event.pk)
    first.publish(ew.culture)
    with pytest.raises(DomainError, match="moved this record on"):
        second.publish(ew.culture)
    assert VenueBooking.objects(event=event).count() == 1
    assert VenueBooking.objects.get(event=event).state == "booked"     # the event's booking stays
    assert Event.objects.get(pk=event.pk).booking.pk == VenueBooking.objects.get(event=event).pk


def test_two_stale_copies_cancelling_one_sign_up_give_its_places_back_once(ew):
    event = make_event(ew, capacity=3)
    signup = event.sign_up(ew.households[0], 2, "", ew.clerk)
    waiting = event.sign_up(ew.households[1], 3, "", ew.clerk)
    first, second = SignUp.objects.get(pk=signup.pk), SignUp.objects.get(pk=signup.pk)
    assert [p.pk for p in first.cancel(ew.clerk)] == [waiting.pk]
    with pytest.raises(DomainError):
        second.cancel(ew.clerk)
    assert Event.objects.get(pk=event.pk).taken == 3                  # 2 given back once, 3 taken by the next
    assert SignUp.objects.get(pk=waiting.pk).state == "confirmed"
    assert actions_of(signup) == ["sign_up", "cancel_signup"]
    assert actions_of(waiting) == ["sign_up", "promote"]


def test_attendance_from_a_stale_copy_is_ticked_once(ew):
    event = make_event(ew, capacity=2)
    signup = event.sign_up(ew.households[0], 1, "", ew.clerk)
    clock.freeze(event.start)
    first, second = SignUp.objects.get(pk=signup.pk), SignUp.objects.get(pk=signup.pk)
    first.attend(ew.clerk)
    with pytest.raises(DomainError):
        second.attend(ew.culture)
    stored = SignUp.objects.get(pk=signup.pk)
    assert stored.attended and stored.attended_by.username == "clerk"
    assert actions_of(signup).count("attend") == 1


def test_sign_ups_change_only_while_the_event_is_published(ew):
    event = make_event(ew, capacity=2)
    signup = event.sign_up(ew.households[0], 1, "", ew.clerk)
    Event.objects(pk=event.pk).update_one(set__state="held")
    signup = SignUp.objects.get(pk=signup.pk)
    assert "while the event is published" in signup.why_not("cancel_signup", ew.clerk)
    assert Event.objects.get(pk=event.pk).taken == 1


def test_notice_steps_check_role_community_state_and_reason(ew):
    from documents.notices import Notice
    notice = Notice(community=ew.community, title_zh="停水通知", body_zh="周六停水。", author=ew.clerk)
    notice.save_versioned(None)
    with pytest.raises(PermissionDenied):
        notice.publish(ew.clerk)
    with pytest.raises(PermissionDenied, match="own communities"):
        notice.publish(ew.world["staff"]["manager_b"])
    notice.publish(ew.supervisor)
    assert (notice.state, notice.publish_date, notice.published_by.username) == ("published", NOW.date(), "supervisor")
    with pytest.raises(DomainError, match="not possible while"):
        notice.publish(ew.supervisor)
    with pytest.raises(DomainError, match="reason"):
        notice.withdraw(ew.supervisor, " ")
    notice.withdraw(ew.supervisor, "时间改期")
    assert notice.state == "withdrawn" and not notice.in_force
    from documents import audit
    entries = list(AuditEntry.objects(record_id=str(notice.pk)).order_by("at", "id"))
    assert [audit.action_label(e) for e in entries] == ["Notice published", "Notice withdrawn"]
    assert entries[1].note == "时间改期"


def test_event_clean_reports_every_problem_on_its_field(ew):
    from documents.places import Building
    other = Building.objects.get(community=ew.world["B"], number="1")
    event = Event(community=ew.community, plan=ew.plan, title_zh=" ", title_en="", event_type="talk",
                  start=local(ew.community, 2027, 3, 1, 10), end=local(ew.community, 2027, 3, 1, 9),
                  venue=ew.venue, capacity=81, target_buildings=[other])
    with pytest.raises(ValidationError) as err:
        event.save()
    assert set(field_errors(err)) == {"title_zh", "end", "plan", "capacity", "target_buildings"}
    held = make_event(ew, state="held", capacity=5)
    held.description_zh = "事后改描述"
    with pytest.raises(ValidationError) as err:
        held.save_versioned(held.version)
    assert "Cannot be changed any more" in str(field_errors(err)["description_zh"])


# --- found by the browser review of 2026-11-27 ------------------------------------------------------

def test_a_booking_is_named_by_its_start_in_the_communitys_local_time(ew):
    c = ew.community
    booking = ew.square.book(local(c, 2026, 11, 29, 7, 0), local(c, 2026, 11, 29, 9, 0), ew.clerk,
                             purpose="太极拳晨练")
    assert booking.start.strftime("%Y-%m-%d %H:%M") == "2026-11-28 23:00"     # stored as UTC
    assert str(booking) == "中心广场 2026-11-29 07:00"
    assert AuditEntry.objects.get(record_id=str(booking.pk), action="book_venue").record_label == \
        "中心广场 2026-11-29 07:00"


def test_an_events_booking_shows_the_events_title_in_the_readers_language(ew):
    event = make_event(ew, state="approved", venue=ew.venue)
    event.publish(ew.culture)                          # published by someone working in English
    booking = VenueBooking.objects.get(event=event)
    assert "Mid-Autumn fair" not in (booking.purpose or "")
    assert booking.purpose_text == "Mid-Autumn fair"
    with force_locale("zh_Hans_CN"):
        assert VenueBooking.objects.get(pk=booking.pk).purpose_text == "中秋游园会"
        assert "中秋游园会" in VenueBooking.objects.get(pk=booking.pk).describe()
    own = ew.square.book(local(ew.community, 2026, 5, 20, 9), local(ew.community, 2026, 5, 20, 11), ew.clerk,
                         purpose="书法班")
    assert own.purpose_text == "书法班"


def test_a_booking_that_is_over_cannot_be_cancelled(ew):
    c = ew.community
    booking = ew.venue.book(local(c, 2026, 5, 2, 9), local(c, 2026, 5, 2, 11), ew.clerk, purpose="书法班")
    assert booking.offers("cancel_booking", ew.clerk)
    clock.freeze(local(c, 2026, 5, 2, 10, 59))          # under way: it may still be called off
    assert booking.offers("cancel_booking", ew.clerk)
    clock.freeze(booking.end)
    assert not booking.offers("cancel_booking", ew.clerk)
    assert booking.why_not("cancel_booking", ew.clerk) == \
        "This booking ended on 2026-05-02 11:00; a booking that is over cannot be cancelled."
    with pytest.raises(DomainError, match="is over cannot be cancelled"):
        booking.cancel(ew.clerk, "")
    assert VenueBooking.objects.get(pk=booking.pk).state == "booked"
    assert "cancel_booking" not in actions_of(booking)


def test_a_sign_up_that_attended_cannot_be_cancelled(ew):
    event = make_event(ew, capacity=2)
    signup = event.sign_up(ew.households[0], 1, "", ew.clerk)
    assert signup.offers("cancel_signup", ew.clerk)
    clock.freeze(event.start)
    signup.attend(ew.clerk)
    assert not signup.offers("cancel_signup", ew.clerk) and signup.offered_steps(ew.clerk) == ["unattend"]
    with pytest.raises(DomainError, match="has attended"):
        signup.cancel(ew.clerk)
    assert SignUp.objects.get(pk=signup.pk).state == "confirmed" and Event.objects.get(pk=event.pk).taken == 1
    signup.unattend(ew.clerk)                           # a mistake is unticked first
    assert signup.offers("cancel_signup", ew.clerk)


def test_steps_that_would_be_refused_are_not_offered(ew):
    """Each rule the buttons obey is a precondition that reads only the record and its references."""
    event = make_event(ew, capacity=3, venue=ew.venue, state="approved")
    event.publish(ew.culture)
    signup = event.sign_up(ew.households[0], 1, "", ew.clerk)
    assert signup.offered_steps(ew.clerk) == ["cancel_signup"]          # no attendance before the day
    assert "mark_held" not in event.offered_steps(ew.culture)           # not held before it starts
    assert not event.booking.offers("cancel_booking", ew.clerk)         # it goes with its event
    for state in ("cancelled", "recorded"):
        Event.objects(pk=event.pk).update_one(set__state=state)
        assert SignUp.objects.get(pk=signup.pk).offered_steps(ew.clerk) == [], state
