"""The household accounts list reads no record per row: 5 rows and 20 rows cost the same queries."""
import re
from datetime import date, datetime
from decimal import Decimal

from bench.queries import count_queries
from documents.fees.ledger import Account, _write_account
from documents.residents import Household
from tests.support import english_request
from tests.views.test_list_queries import add_households


def _accounts(app, world, n=46):
    """`n` households more in building 9 of community A, each with an account that was paid into
    (its last payment is shown on the community's clock); every other one owes."""
    with english_request(app):
        add_households(world["A"], n)
        for index, household in enumerate(Household.objects(community=world["A"]).order_by("sort_key")):
            owed = Decimal("120.50") if index % 2 else Decimal("0")
            _write_account(household, owed, 1 if owed else 0, date(2026, 10, 15) if owed else None,
                           datetime(2026, 11, 3, 2, 30))


def test_the_accounts_list_reads_no_record_per_row(app, client_as, world):
    _accounts(app, world)
    client = client_as("cashier")
    client.get("/admin/fee_accounts/")
    for query, few, rows_expected in (("sort=0&page=2&page_size=20", "sort=0&page_size=50", [8, 48]),
                                      ("page=1&page_size=20", "page_size=50", [20, 48])):
        counts, rows = [], []
        for url in (query, few):
            with count_queries() as log:
                page = client.get(f"/admin/fee_accounts/?{url}").data.decode()
            rows.append(page.count('class="account-link"'))
            counts.append(log.calls)
        assert rows == rows_expected
        assert "2026-11-03 10:30" in page                   # the last payment, on Shanghai's clock
        assert counts[0] == counts[1], counts
        assert sum(counts[1].values()) <= 8, counts[1]


def test_accounts_written_before_their_standing_are_listed_and_filtered(app, client_as, world, monkeypatch):
    """An account stored before `standing` existed gets it from what it owes the first time the list
    asks (once per process): it is listed, the owing ones first, and the owing filter finds it."""
    from documents.fees import ledger
    from tests.support import filter_arg

    _accounts(app, world, n=4)
    Account._get_collection().update_many({}, {"$unset": {"standing": ""}})
    monkeypatch.setattr(ledger, "_standing_filled", False)
    page = client_as("cashier").get("/admin/fee_accounts/").data.decode()
    rooms = re.findall(r'class="account-link">([^<]+)<', page)
    owing = {a.room_code for a in Account.objects(owed_fen__gt=0)}
    assert len(rooms) == 6 and len(owing) == 3 and set(rooms[:3]) == owing
    assert {a.standing for a in Account.objects} == {"owing", "clear"}
    flt = filter_arg(app, "fee_accounts", column="standing")
    page = client_as("cashier").get(f"/admin/fee_accounts/?{flt}=0").data.decode()
    assert set(re.findall(r'class="account-link">([^<]+)<', page)) == set(rooms[3:])
