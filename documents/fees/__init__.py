"""Fees (收费): fee items and rates, monthly bills, payments and receipts, what a household owes.

- items.py: a community's fee items and their dated rates;
- ledger.py: bill lines, the monthly generation, case-by-case charges, the household's account
  and `fees_settled(household, on)` - the one answer other areas ask (item release, move-out);
- payments.py: payments at the counter, gapless receipt numbers, voiding;
- dunning.py: the arrears list (aging buckets), dunning records, promises on the agenda, letters.
"""
from documents.fees import items, ledger, payments, dunning  # noqa: F401 - registers the timeline and audit labels, the dunning hooks
from documents.fees.ledger import Settlement, fees_settled  # noqa: F401
