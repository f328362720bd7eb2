"""The survey demo data: created once, through the real rules; a satisfaction trend over two months."""
from datetime import timedelta

from app import clock
from documents.agenda import Clock
from documents.places import Community
from documents.surveys import Campaign, Response, SurveyTemplate, satisfaction_by_month


def test_the_survey_demo_data_is_created_once(app_ctx, monkeypatch):
    from seed import run
    monkeypatch.setenv("DEMO_PASSWORD", "Kettle-orbit-Marble-59")
    run(households_per_community=(30, 20))
    counts = (SurveyTemplate.objects.count(), Campaign.objects.count(), Response.objects.count())
    assert counts[0] >= 1 and Campaign.objects(state="open").count() >= 1 and Campaign.objects(state="closed").count() >= 1
    assert Response.objects(state="returned", channel="link").count() >= 1
    assert Response.objects(state="pending").count() >= 1          # left to hand out (browser test)
    assert Clock.objects(kind="survey_return", state="breached").count() >= 1
    ids = [c.pk for c in Community.objects]
    trend = satisfaction_by_month(ids, clock.now() - timedelta(days=90), clock.now() + timedelta(days=1))
    assert len(trend) >= 2 and all(0 <= month["average"] <= 100 for month in trend)
    run(households_per_community=(30, 20))
    assert (SurveyTemplate.objects.count(), Campaign.objects.count(), Response.objects.count()) == counts
