"""Demo vacant units: applications in every step, meter readings (one month lived in), basement
rooms, this month's inspections with a building still missing, and a storm round under way.

Dates are relative to the moment of seeding; each step is taken through the real rules with the
clock set back to when it happened. A community that already has vacancies is left alone.
"""
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from app import clock
from documents.deadlines import to_utc, zone_of
from documents.fees.vacancy import (StormRound, Vacancy, add_months, community_today, inspection_targets,
                                    period_of, record_inspection)
from documents.places import Room, Unit
from documents.residents import Household
from seed.frame import seed_each
from seed.frame import staff as _staff

BASEMENT_ROOMS = ("B01", "B02")
FINDINGS = "卫生间地漏返味，阳台窗框渗水痕迹"


def seed_vacancies(communities) -> int:
    """Seed every community without vacancies; returns how many applications were created."""
    return seed_each(communities, Vacancy, _seed_community, indexed=True)


def _at(community, day: date, hour: int = 10):
    """Set the clock to `hour` o'clock of the community's local `day`."""
    clock.freeze(to_utc(datetime.combine(day, time(hour)), zone_of(community)))


def _seed_community(community, index) -> int:
    clerk, manager, cashier = _staff(community, "clerk"), _staff(community, "manager"), _staff(community, "cashier")
    keeper = _staff(community, "housekeeper")
    if clerk is None or manager is None:
        return 0
    _basements(community)
    today = community_today(community)
    month_start = today.replace(day=1)
    households = list(Household.objects(community=community, status="current").order_by("sort_key"))
    households = households[20:24] if len(households) >= 24 else households[-4:]
    if len(households) < 4:
        return 0
    plans = [
        # (household, first vacant day, last vacant day, how far: applied / reviewed / approved / received)
        (households[0], add_months(month_start, -2), add_months(month_start, 4) - timedelta(days=1), "received"),
        (households[1], add_months(month_start, -4), today + timedelta(days=10), "received"),
        (households[2], add_months(month_start, 1), add_months(month_start, 7) - timedelta(days=1), "applied"),
        (households[3], add_months(month_start, 1), add_months(month_start, 5) - timedelta(days=1), "reviewed"),
    ]
    for number, (household, start, end, target) in enumerate(plans):
        applied_on = start - timedelta(days=5) if target == "received" else today
        _at(community, applied_on, 9)
        vacancy = _apply(clerk, household, start, end)
        if target == "applied":
            continue
        vacancy.review(clerk, "已告知业主空置期间水电使用、室内物品管理及取消空置申请的办法，同意申请")
        if target == "reviewed":
            continue
        _at(community, applied_on, 15)
        vacancy.approve(manager, "同意，按规定办理停水停电")
        if cashier is not None:
            vacancy.receive(cashier)
        _readings(community, vacancy, clerk, start, today, lived_in_month=1 if number == 0 else None)
    _inspections(community, today, clerk, keeper, manager)
    return len(plans)


def _apply(clerk, household, start, end):
    owner = next(iter(household.owners or []), None)
    id_number = owner.id_number if owner is not None and owner.id_number else "11010519491231002X"
    id_type = owner.id_type if owner is not None and owner.id_number else "id_card"
    # a start in a past month is refused today: apply on the day it was applied for
    return Vacancy.apply(clerk, household, start, end, "业主外出工作，房屋暂不居住",
                         owner.name if owner is not None else household.name, id_number, id_type)


def _readings(community, vacancy, clerk, start, today, lived_in_month=None):
    """The base reading at the shut-off, then one on the last day of each month up to today; in
    month `lived_in_month` (counted from 1) the meters show use, so that month is billed in full."""
    water, power = Decimal("236.5"), Decimal("4180.2")
    _at(community, start - timedelta(days=2), 11)
    vacancy.read_meters(clerk, start - timedelta(days=2), water, power)
    month = 1
    month_end = add_months(start.replace(day=1), month) - timedelta(days=1)
    while month_end <= today:
        water += Decimal("2.4") if month == lived_in_month else Decimal("0.3")
        power += Decimal("18.5") if month == lived_in_month else Decimal("1.2")
        _at(community, month_end, 11)
        vacancy.read_meters(clerk, month_end, water, power)
        month += 1
        month_end = add_months(start.replace(day=1), month) - timedelta(days=1)


def _basements(community):
    """Basement storerooms (rooms on floor -1) in the first unit of the first building."""
    unit = Unit.objects(community=community).order_by("building", "number").first()
    if unit is None:
        return
    for number in BASEMENT_ROOMS:
        if not Room.objects(community=community, code=f"{unit.building.number}-{unit.number}-{number}").first():
            Room(community=community, building=unit.building, unit=unit, floor=-1, number=number,
                 status="unsold").save()


def _inspections(community, today, clerk, keeper, manager):
    """This month: every unit due inspected except those of the last building (so the coverage view
    has someone missing); one finding opens a work order. A storm round two days ago, half done."""
    targets = inspection_targets(community, period_of(today))
    buildings = sorted({t.building_no for t in targets}, key=lambda no: no.zfill(6))
    missing = buildings[-1:] if len(buildings) > 1 else []
    day = max(today.replace(day=1), today - timedelta(days=3))
    _at(community, today, 16)
    rooms = {room.pk: room for room in Room.objects(pk__in=[t.room_id for t in targets])}
    for number, target in enumerate(t for t in targets if t.building_no not in missing):
        who = keeper if keeper is not None and target.building_no in (keeper.buildings or []) else clerk
        finding = number == 3
        record_inspection(who, rooms[target.room_id], day, findings=FINDINGS if finding else "",
                          open_work_order=finding, category="plumbing", no_leaks=not finding)
    storm_day = today - timedelta(days=2)
    if storm_day.month != today.month or storm_day <= day:
        return            # no room for a storm round after this month's inspections (the 1st to the 3rd)
    _at(community, storm_day, 8)
    storm = StormRound.start(manager, community, "rainstorm", "暴雨橙色预警解除后全面检查")
    for target in storm.target_list()[: len(storm.targets) // 2]:
        who = keeper if keeper is not None and target.building_no in (keeper.buildings or []) else clerk
        record_inspection(who, rooms.get(target.room_id) or Room.objects.get(pk=target.room_id), storm_day)
