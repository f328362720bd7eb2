"""Benchmark work orders and complaints, inserted straight into their collections.

Documents are built as the app builds them (`Repair` / `Complaint` objects turned into what the
store keeps with `to_mongo()`), with the derived fields the steps would have written (state,
deadlines, the open clocks' `due_at`), but without running each save path: 60,000 records through
`save()` would take the benchmark longer than the measurement. About a tenth are open, spread over
the open states; some of those are late. Deterministic for a given seed.
"""
import random
from datetime import timedelta

from app import clock
from documents.complaints import Complaint
from documents.places import Room
from documents.repairs import ARRIVAL_GRACE, Repair

OPEN_SHARE = 0.1
BATCH = 2000
OPEN_REPAIR_STATES = ("reported", "dispatched", "arrived", "completed", "signed_off")
CATEGORIES = ("plumbing", "electrical", "doors_windows", "walls", "appliances", "lift")


def load(community, repairs: int, complaints: int, seed: int = 2026) -> dict:
    rng = random.Random(seed)
    rooms = list(Room.objects(community=community).only("id", "code", "building_no"))
    now = clock.now()
    made = {"open_repairs": 0, "late_repairs": 0, "open_complaints": 0}
    batch = []
    for n in range(repairs):
        repair, is_open, late = _repair(community, rng.choice(rooms), n, rng, now)
        made["open_repairs"] += is_open
        made["late_repairs"] += late
        batch.append(repair.to_mongo())
        if len(batch) == BATCH:
            Repair._get_collection().insert_many(batch)
            batch = []
    if batch:
        Repair._get_collection().insert_many(batch)
    batch = []
    for n in range(complaints):
        complaint, is_open = _complaint(community, rng.choice(rooms), n, rng, now)
        made["open_complaints"] += is_open
        batch.append(complaint.to_mongo())
    for start in range(0, len(batch), BATCH):
        Complaint._get_collection().insert_many(batch[start:start + BATCH])
    return made


def _repair(community, room, n, rng, now):
    is_open = rng.random() < OPEN_SHARE
    reported = now - (timedelta(hours=rng.uniform(0, 240)) if is_open else timedelta(days=rng.uniform(10, 730)))
    state = rng.choice(OPEN_REPAIR_STATES) if is_open else "closed"
    appointment = reported + timedelta(hours=rng.uniform(1, 30))
    repair = Repair(community=community, room=room, room_code=room.code, building_no=room.building_no,
                    number=f"BX{reported:%Y%m%d}-{n:06d}", location="room", source="phone",
                    category=rng.choice(CATEGORIES), description="厨房水龙头漏水", urgency="ordinary",
                    appointment_at=appointment, reported_at=reported, state=state, version=1)
    due = None
    if state in ("reported", "dispatched"):
        due = repair.arrival_due_at = appointment + ARRIVAL_GRACE
    elif state in ("completed", "signed_off"):
        repair.completed_at = appointment + timedelta(hours=2)
        due = repair.visit_due_at = repair.completed_at + timedelta(days=7)
    repair.due_at = due
    return repair, is_open, bool(due and due < now)


def _complaint(community, room, n, rng, now):
    is_open = rng.random() < OPEN_SHARE
    received = now - (timedelta(hours=rng.uniform(0, 240)) if is_open else timedelta(days=rng.uniform(10, 730)))
    state = rng.choice(("received", "assigned", "handled")) if is_open else "closed"
    complaint = Complaint(community=community, room=room, room_code=room.code, building_no=room.building_no,
                          number=f"TS{received:%Y%m%d}-{n:06d}", kind="complaint", channel="phone",
                          complaint_class=rng.choice((1, 2, 3)), content="楼道灯坏了三天没人修",
                          received_at=received, state=state, version=1)
    complaint.handle_due_at = received + timedelta(hours=4)
    complaint.due_at = complaint.handle_due_at if state in ("received", "assigned") else \
        (received + timedelta(days=3) if state == "handled" else None)
    return complaint, is_open
