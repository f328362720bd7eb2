"""The vacancy demo: applications in every step, a month lived in, basements, inspections with a
building missing, a storm round - and a second seed adds nothing."""
from documents.fees.vacancy import StormRound, VacantInspection, Vacancy, billing_factor, month_coverage
from documents.places import Room
from documents.staff import Staff


def test_the_vacancy_demo(app_ctx, monkeypatch):
    from seed import run
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-xyz")
    report = run(households_per_community=(40, 20))
    assert "New vacancy applications: 8" in report
    community = Staff.objects(username="cashier").get().communities[0]
    states = sorted(v.state for v in Vacancy.objects(community=community))
    assert states == ["applied", "received", "received", "reviewed"]
    flagged = Vacancy.objects(community=community, flagged=True).get()
    assert len(flagged.occupied_months) == 1 and flagged.work_order is not None and flagged.received_by
    assert billing_factor(flagged.household, flagged.occupied_months[0]) == 1
    # the demo's bills (seeded after the vacancies): the month lived in in full, the others at 50 %
    from documents.fees.ledger import BillLine
    factors = {line.period: line.factor for line in BillLine.objects(household=flagged.household, kind="property")}
    assert factors[flagged.occupied_months[0]] == "1" and "0.5" in factors.values()
    assert Room.objects(community=community, floor__lt=0).count() == 2
    from documents.fees.vacancy import community_today, period_of
    coverage = month_coverage(community, period_of(community_today(community)))
    assert 0 < coverage.percent < 100 and len(coverage.missing_by_building()) == 1
    assert VacantInspection.objects(community=community, work_order__ne=None).count() >= 1
    storms = StormRound.objects.count()
    assert "New vacancy applications: 0" in run(households_per_community=(40, 20))
    assert StormRound.objects.count() == storms
