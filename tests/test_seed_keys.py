"""The key register demo: a building received, sets issued, loans out (one overdue and chased, one
awaiting the sales supervisor's signature), labels to renew - and a second seed adds nothing."""
from documents.agenda import Clock
from documents.keys import KeyLoan, KeySet, labels_to_renew
from documents.staff import Staff


def test_the_keys_demo(app_ctx, monkeypatch):
    from seed import run
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-xyz")
    report = run(households_per_community=(40, 20))
    assert "New key sets: 0" not in report
    community = Staff.objects(username="clerk").get().communities[0]
    assert KeySet.objects(community=community, state="issued").count() >= 1
    states = sorted(loan.state for loan in KeyLoan.objects(community=community))
    assert states == ["awaiting_signature", "on_loan", "on_loan", "returned"]
    late = KeyLoan.objects(community=community, borrower_kind="repair_staff").get()
    assert late.is_overdue() and len(late.chases) == 1
    assert Clock.objects(record_id=late.pk).get().state == "breached"
    assert labels_to_renew(community=community).count() == 2
    sets, loans = KeySet.objects.count(), KeyLoan.objects.count()
    assert "New key sets: 0" in run(households_per_community=(40, 20))
    assert (KeySet.objects.count(), KeyLoan.objects.count()) == (sets, loans)
