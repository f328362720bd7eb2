"""Fees (收费): fee items and rates, monthly bills, payments and receipts, what a household owes.

- items.py: a community's fee items and their dated rates;
- ledger.py: bill lines, the monthly generation, case-by-case charges, the household's account
  and `fees_settled(household, on)` - the one answer other areas ask (item release, move-out);
- payments.py: payments at the counter, gapless receipt numbers, voiding;
- vacancy.py: vacancy applications (50 % while vacant, registered as the billing factor), meter
  readings, inspections of vacant units and basements, storm rounds;
- dunning.py: the arrears list (aging buckets), dunning records, promises on the agenda, letters.
"""
# imported for what they register: timeline sources, audit labels, the billing factor, the dunning hooks
from documents.fees import dunning, items, ledger, payments, vacancy  # noqa: F401
from documents.fees.ledger import Settlement, fees_settled  # noqa: F401
