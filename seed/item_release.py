"""Demo item release forms: yesterday's released at the gate, today's at each step (one agreed despite
arrears by the supervisor), a company item with its outbound certificate, a renovation's large items (the same
form, source renovation) when a renovation of the community has an active permit. Every step through the real
rules, with the clock set back to when it happened. A community that already has forms is left alone."""
import io
from datetime import datetime, time, timedelta

from PIL import Image

from app import clock
from documents.base import DomainError
from documents.deadlines import to_utc, zone_of
from documents.item_release import ItemRelease, community_today
from documents.renovations import Renovation
from documents.residents import Household
from seed.frame import seed_each
from seed.frame import staff as _staff

PLATES = ("粤B12345", "粤BD12345", "粤A6K2L8", "粤B3Q7M1")
DRIVERS = (("王建国", "440301198001010011"), ("陈师傅", "440305197503150032"))


def seed_item_releases(communities) -> int:
    return seed_each(communities, ItemRelease, _seed_community)


def _certificate_scan() -> bytes:
    """A small blank "scan" standing for the signed certificate."""
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), "white").save(buffer, "PNG")
    return buffer.getvalue()


def _agree(form, clerk, supervisor):
    try:
        form.confirm_fees(clerk)
    except DomainError:
        if supervisor is None:
            return False
        form.confirm_fees(supervisor, override_reason="业主已承诺本周内补缴欠费")
    return True


def _seed_community(community) -> int:
    clerk, supervisor = _staff(community, "clerk"), _staff(community, "supervisor")
    guard = _staff(community, "guard") or _staff(community, "manager")
    households = list(Household.objects(community=community, status="current").order_by("room_code").limit(4))
    if clerk is None or len(households) < 4:
        return 0
    zone = zone_of(community)
    now = clock.now()
    today = community_today(community)
    yesterday = today - timedelta(days=1)
    created = 0
    # yesterday: a move-out, released at the gate
    clock.freeze(to_utc(datetime.combine(yesterday, time(9, 0)), zone))
    form = ItemRelease.register(clerk, community, items="沙发 1\n衣柜 2\n纸箱 12", release_on=yesterday,
                                household=households[0], vehicle_plate=PLATES[0], driver_name=DRIVERS[0][0],
                                driver_id=DRIVERS[0][1])
    created += 1
    if _agree(form, clerk, supervisor):
        form.sign(clerk, signed_by=households[0].name)
        if guard is not None:
            clock.freeze(to_utc(datetime.combine(yesterday, time(14, 30)), zone))
            form.release(guard, plate_seen=PLATES[0], items_checked=True)
    clock.freeze(now)
    # today: a tenant moving out (owner's consent), signed and waiting at the gate
    form = ItemRelease.register(clerk, community, items="冰箱 1\n洗衣机 1", release_on=today, household=households[1],
                                applicant="tenant", applicant_name="租户 林小姐", owner_consent="业主电话同意",
                                vehicle_plate=PLATES[1], driver_name=DRIVERS[1][0], driver_id=DRIVERS[1][1])
    created += 1
    if _agree(form, clerk, supervisor):
        form.sign(clerk, signed_by="租户 林小姐（业主已同意）")
    # today: just registered
    ItemRelease.register(clerk, community, items="自行车 1", release_on=today, household=households[2])
    created += 1
    # company items with the owning unit's certificate
    form = ItemRelease.register(clerk, community, items="旧办公桌 3\n旧椅子 6", release_on=today, applicant="company",
                                applicant_name="工程部 刘工", vehicle_plate=PLATES[2], driver_name=DRIVERS[0][0],
                                driver_id=DRIVERS[0][1])
    created += 1
    form.confirm_fees(clerk)
    form.sign(clerk, signed_by="工程部 刘工", certificate="工程部外运证明 第2026-118号",
              certificate_file=("外运证明.png", _certificate_scan()))
    return created + _seed_renovation_release(community, clerk, today)


def _seed_renovation_release(community, clerk, today) -> int:
    """A renovation's old cabinets and debris leaving on the one release form (first file with an active permit)."""
    for renovation in Renovation.objects(community=community, permit_no__ne=None).order_by("permit_no"):
        if renovation.item_release_problem(today) is None:
            ItemRelease.register(clerk, community, renovation=renovation, items="旧橱柜 1\n旧门 2\n装修垃圾 20",
                                 release_on=today, vehicle_plate=PLATES[3], driver_name=DRIVERS[1][0],
                                 driver_id=DRIVERS[1][1])
            return 1
    return 0
