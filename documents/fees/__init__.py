"""Fees (收费): fee items and rates, monthly bills, payments and receipts, what a household owes.

- items.py: a community's fee items and their dated rates;
- ledger.py: bill lines, the monthly generation, case-by-case charges, the household's account
  and `fees_settled(household, on)` - the one answer other areas ask (item release, move-out);
- payments.py: payments at the counter, gapless receipt numbers, voiding.
"""
from documents.fees import items, ledger, payments  # noqa: F401 - registers the timeline and audit labels
from documents.fees.ledger import Settlement, fees_settled  # noqa: F401
