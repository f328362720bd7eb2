"""Lost & found: the register, the deadlines at their boundaries (notice one week, valuables the same day,
others at month end, disposal after 3 months, never before), hand-overs recorded, the claim with ID."""
from datetime import datetime, timedelta

import pytest

from app import clock
from documents.agenda import Clock
from documents.audit import AuditEntry
from documents.base import DomainError, PermissionDenied
from documents.lost_found import FoundItem, notice_items
from tests.support import english_request

ID = "11010519491231002X"
FOUND = datetime(2026, 12, 20, 2, 0)          # 10:00 on 2026-12-20 in Shanghai


@pytest.fixture
def lf(app, world):
    clock.freeze(FOUND)
    with english_request(app):
        yield world


def found(world, **changes):
    data = {"item": "黑色钱包", "place": "1栋大堂", "found_at": FOUND, "finder_name": "保安 李明",
            "kept_at": "前台保险柜", "description": "内有少量现金和银行卡", "valuable": False}
    data.update(changes)
    return FoundItem.register(world["staff"]["clerk"], world["A"], **data)


def test_the_register_and_its_deadlines(lf):
    record = found(lf)
    assert record.number.startswith("SW20261220-") and record.state == "held"
    # notice: one week, to the minute
    assert record.notice_until == FOUND + timedelta(days=7)
    # not valuable: to the office at the end of the month (23:59:59 on 12-31 in Shanghai)
    assert record.office_due_at == datetime(2026, 12, 31, 15, 59, 59)
    # disposal: 3 months after it was found
    assert record.company_due_at == datetime(2027, 3, 20, 2, 0)
    assert {c.kind for c in Clock.objects(record_id=record.pk)} >= {"found_notice", "found_to_office",
                                                                     "found_to_company"}
    assert AuditEntry.objects(collection="found_items", action="create").count() == 1


def test_a_valuable_goes_to_the_office_the_same_day(lf):
    record = found(lf, valuable=True, item="手机")
    assert record.office_due_at == datetime(2026, 12, 20, 15, 59, 59)


def test_the_notice_is_on_the_boards_for_one_week(lf):
    record = found(lf)
    assert [r.pk for r in notice_items(lf["A"], FOUND + timedelta(days=7) - timedelta(seconds=1))] == [record.pk]
    assert list(notice_items(lf["A"], FOUND + timedelta(days=7))) == []


@pytest.mark.parametrize("changes, field", [({"item": ""}, "item"), ({"place": " "}, "place"),
                                            ({"kept_at": ""}, "kept_at"),
                                            ({"found_at": FOUND + timedelta(hours=1)}, "found_at")])
def test_bad_registrations_are_refused(lf, changes, field):
    with pytest.raises(DomainError) as refused:
        found(lf, **changes)
    assert refused.value.field == field and FoundItem.objects.count() == 0


def test_hand_overs_are_recorded_and_disposal_waits_3_months(lf):
    record = found(lf)
    record.to_office(lf["staff"]["clerk"], received_by="行政 周", note="月底整理")
    assert record.state == "office" and record.handovers[-1].by == "clerk A"
    assert record.handovers[-1].received_by == "行政 周" and record.handovers[-1].at == FOUND
    with pytest.raises(PermissionDenied):
        record.to_company(lf["staff"]["clerk"], received_by="企管部 孙")
    clock.freeze(datetime(2027, 3, 20, 1, 59, 59))       # one second before 3 months
    with pytest.raises(DomainError, match="only after 3 months: not before 2027-03-20") as refused:
        record.to_company(lf["staff"]["supervisor"], received_by="企管部 孙")
    assert refused.value.field == "received_by" and FoundItem.objects.get().state == "office"
    clock.freeze(datetime(2027, 3, 20, 2, 0))
    record.to_company(lf["staff"]["supervisor"], received_by="企管部 孙")
    stored = FoundItem.objects.get()
    assert stored.state == "company" and [h.to for h in stored.handovers] == ["office", "company"]
    assert stored.to_company_at == datetime(2027, 3, 20, 2, 0)


def test_the_office_hand_over_clock_is_met_or_breached_at_its_boundary(lf):
    record = found(lf, valuable=True, item="手机")
    clock.freeze(datetime(2026, 12, 20, 15, 59, 59))
    record.to_office(lf["staff"]["clerk"], received_by="行政 周")
    office = Clock.objects(record_id=record.pk, kind="found_to_office").get()
    assert office.state == "met"
    late = found(lf, valuable=True, item="现金")
    clock.freeze(datetime(2026, 12, 20, 16, 0, 0))
    late.to_office(lf["staff"]["clerk"], received_by="行政 周")
    assert Clock.objects(record_id=late.pk, kind="found_to_office").get().state == "breached"


@pytest.mark.parametrize("changes, field", [
    ({"id_number": ""}, "id_number"),
    ({"id_number": "110105194912310021"}, "id_number"),
    ({"description": ""}, "description"),
    ({"description_checked": False}, "description_checked"),
    ({"signed": ""}, "signed"),
])
def test_a_claim_needs_the_id_the_description_checked_and_a_signature(lf, changes, field):
    record = found(lf)
    data = {"claimant_name": "张伟", "id_type": "id_card", "id_number": ID, "description": "黑色皮夹，有工商银行卡",
            "description_checked": True, "signed": "张伟"}
    data.update(changes)
    with pytest.raises(DomainError) as refused:
        record.claim(lf["staff"]["clerk"], **data)
    assert refused.value.field == field and FoundItem.objects.get().state == "held"


def test_a_claim_records_the_id_and_the_signature(lf):
    record = found(lf)
    record.claim(lf["staff"]["clerk"], claimant_name="张伟", id_number=ID.lower(), description="黑色皮夹",
                 description_checked=True, signed="张伟")
    stored = FoundItem.objects.get()
    assert stored.state == "claimed" and stored.claimant_id_number == ID and stored.claim_checked_by == "clerk A"
    with pytest.raises(DomainError):
        stored.to_office(lf["staff"]["clerk"], received_by="行政 周")


def test_the_register_print_covers_local_days_at_their_boundaries(lf):
    from datetime import date
    from documents.lost_found import MAX_REGISTER_DAYS, register_items, register_span
    # Shanghai is UTC+8: 2026-11-30 23:30 local is 15:30 UTC, 2026-12-01 00:00 local is 2026-11-30 16:00 UTC
    last_of_november = found(lf, item="雨伞", found_at=datetime(2026, 11, 30, 15, 59, 59))
    first_of_december = found(lf, item="钥匙", found_at=datetime(2026, 11, 30, 16, 0))
    december = found(lf, item="钱包")
    assert register_span("2026-12") == (date(2026, 12, 1), date(2026, 12, 31))
    assert [f.pk for f in register_items(lf["A"], *register_span("2026-12"))] == [first_of_december.pk, december.pk]
    assert [f.pk for f in register_items(lf["A"], *register_span("2026-11"))] == [last_of_november.pk]
    assert [f.pk for f in register_items(lf["A"], date(2026, 11, 30), date(2026, 12, 1))] == \
        [last_of_november.pk, first_of_december.pk]
    assert list(register_items(lf["B"], *register_span("2026-12"))) == []       # another community's register
    first = date(2026, 1, 1)
    assert register_span("", first, first + timedelta(days=MAX_REGISTER_DAYS - 1))[1] == date(2027, 1, 1)
    for args, message in ((("2026-13",), "YYYY-MM"), (("", date(2026, 12, 2), date(2026, 12, 1)), "before the first"),
                          (("", first, first + timedelta(days=MAX_REGISTER_DAYS)), "at most 366 days"),
                          (("", None, None), "Choose a month")):
        with pytest.raises(DomainError, match=message):
            register_span(*args)
