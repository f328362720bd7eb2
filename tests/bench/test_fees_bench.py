"""The fees benchmark's payments are stored as the app stores them: what it writes straight is what
`settle_household` derives, and its receipt numbers are gapless in time order."""
import random
from datetime import date, datetime

from app import clock
from bench import data
from bench.fees import make_items, pay_month, periods
from documents.fees.ledger import Account, BillLine, generate_bills, settle_household
from documents.fees.payments import Payment
from documents.places import Community
from documents.residents import Household
from documents.staff import Staff


def state(community):
    lines = {line.pk: (line.paid, line.settled) for line in BillLine.objects(community=community)}
    accounts = {a.household.pk: (a.owed, a.open_lines, a.oldest_due_on) for a in Account.objects(community=community)}
    return lines, accounts


def test_stored_payments_equal_what_the_app_derives(app):
    with app.app_context():
        clock.freeze(datetime(2026, 12, 6, 4, 0))
        try:
            community = Community(code="BF", name_zh="基准收费").save()
            data.make_places(community, 60)
            data.make_households(community, 60, random.Random(3))
            make_items(community)
            cashier = Staff(username="bench_cashier", display_name="基准收银员", roles=["cashier"],
                            communities=[community]).save()
            households = list(Household.objects(community=community, status="current"))
            stats = {"take_payment": [], "kinds": {h.pk: "pays" for h in households}}
            stats["kinds"][households[0].pk] = "never"
            today = date(2026, 12, 6)
            assert periods(today)[-1] == "2026-12" and periods(today)[0] == "2026-01"
            rng = random.Random(5)
            for period in ("2026-10", "2026-11"):
                clock.freeze(datetime(2026, 12, 6, 4, 0))        # pay_month leaves the clock at its payments
                generate_bills(community, period)
                paid = pay_month(community, period, households, cashier, rng, 3, stats, today)
                assert paid == len(households) - 1
            assert len(stats["take_payment"]) == 6
            before = state(community)
            for household in households:
                settle_household(household)
            assert state(community) == before            # nothing the app would write differently
            assert Account.objects(household=households[0]).get().open_lines > 0
            assert not all(settled for _paid, settled in before[0].values())   # the one who never pays
            payments = sorted(Payment.objects(community=community), key=lambda p: p.receipt_seq)
            assert [p.receipt_seq for p in payments] == list(range(1, len(payments) + 1))
            assert [p.received_at for p in payments] == sorted(p.received_at for p in payments)
            assert {p.received_on[:7] for p in payments} == {"2026-10", "2026-11"}
        finally:
            clock.freeze(None)
