"""The five-year records of bench/office.py are valid documents of the app, placed in the community."""
import random
from datetime import datetime, timedelta

from bench import office
from bench.data import make_households, make_places
from documents.complaints import Complaint
from documents.places import Community
from documents.repairs import Repair


def test_service_records_are_valid_documents_spread_over_five_years(app_ctx):
    from seed import services, staff

    community = Community(code="OFF", name_zh="五年小区").save()
    make_places(community, 120)
    make_households(community, 120, random.Random(3))
    staff.seed_staff([community, community], "office-test-password")
    services.seed_services([community])
    seeded = Repair.objects.count(), Complaint.objects.count()
    stored = office.add_service_records(community, {"repairs": 300, "complaints": 80},
                                        random.Random(5), audit_budget=500)
    assert stored["repairs"] == 300 and stored["complaints"] == 80 and 0 < stored["audit_entries"] <= 500
    assert (Repair.objects.count(), Complaint.objects.count()) == (seeded[0] + 300, seeded[1] + 80)
    numbers = Repair.objects(community=community).distinct("number")
    assert len(numbers) == Repair.objects(community=community).count()      # unique per community
    now = datetime.utcnow()
    for record in list(Repair.objects[:60]) + list(Complaint.objects[:30]):
        record.validate()                                  # the app's own rules accept it
        when = record.reported_at if isinstance(record, Repair) else record.received_at
        assert now - timedelta(days=5 * 365 + 2) < when <= now
        if record.room is not None:
            assert record.room.community.pk == community.pk and record.room_code == record.room.code
    open_repairs = Repair.objects(state__nin=["closed", "cancelled"]).count()
    assert open_repairs < 30, "five years of finished work, a few open records"


def test_a_busy_community_has_a_tenth_open_each_with_its_open_clocks(app_ctx):
    """bench.handover's data: only generated records in the community, about a tenth open, and the
    agenda's open clock of each open one with a deadline (breached when the deadline has passed)."""
    from documents.agenda import BREACHED, OPEN, RUNNING, Clock

    community = Community(code="BUSY", name_zh="繁忙小区").save()
    made = office.busy_community(community, 120, 400, 100, password="Kettle-orbit-Marble-59")
    assert (made["repairs"], made["complaints"]) == (400, 100)
    assert Repair.objects(community=community).count() == 400 and Complaint.objects(community=community).count() == 100
    open_repairs = Repair.objects(community=community, state__in=list(Repair.OPEN_STATES))
    assert made["open_repairs"] == open_repairs.count() and 20 <= made["open_repairs"] <= 60
    assert made["open_complaints"] == Complaint.objects(community=community,
                                                        state__in=list(Complaint.OPEN_STATES)).count() > 0
    now = datetime.utcnow()
    clocks = Clock.objects(community=community, phase=OPEN)
    assert clocks.count() == made["clocks"] == open_repairs.filter(due_at__ne=None).count() + \
        Complaint.objects(community=community, state__in=list(Complaint.OPEN_STATES), due_at__ne=None).count()
    assert made["late_repairs"] == clocks.filter(collection="repairs", state=BREACHED).count() > 0
    for record in open_repairs.filter(due_at__ne=None):
        record.validate()
        (one,) = Clock.objects(record_id=record.pk, phase=OPEN)
        assert one.due_at == record.due_at and one.state == (BREACHED if record.due_at < now else RUNNING)
        assert now - timedelta(hours=office.RECENT_HOURS[1] + 1) < record.reported_at <= now
    for record in Repair.objects(community=community, state__nin=list(Repair.OPEN_STATES)):
        assert record.due_at is None and now - timedelta(days=2 * 365 + 2) < record.reported_at <= now
