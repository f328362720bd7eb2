"""The feedback demo data: created once, through the real rules."""
from documents.feedback import ComplaintRelay, FeedbackEntry, LiaisonSlip


def test_the_feedback_demo_data_is_created_once(app_ctx, monkeypatch):
    from seed import run
    monkeypatch.setenv("DEMO_PASSWORD", "Kettle-orbit-Marble-59")
    run(households_per_community=(30, 20))
    counts = (FeedbackEntry.objects.count(), LiaisonSlip.objects.count(), ComplaintRelay.objects.count())
    assert counts[0] >= 3 and counts[1] >= 3 and counts[2] >= 1
    assert LiaisonSlip.objects(state="replied").count() >= 1 and LiaisonSlip.objects(state="reported").count() >= 1
    assert ComplaintRelay.objects(relay_late=True).count() >= 1
    run(households_per_community=(30, 20))
    assert (FeedbackEntry.objects.count(), LiaisonSlip.objects.count(), ComplaintRelay.objects.count()) == counts
