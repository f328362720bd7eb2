"""Demo move-in files: today's handover day in each community, owners at different steps (one has
moved in, one waits long, one inspection found a defect that became a work order).

The files are opened on rooms without an archive (new flats) and each step is taken through the real
rules, as the counter's role, with the clock set to when it happened. A community that already has
move-in files is left alone.
"""
from datetime import datetime, time, timedelta

from app import clock
from documents.deadlines import local_date, to_utc, zone_of
from documents.movein import MoveIn
from documents.places import Room
from documents.residents import Household
from seed.frame import seed_each
from seed.frame import staff as _staff

#: (owner, phone, ID number, the last step taken) of the demo owners
OWNERS = [
    ("周敏", "13800138101", "11010519491231002X", "finish"),
    ("吴磊", "13800138102", "110101199003071233", "inspect"),
    ("郑洁", "13800138103", "110105199003070025", "items"),
    ("孙浩", "13800138104", None, "sign"),
    ("钱芳", "13800138105", None, "verify"),
    ("冯涛", "13800138106", None, None),
]


def seed_move_ins(communities) -> int:
    return seed_each(communities, MoveIn, _seed_community)


def _free_rooms(community, count):
    taken = {h.room.pk for h in Household.objects(community=community).only("room")}
    rooms = [r for r in Room.objects(community=community, use="residential", status__in=["unsold", "vacant"])
             .order_by("sort_key").limit(count + len(taken) + 50) if r.pk not in taken]
    return rooms[:count]


def _seed_community(community) -> int:
    staff = {role: _staff(community, role) for role in ("clerk", "cashier", "housekeeper")}
    if any(account is None for account in staff.values()):
        return 0
    real_now = clock.now()
    today = local_date(real_now, zone_of(community))
    start = to_utc(datetime.combine(today, time(8, 30)), zone_of(community))
    rooms = _free_rooms(community, len(OWNERS))
    for index, ((name, phone, id_number, last), room) in enumerate(zip(OWNERS, rooms)):
        at = min(start + timedelta(minutes=10 * index), real_now)
        clock.freeze(at)
        record = MoveIn.open(staff["clerk"], community, room.code, name, phone, appointment_on=today)
        if last:
            _take_steps(record, staff, name, phone, id_number, last, at, real_now)
    clock.freeze(real_now)
    return len(rooms)


def _take_steps(record, staff, name, phone, id_number, last, at, real_now):
    steps = [
        ("verify", lambda: record.verify(staff["clerk"], "owner", True, True, True)),
        ("sign", lambda: record.sign(staff["clerk"], True, True, True)),
        ("archive", lambda: record.fill_archive(staff["clerk"], name, phone, "id_card", id_number, True)),
        ("fees", lambda: record.settle_fees(staff["cashier"], False)),
        ("items", lambda: record.hand_over(staff["clerk"], {"keys": 3, "access_card": 2, "mailbox_key": 1}, True)),
        ("inspect", lambda: record.inspect(staff["housekeeper"], ["walls"], [("walls", "次卧墙角有裂缝")],
                                           "with_defects")),
        ("handbook", lambda: record.give_handbook(staff["clerk"], True, True, True, True)),
        ("finish", lambda: record.finish(staff["clerk"], "declined")),
    ]
    for minutes, (name_of_step, take) in enumerate(steps, start=1):
        clock.freeze(min(at + timedelta(minutes=6 * minutes), real_now))
        take()
        if name_of_step == last:
            return
