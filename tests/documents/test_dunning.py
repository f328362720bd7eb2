"""Arrears and dunning: aging buckets at their limits, the daily pass, dunning records and their
checks, the promised-date clock (started, breached, met), housekeepers' buildings, the letter."""
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from app import clock
from documents import my_work, timeline
from documents.agenda import BREACHED, CANCELLED, DONE, MET, OPEN, RUNNING, Clock, sweep
from documents.base import DomainError, PermissionDenied
from documents.fees import dunning
from documents.fees.dunning import Contact, DunningRecord, aging_of, arrears_for, letter_for, record_contact
from documents.fees.items import FeeItem, Rate
from documents.fees.ledger import Account, generate_bills
from documents.fees.payments import take_payment
from documents.places import Building, Room
from documents.residents import Household, Person
from documents.staff import Staff
from tests.conftest import PASSWORD

# 2026-12-20 10:00 in Shanghai; November's bills fell due on 2026-11-15 (35 days before)
NOW = datetime(2026, 12, 20, 2, 0)


def utc(local_text: str) -> datetime:
    """"2026-12-18 09:30" on the Shanghai clock -> naive UTC."""
    return datetime.fromisoformat(local_text) - timedelta(hours=8)


@pytest.fixture
def arrears(app_ctx, world):
    return make_arrears(world)


def make_arrears(world):
    """Community A with a property fee of 2.00/m² (due on the 15th) on rooms of 100 m², building 1
    (hh_a, hh_a2) and building 2 (hh_c, whose own housekeeper is `hk2`); November billed."""
    clock.freeze(NOW)
    community = world["A"]
    for room in Room.objects(community=community):
        room.area = Decimal("100.00")
        room.save()
    two = Building(community=community, number="2", floors=1).save()
    two.generate_units_and_rooms(1, 1, 1, area=Decimal("100.00"))
    room = Room.objects(community=community, code="2-1-101").first()
    world["hh_c"] = Household(community=community, room=room, name="王芳",
                              owners=[Person(name="王芳", relation="owner", phone="13600002222")]).save_versioned(None)
    FeeItem(community=community, code="WY", name_zh="物业管理费", name_en="Property management fee", kind="property",
            basis="area", due_day=15, rates=[Rate(valid_from=date(2025, 1, 1), amount=Decimal("2.00"))]).save()
    hk2 = Staff(username="hk2", display_name="hk2 A", roles=["housekeeper"], communities=[community],
                buildings=["2"], language="en")
    hk2.set_password(PASSWORD)
    world["staff"]["hk2"] = hk2.save()
    generate_bills(community, "2026-11")
    return world


def account_of(household):
    return Account.objects(household=household).first()


def contact(**values):
    defaults = {"method": "phone", "contacted_at": utc("2026-12-20 09:30"), "resident_said": "下周缴"}
    defaults.update(values)
    return Contact(**defaults)


# --- aging ---

@pytest.mark.parametrize("today, bucket", [
    (date(2026, 11, 15), "none"),          # due today: not yet in arrears
    (date(2026, 11, 16), "1-30"),          # 1 day
    (date(2026, 12, 15), "1-30"),          # 30 days
    (date(2026, 12, 16), "31-60"),         # 31
    (date(2027, 1, 14), "31-60"),          # 60
    (date(2027, 1, 15), "61-90"),          # 61
    (date(2027, 2, 13), "61-90"),          # 90
    (date(2027, 2, 14), "91+"),            # 91
])
def test_aging_buckets_at_their_limits(today, bucket):
    assert aging_of(date(2026, 11, 15), today) == bucket
    assert aging_of(None, today) == "none"


def test_the_account_is_aged_when_written_and_moved_by_the_daily_sweep(arrears):
    account = account_of(arrears["hh_a"])
    assert (account.aging, account.contact_age) == ("31-60", "never")       # 35 days on 2026-12-20
    # 2027-01-15 00:30 in Shanghai: 61 days; the first sweep of the day moves it, once
    clock.freeze(utc("2027-01-15 00:30"))
    sweep()
    assert account_of(arrears["hh_a"]).aging == "61-90"
    Account.objects(household=arrears["hh_a"]).update_one(set__aging="1-30")   # changed by hand meanwhile
    sweep()
    assert account_of(arrears["hh_a"]).aging == "1-30"                       # the day's pass is done
    clock.freeze(utc("2027-02-14 00:01"))
    sweep()
    assert account_of(arrears["hh_a"]).aging == "91+"


def test_paying_everything_due_takes_the_household_off_the_list(arrears):
    hh = arrears["hh_a"]
    user = arrears["staff"]["cashier"]
    query = arrears_for(user, [arrears["A"]])
    assert {a.room_code for a in query.queryset()} == {"1-1-101", "1-1-201", "2-1-101"}
    take_payment(hh, user, "200", "cash", token="t1")
    assert account_of(hh).aging == "none"
    assert {a.room_code for a in query.queryset()} == {"1-1-201", "2-1-101"}


def test_filters_sort_and_the_housekeepers_buildings(arrears):
    staff = arrears["staff"]
    generate_bills(arrears["A"], "2026-12")          # December fell due on the 15th: 5 days late
    take_payment(arrears["hh_a2"], staff["cashier"], "200", "cash", token="nov")   # pays November only
    rooms = lambda q: [a.room_code for a in q.queryset()]          # noqa: E731
    assert account_of(arrears["hh_a2"]).aging == "1-30"              # December, due 12-15: 5 days
    assert rooms(arrears_for(staff["manager"], [arrears["A"]], aging="31-60", sort="room")) == ["1-1-101", "2-1-101"]
    assert rooms(arrears_for(staff["manager"], [arrears["A"]], aging="1-30")) == ["1-1-201"]
    assert rooms(arrears_for(staff["manager"], [arrears["A"]], building="2")) == ["2-1-101"]
    owed = [a.owed for a in arrears_for(staff["manager"], [arrears["A"]], sort="owed").queryset()]
    assert owed == sorted(owed, reverse=True) and owed[-1] == Decimal("200.00")
    # a housekeeper sees the buildings they look after, even when asking for another one
    assert rooms(arrears_for(staff["housekeeper"], [arrears["A"]], sort="room")) == ["1-1-101", "1-1-201"]
    assert rooms(arrears_for(staff["hk2"], [arrears["A"]])) == ["2-1-101"]
    assert rooms(arrears_for(staff["hk2"], [arrears["A"]], building="1")) == []
    # a clerk reads the whole community; another community's manager sees none of it
    assert len(rooms(arrears_for(staff["clerk"], [arrears["A"]]))) == 3
    assert rooms(arrears_for(staff["manager_b"], [arrears["A"]])) == []


def test_the_last_contact_filter(arrears):
    staff = arrears["staff"]
    record_contact(arrears["hh_a"], staff["cashier"], contact(contacted_at=utc("2026-12-10 10:00")))
    record_contact(arrears["hh_c"], staff["cashier"], contact(contacted_at=utc("2026-12-19 10:00")))
    rooms = lambda choice: sorted(a.room_code for a in arrears_for(       # noqa: E731
        staff["manager"], [arrears["A"]], contact=choice).queryset())
    assert account_of(arrears["hh_a"]).contact_age == "8-30"             # 10 days ago
    assert rooms("never") == ["1-1-201"]
    assert rooms("7") == ["1-1-101", "1-1-201"]                          # never, or more than 7 days ago
    assert rooms("30") == ["1-1-201"]
    clock.freeze(utc("2027-01-10 08:00"))                                # 31 days after the first
    sweep()
    assert rooms("30") == ["1-1-101", "1-1-201"]


# --- dunning records ---

def test_a_contact_is_recorded_on_the_account_and_the_timeline(arrears):
    hh = arrears["hh_a"]
    record = record_contact(hh, arrears["staff"]["housekeeper"], contact(
        method="visit", resident_said="业主出差，下周回来缴", next_step="下周一再电话"), submission_key="k1")
    again = record_contact(hh, arrears["staff"]["housekeeper"], contact(method="visit"), submission_key="k1")
    assert again.pk == record.pk and DunningRecord.objects.count() == 1
    assert (record.state, record.owed, record.aging, record.building_no) == ("noted", Decimal("200.00"), "31-60", "1")
    account = account_of(hh)
    assert (account.last_contact_method, account.last_contact_by_name, account.contact_age) == \
        ("visit", "housekeeper A", "0-7")
    items = [i for i in timeline.for_household(hh) if i.endpoint == "arrears.household"]
    assert len(items) == 1 and "业主出差" in items[0].detail and "下周一再电话" in items[0].detail


@pytest.mark.parametrize("values, field", [
    ({"contacted_at": utc("2026-12-20 11:00")}, "contacted_at"),            # an hour ahead of now
    ({"contacted_at": utc("2026-11-15 23:00")}, "contacted_at"),            # the due day: no arrears yet
    ({"promised_on": date(2026, 12, 19)}, "promised_on"),                   # yesterday
    ({"method": "pigeon"}, "method"),
    ({"method": "phone", "resident_said": "  "}, "resident_said"),
])
def test_bad_contacts_are_refused_on_their_field_and_nothing_is_saved(arrears, values, field):
    with pytest.raises(DomainError) as err:
        record_contact(arrears["hh_a"], arrears["staff"]["cashier"], contact(**values))
    assert err.value.field == field
    assert DunningRecord.objects.count() == 0 and Clock.objects.count() == 0


def test_the_first_day_of_arrears_and_today_as_promised_date_are_accepted(arrears):
    record = record_contact(arrears["hh_a"], arrears["staff"]["cashier"], contact(
        contacted_at=utc("2026-11-16 00:00"), promised_on=date(2026, 12, 20)))
    assert record.state == "promised"


def test_the_messages_speak_the_users_language(arrears):
    from flask_babel import force_locale
    with force_locale("zh_Hans_CN"):
        with pytest.raises(DomainError) as err:
            record_contact(arrears["hh_a"], arrears["staff"]["cashier"], contact(promised_on=date(2026, 12, 1)))
        assert "已过" in str(err.value)
        with pytest.raises(PermissionDenied) as err:
            record_contact(arrears["hh_c"], arrears["staff"]["housekeeper"], contact())
        assert "2" in str(err.value) and "楼" in str(err.value)


def test_housekeepers_dun_their_own_buildings_and_clerks_read(arrears):
    staff = arrears["staff"]
    with pytest.raises(PermissionDenied) as err:
        record_contact(arrears["hh_c"], staff["housekeeper"], contact())
    assert err.value.field == "household"
    with pytest.raises(PermissionDenied):
        record_contact(arrears["hh_a"], staff["clerk"], contact())
    with pytest.raises(PermissionDenied):
        record_contact(arrears["hh_a"], staff["manager_b"], contact())
    assert DunningRecord.objects.count() == 0
    assert record_contact(arrears["hh_c"], staff["hk2"], contact()).building_no == "2"
    assert record_contact(arrears["hh_c"], staff["cashier"], contact()).building_no == "2"


def test_a_household_without_arrears_is_not_dunned(arrears):
    take_payment(arrears["hh_a"], arrears["staff"]["cashier"], "200", "cash", token="all")
    with pytest.raises(DomainError) as err:
        record_contact(arrears["hh_a"], arrears["staff"]["cashier"], contact())
    assert err.value.field == "household"


# --- the promised date on the agenda ---

def promise_clock(record):
    return Clock.objects(record_id=record.pk, kind="dunning_promise").order_by("-round").first()


def test_a_broken_promise_is_overdue_in_my_work_and_paying_stops_it(arrears):
    staff = arrears["staff"]
    record = record_contact(arrears["hh_a"], staff["cashier"], contact(promised_on=date(2026, 12, 22)))
    running = promise_clock(record)
    assert (running.state, running.phase) == (RUNNING, OPEN)
    assert running.due_at == utc("2026-12-22 23:59:59")                 # the end of the promised day
    assert running.responsible.pk == staff["housekeeper"].pk            # building 1's housekeeper
    assert account_of(arrears["hh_a"]).promised_on == date(2026, 12, 22)
    clock.freeze(utc("2026-12-23 09:00"))
    sweep()
    assert promise_clock(record).state == BREACHED
    overdue = my_work.overdue(staff["housekeeper"], clock.now())
    assert [c.record_id for c in overdue.items] == [record.pk]
    take_payment(arrears["hh_a"], staff["cashier"], "200", "cash", token="late")
    stopped = promise_clock(record)
    assert (stopped.state, stopped.phase) == (BREACHED, DONE)           # paid late: the breach stays
    assert DunningRecord.objects.get(pk=record.pk).state == "paid"
    assert account_of(arrears["hh_a"]).promised_on is None
    assert my_work.overdue(staff["housekeeper"], clock.now()).count == 0


def test_a_promise_paid_by_its_day_is_met(arrears):
    staff = arrears["staff"]
    record = record_contact(arrears["hh_c"], staff["hk2"], contact(promised_on=date(2026, 12, 22)))
    assert promise_clock(record).responsible.pk == staff["hk2"].pk
    clock.freeze(utc("2026-12-22 18:00"))
    take_payment(arrears["hh_c"], staff["cashier"], "100", "cash", token="part")
    assert promise_clock(record).state == RUNNING                       # half paid: still in arrears
    take_payment(arrears["hh_c"], staff["cashier"], "100", "cash", token="rest")
    stopped = promise_clock(record)
    assert (stopped.state, stopped.phase, stopped.met_at) == (MET, DONE, utc("2026-12-22 18:00"))
    clock.freeze(utc("2026-12-24 09:00"))
    assert sweep().breached == 0


def test_a_new_promise_replaces_the_running_one_and_a_contact_follows_up_a_broken_one(arrears):
    staff = arrears["staff"]
    first = record_contact(arrears["hh_a"], staff["cashier"], contact(promised_on=date(2026, 12, 22)))
    second = record_contact(arrears["hh_a"], staff["cashier"], contact(promised_on=date(2026, 12, 28)))
    assert DunningRecord.objects.get(pk=first.pk).state == "withdrawn"
    assert promise_clock(first).state == CANCELLED and promise_clock(second).state == RUNNING
    assert account_of(arrears["hh_a"]).promised_on == date(2026, 12, 28)
    # the 28th passes unpaid; a visit on the 29th without a new date follows the broken promise up
    clock.freeze(utc("2026-12-29 10:00"))
    sweep()
    record_contact(arrears["hh_a"], staff["cashier"], contact(method="visit", contacted_at=utc("2026-12-29 09:50"),
                                                              resident_said="没钱"))
    assert DunningRecord.objects.get(pk=second.pk).state == "followed_up"
    assert (promise_clock(second).state, promise_clock(second).phase) == (BREACHED, DONE)
    assert account_of(arrears["hh_a"]).promised_on is None


def test_a_contact_before_the_promised_day_leaves_the_promise_running(arrears):
    staff = arrears["staff"]
    first = record_contact(arrears["hh_a"], staff["cashier"], contact(promised_on=date(2026, 12, 22)))
    record_contact(arrears["hh_a"], staff["cashier"], contact(method="sms", resident_said=""))
    assert DunningRecord.objects.get(pk=first.pk).state == "promised"
    assert promise_clock(first).state == RUNNING


# --- the letter ---

def test_the_letter_lists_the_unpaid_lines_due_by_the_pay_by_date(arrears):
    generate_bills(arrears["A"], "2026-12")
    letter = letter_for(arrears["hh_a"])
    assert letter.pay_by == date(2026, 12, 27)                           # printed + 7 days
    assert [(period, subtotal) for period, _lines, subtotal in letter.months] == \
        [("2026-11", Decimal("200.00")), ("2026-12", Decimal("200.00"))]
    assert letter.total == Decimal("400.00") and letter.total_upper == "肆佰元整"
    assert letter.owners == "张伟"
    early = letter_for(arrears["hh_a"], pay_by=date(2026, 12, 10))
    assert early.total == Decimal("200.00")
    with pytest.raises(DomainError) as err:
        dunning.check_pay_by("2026-12-01", arrears["A"])
    assert err.value.field == "pay_by"


def test_demo_dunning_is_seeded_once(arrears):
    created = dunning.seed_dunning([arrears["A"]])
    assert created == 3
    assert dunning.seed_dunning([arrears["A"]]) == 0
    assert DunningRecord.objects(state="promised").count() == 1
