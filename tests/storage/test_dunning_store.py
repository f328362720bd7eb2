"""Arrears and dunning on the embedded store, in a process of its own: the account's aging and
"never contacted" written with it (an upsert with $setOnInsert), the arrears list's filters answered
exactly from the indexes (no document checked one by one), the daily pass of the sweeper, and a
promise's clock from recording to breach to payment."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
from datetime import date, datetime
from decimal import Decimal
from app import clock, create_app, embedded_store
from app.config import Config
cfg = Config(); cfg.MONGODB_URI = {uri!r}
app = create_app(cfg)
from documents.agenda import Clock, sweep
from documents.fees.dunning import Contact, DunningRecord, arrears_for, record_contact
from documents.fees.items import FeeItem, Rate
from documents.fees.ledger import Account, generate_bills
from documents.fees.payments import take_payment
from documents.places import Building, Community, Room
from documents.residents import Household
from documents.staff import Staff

clock.freeze(datetime(2026, 12, 20, 2, 0))
with app.test_request_context("/"):
    c = Community(code="D", name_zh="D").save()
    for number in ("1", "2"):
        Building(community=c, number=number, floors=1).save().generate_units_and_rooms(1, 1, 2, area=Decimal("100"))
    homes = [Household(community=c, room=room, name=room.code).save_versioned(None)
             for room in Room.objects(community=c).order_by("code")]
    FeeItem(community=c, code="WY", name_zh="物业费", kind="property", basis="area", due_day=15,
            rates=[Rate(valid_from=date(2025, 1, 1), amount=Decimal("2.00"))]).save()
    cashier = Staff(username="cashier", display_name="Cashier", roles=["cashier"], communities=[c]).save()
    keeper = Staff(username="keeper", display_name="Keeper", roles=["housekeeper"], communities=[c],
                   buildings=["1"]).save()
    generate_bills(c, "2026-11")
    ages = sorted({{(a.aging, a.contact_age) for a in Account.objects}})
    record = record_contact(homes[0], keeper, Contact(method="phone", contacted_at=datetime(2026, 12, 20, 1, 0),
                                                      resident_said="ok", promised_on=date(2026, 12, 22)))
    exact = []
    for user, choices in ((cashier, {{}}), (keeper, {{"aging": "31-60", "contact": "7"}}),
                          (cashier, {{"building": "2", "contact": "never", "sort": "room"}})):
        query = arrears_for(user, [c], **choices).queryset()
        exact.append(embedded_store.exact_plan(Account._get_collection(), query._query) is not None)
        exact.append(query.count())
    clock.freeze(datetime(2026, 12, 23, 1, 0))
    sweep()
    breached = Clock.objects(record_id=record.pk).first().state
    take_payment(homes[0], cashier, "200", "cash", token="t")
    stopped = Clock.objects(record_id=record.pk).first()
    print(ages, exact, breached, stopped.state, stopped.phase, DunningRecord.objects.get(pk=record.pk).state,
          Account.objects(household=homes[0]).first().aging)
"""


def test_dunning_on_the_embedded_store(tmp_path):
    code = SCRIPT.format(uri=str(tmp_path / "data"))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=180, env={"PATH": "/usr/bin:/bin", "SECRET_KEY": "x"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "[('31-60', 'never')] [True, 4, True, 1, True, 2] breached breached done paid none")
