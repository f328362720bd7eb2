"""The one receipt of a money step of a renovation file (fees paid, deposit refunded).

The step itself is the engine's conditional write, so it happens once; its receipt record is unique
per file in the database, numbered from the community's yearly sequence, and can be made again at
any time from what the file holds (after a crash between the two, the next look at it repairs it).
"""
from flask_babel import gettext
from mongoengine.errors import NotUniqueError

from documents.base import DomainError
from documents.money import money_text, to_money
from documents.renovations.common import as_date
from documents.sequences import Sequence


def confirm_amount(expected, actual):
    """The amount the person saw on the page must still be the amount paid."""
    if expected is not None and to_money(expected) != actual:
        raise DomainError(gettext(
            "The amount changed since you opened the page (now %(amount)s). Check it and confirm again.",
            amount=money_text(actual)))


def pay_once(renovation, step: str, user, values: dict, note: str):
    """A money step (fees received, deposit refunded): the engine's write on the state and version
    whose amounts were summed. A second click or a second cashier hears it was done already."""
    try:
        renovation.transition(step, user, values=values, note=note, check_version=True, checked=False)
    except DomainError:
        done = renovation.already_done(step)      # the engine has re-read the file
        if done:
            raise DomainError(done) from None
        raise


def issue_receipt(renovation, model, number_field: str, counter: str, code: str, at, build):
    """The `model` record of `renovation` (created by `build(receipt_no)` if missing), its number
    copied into `renovation.<number_field>`. Receipt numbers read ``<community>-<code><year>-00001``,
    counted by the sequence ``<community id>:<counter>:<year>``."""
    existing = model.objects(renovation=renovation).first()
    if existing is None:
        year = (as_date(at) or renovation.today()).year
        seq = Sequence.next(f"{renovation.community.pk}:{counter}:{year}")
        record = build(f"{renovation.community.code}-{code}{year}-{seq:05d}")
        try:
            record.save()
            existing = record
        except NotUniqueError:
            existing = model.objects(renovation=renovation).first()
    type(renovation).objects(pk=renovation.pk, **{number_field: None}).update_one(
        **{f"set__{number_field}": existing.receipt_no})
    setattr(renovation, number_field, existing.receipt_no)
    return existing
