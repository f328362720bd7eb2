"""Item release forms: the rules of the form, fees settled or overridden, the owner's signature, the gate
(its day only, once, also under racing requests) and the month-end archive."""
import io
import threading
from datetime import date, datetime
from decimal import Decimal

import pytest
from PIL import Image

from app import clock
from documents.audit import AuditEntry
from documents.base import DomainError, PermissionDenied
from documents.fees.items import FeeItem, Rate
from documents.fees.ledger import charge
from documents.item_release import (ItemRelease, ReleaseCertificate, ReleaseMonth, close_month, find_pass,
                                    parse_items)
from documents.staff import Staff
from documents.timeline import for_household
from tests.conftest import PASSWORD
from tests.support import atomic_store_operations, english_request

TODAY = date(2026, 12, 20)


@pytest.fixture
def rel(app, world):
    clock.freeze(datetime(2026, 12, 20, 2, 0))        # 10:00 in Shanghai
    guard = Staff(username="guard", display_name="guard A", roles=["guard"], communities=[world["A"]], language="en")
    guard.set_password(PASSWORD)
    world["staff"]["guard"] = guard.save()
    with english_request(app):
        yield world


def form(world, **changes):
    data = {"items": "沙发 2\n冰箱 × 1", "release_on": TODAY, "household": world["hh_a"],
            "vehicle_plate": "粤B12345", "driver_name": "王师傅", "driver_id": "440301198001010011"}
    data.update(changes)
    return ItemRelease.register(world["staff"]["clerk"], world["A"], **data)


def signed(world, **changes):
    record = form(world, **changes)
    record.confirm_fees(world["staff"]["clerk"])
    record.sign(world["staff"]["clerk"], signed_by="张伟")
    return record


def owe(world, amount="120.00"):
    item = FeeItem(community=world["A"], code="WY", name_zh="物业管理费", name_en="Property fee", kind="property",
                   basis="area", rates=[Rate(valid_from=date(2025, 1, 1), amount=Decimal("1.85"))]).save()
    charge(world["hh_a"], item, Decimal(amount), due_on=date(2026, 12, 15))


def test_a_form_lists_items_and_quantities_and_is_numbered(rel):
    record = form(rel)
    assert record.number.startswith("FX20261220-") and record.state == "applied"
    assert [(i.name, i.quantity) for i in record.items] == [("沙发", 2), ("冰箱", 1)]
    assert record.room_code == "1-1-101" and record.applicant_name == "张伟"
    assert AuditEntry.objects(collection="item_releases", action="create").count() == 1
    assert any(item.title.startswith(record.number) for item in for_household(rel["hh_a"]))


@pytest.mark.parametrize("changes, field", [
    ({"items": ""}, "items"),
    ({"items": "沙发"}, "items"),
    ({"items": "沙发 0"}, "items"),
    ({"vehicle_plate": "ABC123"}, "vehicle_plate"),
    ({"vehicle_plate": "粤B1234"}, "vehicle_plate"),
    ({"driver_name": ""}, "driver_name"),
    ({"driver_id": ""}, "driver_id"),
    ({"release_on": date(2026, 12, 19)}, "release_on"),
    ({"applicant": "tenant"}, "owner_consent"),
])
def test_bad_forms_are_refused_and_nothing_is_saved(rel, changes, field):
    with pytest.raises(DomainError) as refused:
        form(rel, **changes)
    assert refused.value.field == field
    assert ItemRelease.objects.count() == 0


def test_parse_items_reads_name_then_quantity():
    assert [(i.name, i.quantity) for i in parse_items("Sofa 2\n\n desk x 3 ")] == [("Sofa", 2), ("desk", 3)]


def test_a_tenant_form_records_the_owners_consent(rel):
    record = form(rel, applicant="tenant", applicant_name="租户李", owner_consent="业主张伟电话同意")
    assert record.owner_consent == "业主张伟电话同意" and record.applicant_name == "租户李"


def test_fees_settled_agrees_to_release(rel):
    record = form(rel)
    record.confirm_fees(rel["staff"]["clerk"])
    assert record.state == "agreed" and record.fees_checked_by == "clerk A" and record.owed is None


def test_arrears_block_unless_a_supervisor_overrides_with_a_reason(rel):
    owe(rel)
    record = form(rel)
    with pytest.raises(DomainError, match="owes 120.00 yuan") as refused:
        record.confirm_fees(rel["staff"]["clerk"])
    assert refused.value.field == "override_reason"
    with pytest.raises(DomainError, match="Only a supervisor"):
        record.confirm_fees(rel["staff"]["clerk"], override_reason="moving abroad")
    assert ItemRelease.objects.get().state == "applied"
    record.confirm_fees(rel["staff"]["supervisor"], override_reason="业主承诺本周补缴")
    stored = ItemRelease.objects.get()
    assert stored.state == "agreed" and stored.owed == "120.00" and stored.override_reason == "业主承诺本周补缴"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_company_items_need_an_outbound_certificate_attached(rel):
    record = form(rel, applicant="company", household=None, applicant_name="工程部")
    record.confirm_fees(rel["staff"]["clerk"])
    clerk = rel["staff"]["clerk"]
    with pytest.raises(DomainError, match="outbound certificate") as refused:
        record.sign(clerk, signed_by="工程部 刘", certificate="工程部外运证明 2026-118")
    assert refused.value.field == "certificate_file"
    with pytest.raises(DomainError, match="only PDF, JPEG or PNG") as refused:
        record.sign(clerk, signed_by="工程部 刘", certificate="x", certificate_file=("cert.txt", b"hello"))
    assert refused.value.field == "certificate_file"
    with pytest.raises(DomainError, match="Name the certificate") as refused:
        record.sign(clerk, signed_by="工程部 刘", certificate_file=("cert.png", png()))
    assert refused.value.field == "certificate"
    assert ItemRelease.objects.get().state == "agreed" and ReleaseCertificate.objects.count() == 0
    record.sign(clerk, signed_by="工程部 刘", certificate="工程部外运证明 2026-118",
                certificate_file=("cert.png", png()))
    assert record.state == "signed" and record.certificate == "工程部外运证明 2026-118"
    assert ReleaseCertificate.objects(release=record).get().filename == "cert.png"


def test_the_guard_releases_on_its_day_with_the_plate_and_items_checked(rel):
    record = signed(rel)
    guard = rel["staff"]["guard"]
    assert find_pass(guard, record.number.lower()).pk == record.pk
    with pytest.raises(DomainError, match="plate does not match"):
        record.release(guard, plate_seen="粤B99999", items_checked=True)
    with pytest.raises(DomainError, match="Check the items"):
        record.release(guard, plate_seen="粤b 12345", items_checked=False)
    record.release(guard, plate_seen="粤b 12345", items_checked=True)
    stored = ItemRelease.objects.get()
    assert stored.state == "released" and stored.released_by == "guard A" and stored.released_at == clock.now()
    with pytest.raises(DomainError, match="already released|not possible"):
        stored.release(guard, plate_seen="粤B12345", items_checked=True)


def test_a_pass_is_valid_on_its_day_only(rel):
    record = signed(rel, release_on=date(2026, 12, 21))
    guard = rel["staff"]["guard"]
    clock.freeze(datetime(2026, 12, 20, 15, 59))        # 23:59 on the 20th in Shanghai: the day before
    with pytest.raises(DomainError, match="valid on 2026-12-21 only"):
        record.release(guard, plate_seen="粤B12345", items_checked=True)
    clock.freeze(datetime(2026, 12, 21, 16, 0))         # 00:00 on the 22nd: the day after
    with pytest.raises(DomainError, match="valid on 2026-12-21 only"):
        record.release(guard, plate_seen="粤B12345", items_checked=True)
    clock.freeze(datetime(2026, 12, 21, 15, 59))        # 23:59 on the 21st
    record.release(guard, plate_seen="粤B12345", items_checked=True)
    assert record.state == "released"


def test_the_guard_may_only_mark_passes(rel):
    guard = rel["staff"]["guard"]
    with pytest.raises(PermissionDenied):
        ItemRelease.register(guard, rel["A"], items="沙发 1", release_on=TODAY, household=rel["hh_a"])
    record = form(rel)
    with pytest.raises(PermissionDenied):
        record.confirm_fees(guard)
    with pytest.raises(PermissionDenied):
        signed(rel).cancel(guard, reason="x")
    assert find_pass(rel["staff"]["clerk_b"], record.number) is None


def test_a_pass_is_released_once_under_racing_requests(app, rel):
    record = signed(rel)
    guard = rel["staff"]["guard"]
    outcomes = []

    def release():
        with english_request(app):
            copy = ItemRelease.objects.get(pk=record.pk)
            try:
                copy.release(guard, plate_seen="粤B12345", items_checked=True)
                outcomes.append("released")
            except DomainError:
                outcomes.append("refused")

    with atomic_store_operations():
        threads = [threading.Thread(target=release) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert outcomes.count("released") == 1 and outcomes.count("refused") == 7
    assert AuditEntry.objects(collection="item_releases", action="release").count() == 1


def test_the_month_is_closed_once_when_every_form_is_done(rel):
    record = signed(rel)
    manager = rel["staff"]["manager"]
    with pytest.raises(DomainError, match="still open"):
        close_month(manager, rel["A"], "2026-12")
    record.release(rel["staff"]["guard"], plate_seen="粤B12345", items_checked=True)
    with pytest.raises(PermissionDenied):
        close_month(rel["staff"]["clerk"], rel["A"], "2026-12")
    with pytest.raises(DomainError, match="not before"):
        close_month(manager, rel["A"], "2027-01")
    month = close_month(manager, rel["A"], "2026-12")
    assert month.forms == 1 and month.closed_by == "manager A"
    with pytest.raises(DomainError, match="already closed"):
        close_month(manager, rel["A"], "2026-12")
    with pytest.raises(DomainError, match="closed") as refused:
        form(rel)
    assert refused.value.field == "release_on" and ReleaseMonth.objects.count() == 1


def test_a_housekeeper_agrees_only_for_their_own_buildings(rel):
    record = form(rel)
    keeper = rel["staff"]["housekeeper"]
    keeper.buildings = ["2"]
    with pytest.raises(PermissionDenied, match="not one of the buildings"):
        record.confirm_fees(keeper)
    keeper.buildings = ["1"]
    record.confirm_fees(keeper)
    assert record.state == "agreed" and record.fees_checked_by == "housekeeper A"
