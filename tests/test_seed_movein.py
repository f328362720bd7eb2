"""The move-in demo: today's handover day with owners at different steps, one moved in with a defect
that became a work order - and a second seed adds nothing."""
from documents.movein import MoveIn
from documents.repairs import Repair
from documents.residents import Household
from documents.staff import Staff


def test_the_move_in_demo(app_ctx, monkeypatch):
    from seed import run
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-xyz")
    report = run(households_per_community=(40, 20))
    assert "New move-in files: 6" in report
    community = Staff.objects(username="cashier").get().communities[0]
    files = list(MoveIn.objects(community=community))
    assert sorted(f.state for f in files) == sorted(["moved_in", "handbook", "inspect", "archive", "sign", "verify"])
    done = next(f for f in files if f.state == "moved_in")
    assert Household.objects(pk=done.household.pk).get().status == "current"
    assert Repair.objects(pk=done.defects[0].work_order.pk).count() == 1
    assert len({f.appointment_on for f in files}) == 1
    assert "New move-in files: 0" in run(households_per_community=(40, 20))
