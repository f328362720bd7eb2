"""Facts checked against the record's own timeline, and facts that stay recorded (issue 8, point 8)."""
from datetime import timedelta

import pytest
from mongoengine import ValidationError

from app import clock
from documents.base import DomainError
from documents.services import CLOCK_SKEW
from documents.visits import log_visit
from documents.workflow import flatten_errors
from tests.services_support import (completed_repair, freeze_shanghai, make_complaint, make_repair,  # noqa: F401
                                    request_context, shanghai)


def staff(world, name):
    return world["staff"][name]


def test_a_complaint_is_not_received_in_the_future_beyond_the_clock_skew(world):
    freeze_shanghai(2026, 11, 27, 15, 0)
    with pytest.raises(ValidationError) as err:
        make_complaint(world, received_at=clock.now() + timedelta(hours=2))
    field, message = flatten_errors(err.value)[0]
    assert field == "received_at" and "at the latest 2026-11-27 15:05" in message
    within_skew = make_complaint(world, received_at=clock.now() + CLOCK_SKEW)     # a fast watch
    assert within_skew.received_at == shanghai(2026, 11, 27, 15, 5)
    clock.freeze(shanghai(2026, 11, 28, 9, 0))                 # a step later re-validates it: still fine
    within_skew.assign(staff(world, "supervisor"), "customer_service")
    assert within_skew.reload().state == "assigned"


def test_arrival_is_not_before_dispatch_nor_completion_before_arrival(world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    clerk = staff(world, "clerk")
    repair = make_repair(world)
    repair.dispatch(clerk, "王师傅")
    with pytest.raises(DomainError) as err:
        repair.arrive(clerk, at=shanghai(2026, 3, 11, 8, 50))
    assert err.value.field == "at" and "not before 2026-03-11 09:00" in err.value.message
    repair.arrive(clerk, at=clock.now() + timedelta(minutes=4))      # a watch 4 minutes fast
    with pytest.raises(DomainError) as err:
        repair.complete(clerk, "更换阀芯")
    assert "before the technician was on site (2026-03-11 09:04)" in err.value.message
    clock.freeze(shanghai(2026, 3, 11, 9, 30))
    repair.complete(clerk, "更换阀芯")
    assert repair.completed_at == shanghai(2026, 3, 11, 9, 30)


def test_a_late_arrival_stays_recorded_when_the_appointment_is_edited(world):
    freeze_shanghai(2026, 3, 11, 9, 0)
    clerk = staff(world, "clerk")
    repair = make_repair(world)
    repair.dispatch(clerk, "王师傅", appointment_at=shanghai(2026, 3, 11, 9, 0))
    clock.freeze(shanghai(2026, 3, 11, 9, 40))
    repair.arrive(clerk)
    assert repair.reload().arrival_late
    repair.appointment_at = shanghai(2026, 3, 11, 9, 30)          # "the resident had said 9:30"
    repair.save_versioned(repair.version)
    repair.reload()
    assert repair.arrival_late and repair.arrival_due_at == shanghai(2026, 3, 11, 9, 45)


def test_a_repair_is_closed_by_a_visit_only_once_the_resident_signed_off(world):
    freeze_shanghai(2026, 11, 27, 9, 0)
    repair = completed_repair(world)
    with pytest.raises(DomainError) as err:
        log_visit(repair, staff(world, "clerk"), resident_said="好了", satisfaction=5)
    assert "signs off the work first" in err.value.message and repair.reload().state == "completed"
    # the supervisor may close it without the signature, with a recorded reason
    repair.close(staff(world, "supervisor"), "unreachable", "三次电话未接")
    assert (repair.state, repair.close_reason, repair.close_note) == ("closed", "unreachable", "三次电话未接")


def test_a_return_visit_is_not_dated_before_the_work_it_follows(world):
    freeze_shanghai(2026, 11, 27, 9, 0)
    repair = completed_repair(world)
    repair.sign_off(staff(world, "clerk"), 5, paper_order_no="P-7")
    with pytest.raises(DomainError) as err:
        log_visit(repair, staff(world, "clerk"), visited_at=shanghai(2020, 1, 1, 10, 0),
                  resident_said="好", satisfaction=5)
    assert err.value.field == "visited_at" and repair.reload().state == "signed_off"
