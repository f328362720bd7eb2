"""What remains of an event once it was held: photos (with thumbnails) and residents' feedback.

Adding a photo or a rating is not a step of the event (the event keeps its state): it checks the
role and community with `authorize_area` and writes its own record, audited on the event.
"""
import io
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import DateTimeField, FileField, IntField, ReferenceField, StringField

from app import clock
from documents import audit
from documents.base import CommunityOwned, DomainError
from documents.events.common import AREA
from documents.files import GIF, JPEG, MB, PNG, WEBP, UploadRule, store
from documents.workflow import authorize_area

PHOTO_UPLOAD = UploadRule(types=frozenset({JPEG, PNG, WEBP, GIF}), max_bytes=8 * MB, field="photo",
                          refused=_l("This file is not a picture that can be read."),
                          empty=_l("Please choose a picture."), default_name="photo")
PHOTO_MAX_PIXELS = 40_000_000
#: Pillow's format names of the accepted types
PHOTO_FORMATS = {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP, "GIF": GIF}
THUMBNAIL_SIZE = (320, 320)
#: the states of an event in which its records are kept
RECORD_STATES = ("held", "recorded")


class EventPhoto(CommunityOwned):
    event = ReferenceField("Event", required=True, verbose_name=_l("Event"))
    image = FileField(collection_name="event_photos", verbose_name=_l("Picture"))
    thumbnail = FileField(collection_name="event_photos", verbose_name=_l("Thumbnail"))
    caption = StringField(max_length=200, verbose_name=_l("Caption"))
    filename = StringField(max_length=120)
    content_type = StringField(max_length=40)
    width = IntField()
    height = IntField()
    uploaded_by = ReferenceField("Staff", verbose_name=_l("Uploaded by"))
    uploaded_at = DateTimeField(verbose_name=_l("Uploaded at"))

    meta = {"collection": "event_photo_records", "indexes": ["event", "community"],
            "ordering": ["uploaded_at"]}

    def __str__(self):
        return self.caption or self.filename or str(self.pk)

    def remove(self, user):
        authorize_area(AREA, "action:add_record", user, self.community, label=_l("Delete photo"))
        self.image.delete()
        self.thumbnail.delete()
        event = self.event
        self.delete()
        audit.record("delete_photo", event, note=self.caption or self.filename, actor=user)


class EventFeedback(CommunityOwned):
    event = ReferenceField("Event", required=True, verbose_name=_l("Event"))
    household = ReferenceField("Household", verbose_name=_l("Household"))
    resident_name = StringField(max_length=60, verbose_name=_l("Resident"))
    rating = IntField(required=True, min_value=1, max_value=5, verbose_name=_l("Rating (1–5)"))
    comment = StringField(max_length=2000, verbose_name=_l("Comment"))
    recorded_by = ReferenceField("Staff", verbose_name=_l("Recorded by"))
    recorded_at = DateTimeField(verbose_name=_l("Recorded at"))

    meta = {"collection": "event_feedback", "indexes": ["event", "household"], "ordering": ["-recorded_at"]}

    def __str__(self):
        return f"{self.rating}/5 {self.comment or ''}"[:80]


def check_records_open(event, user, label):
    """Role, community, and an event that was held: else DomainError."""
    authorize_area(AREA, "action:add_record", user, event.community, label=label)
    if event.state not in RECORD_STATES:
        raise DomainError(gettext("Photos and feedback are recorded once the event was held."))


def _rating(value) -> int:
    try:
        rating = int(value)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise DomainError(gettext("The rating is 1 to 5."), field="rating")
    return rating


def add_feedback(event, user, rating, comment: str = "", household=None, resident_name: str = ""):
    check_records_open(event, user, _l("Add feedback"))
    rating = _rating(rating)
    if household is not None and household.community.pk != event.community.pk:
        raise DomainError(gettext("The household belongs to another community."), field="household")
    entry = EventFeedback(community=event.community, event=event, household=household, rating=rating,
                          comment=(comment or "").strip()[:2000], resident_name=(resident_name or "")[:60],
                          recorded_by=user, recorded_at=clock.now())
    entry.save()
    audit.record("add_feedback", event, note=f"{rating}/5 {entry.comment[:100]}", actor=user)
    return entry


def add_photo(event, user, data: bytes, caption: str = "", filename: str = "") -> EventPhoto:
    """Store an uploaded picture and its thumbnail in GridFS (only real images are accepted)."""
    check_records_open(event, user, _l("Upload photo"))
    name, _sniffed, data = PHOTO_UPLOAD.accept(filename, data)
    image_type, size, thumbnail = make_thumbnail(data)
    photo = EventPhoto(community=event.community, event=event, caption=(caption or "")[:200],
                       filename=name, content_type=image_type, width=size[0],
                       height=size[1], uploaded_by=user, uploaded_at=clock.now())
    store(photo.image, data, image_type, name)
    store(photo.thumbnail, thumbnail, JPEG)
    photo.save()
    audit.record("add_photo", event, note=photo.caption or photo.filename, actor=user)
    return photo


def feedback_average(event) -> Decimal | None:
    ratings = [f.rating for f in EventFeedback.objects(event=event).only("rating")]
    if not ratings:
        return None
    return (Decimal(sum(ratings)) / Decimal(len(ratings))).quantize(Decimal("0.1"), ROUND_HALF_UP)


def make_thumbnail(data: bytes):
    """(content type, (width, height), JPEG thumbnail bytes) of an image that passed PHOTO_UPLOAD.

    Pillow reads it fully: a picture that only starts like one, or is too large once unpacked
    (a decompression bomb), is refused here.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        image_format, size = _probe(data)
        thumbnail = _thumbnail_bytes(data)
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise DomainError(gettext("This file is not a picture that can be read."), field="photo")
    return PHOTO_FORMATS[image_format], size, thumbnail


def _probe(data: bytes):
    from PIL import Image

    with Image.open(io.BytesIO(data)) as probe:
        image_format = probe.format
        width, height = probe.size
        if image_format not in PHOTO_FORMATS or width * height > PHOTO_MAX_PIXELS:
            raise DomainError(gettext("Only JPEG, PNG, WebP or GIF pictures up to 40 megapixels."),
                              field="photo")
        probe.verify()
    return image_format, (width, height)


def _thumbnail_bytes(data: bytes) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as image:
        image = ImageOps.exif_transpose(image)
        image = image.convert("RGB")
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=82)
    return out.getvalue()

