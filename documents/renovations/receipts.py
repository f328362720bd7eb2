"""The one receipt of a money step of a renovation file (fees paid, deposit refunded).

The step itself is the engine's conditional write, so it happens once; its receipt record is unique
per file in the database, numbered from the community's yearly sequence, and can be made again at
any time from what the file holds (after a crash between the two, the next look at it repairs it).
"""
from mongoengine.errors import NotUniqueError

from documents.renovations.common import as_date
from documents.sequences import Sequence


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
