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
