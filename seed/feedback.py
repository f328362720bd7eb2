"""Demo information feedback, liaison slips and complaint relays, timed around "now": an entry
answered, one open with a slip signed for, a major one reported to management, a slip that went to
the superior, a complaint relayed late and one with handling lines.

Each step goes through the real rules with the clock set back to when it happened. A community
that already has feedback entries is left alone (a second `flask seed` creates nothing).
"""
from datetime import timedelta

from app import clock
from documents.complaints import Complaint
from documents.feedback import ComplaintRelay, FeedbackEntry, LiaisonSlip
from documents.places import Room
from seed.frame import seed_each
from seed.frame import staff as _staff


def seed_feedback(communities) -> int:
    """Seed every community without feedback entries; returns how many records were created."""
    return seed_each(communities, FeedbackEntry, _seed_community)


def _seed_community(community) -> int:
    clerk, keeper = _staff(community, "clerk"), _staff(community, "housekeeper")
    supervisor = _staff(community, "supervisor") or clerk
    if clerk is None or keeper is None:
        return 0
    rooms = list(Room.objects(community=community).order_by("sort_key").limit(40))
    if len(rooms) < 4:
        return 0
    now = clock.now()
    at = lambda hours: now - timedelta(hours=hours)  # noqa: E731 - a moment so many hours ago

    def entry(hours, room, content, major=False):
        clock.freeze(at(hours))
        return FeedbackEntry(community=community, room=room, source="staff", passed_on_by=keeper,
                             content=content, major=major, registered_by=clerk).save_versioned(None)

    def slip(record, hours, matter, department="engineering", **fields):
        clock.freeze(at(hours))
        return LiaisonSlip(community=community, feedback=record, department=department, matter=matter,
                           issued_by=clerk, **fields).save_versioned(None)

    answered = entry(30, rooms[5], "管家巡查发现该户门前消防栓玻璃破损")
    first = slip(answered, 29.5, "请更换消防栓箱玻璃", department="security")
    clock.freeze(at(28))
    first.sign(keeper)
    clock.freeze(at(26))
    first.answer(keeper, "已更换玻璃")
    clock.freeze(at(25))
    answered.answer_resident(clerk, "已电话告知业主：消防栓玻璃已更换")

    waiting = entry(5, rooms[12], "保洁员反映该户门口长期堆放杂物，影响通行")
    second = slip(waiting, 4.5, "请协调清理楼道堆放物", department="cleaning")
    clock.freeze(at(4))
    second.sign(keeper)

    major = entry(20, rooms[20], "绿化工反映小区东门水管爆裂，多户停水", major=True)
    third = slip(major, 19.5, "东门供水管爆裂，请立即抢修", department="engineering")
    clock.freeze(at(19))
    third.sign(keeper, needs_superior=True)
    clock.freeze(at(18))
    third.report_up(keeper, "工程部经理")
    clock.freeze(at(17))
    major.report_to_management(clerk, "东门水管爆裂影响多户用水，已通知工程部抢修")

    created = 3 + 3
    for channel, late in (("phone", True), ("face_to_face", False)):
        complaint = Complaint.objects(community=community, kind="complaint", channel=channel) \
            .order_by("-received_at").first()
        if complaint is None or ComplaintRelay.objects(complaint=complaint).first() is not None:
            continue
        clock.freeze(complaint.received_at)
        relay = ComplaintRelay(complaint=complaint, received_by=keeper,
                               received_at=complaint.received_at - timedelta(minutes=30),
                               relayed_at=(complaint.received_at + timedelta(hours=1)) if late
                               else complaint.received_at if channel != "face_to_face" else None)
        relay.save_versioned(None)
        if channel == "face_to_face" and relay.superior_due_at:
            relay.tell_superior(keeper, supervisor.display_name)
        relay.write_line(clerk, "已登记并发联系单给责任部门")
        created += 1
    return created
