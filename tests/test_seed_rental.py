"""The rental agency demo: listings let / available / withdrawn, prospects in every state with their
receipts, the tenant in the archive, a complaint's clock - and a second seed adds nothing."""
from documents.agenda import Clock
from documents.rental import Listing, Prospect, RentalFile, RentalReceipt, TenantComplaint
from documents.staff import Staff


def test_the_rental_demo(app_ctx, monkeypatch):
    from seed import run
    monkeypatch.setenv("DEMO_PASSWORD", "demo-password-xyz")
    report = run(households_per_community=(40, 20))
    assert "New rental listings: 6" in report
    community = Staff.objects(username="cashier").get().communities[0]
    assert sorted(l.state for l in Listing.objects(community=community)) == ["available", "let", "withdrawn"]
    assert sorted(p.state for p in Prospect.objects(community=community)) == \
        ["deposit_paid", "new", "no_deal", "signed"]
    assert RentalReceipt.objects(community=community).count() == 7     # 4 deposits, 90 back + 10 kept, lease fee, deposit back
    let = Listing.objects(community=community, state="let").get()
    assert let.household.tenants[-1].name == "郑女士" and len(let.checks) == 1
    assert RentalFile.objects(community=community).count() == 2
    assert Clock.objects(kind="rental_complaint_report", community=community).count() == 1
    assert TenantComplaint.objects(community=community).count() == 1
    assert "New rental listings: 0" in run(households_per_community=(40, 20))
    assert Listing.objects.count() == 6
