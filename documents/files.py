"""Uploaded files of every area: the real type read from the content, a size limit, GridFS.

Neither the file name nor the type the browser claims is trusted: the first bytes decide, and an
image is decoded whole (Pillow) and stored re-encoded, so a file that only starts like an image
(`GIF89a` followed by HTML) is refused and nothing but pixels survives (metadata such as a photo's
GPS position is dropped too). Each area states what it accepts as an `UploadRule` (content types,
size limit, the message naming its types) and stores what `rule.accept(filename, data)` returns in a
document derived from `StoredFile` (or `UploadedFile`). Stored files are served only through the
area's own scoped view (admin_views/files.py), never through Flask-Admin's api_file_view.
"""
import io
import os
import re
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from flask_babel import gettext, lazy_gettext as _l
from mongoengine import DateTimeField, FileField, IntField, ReferenceField, StringField

from documents.base import CommunityOwned, DomainError

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
GIF = "image/gif"
WEBP = "image/webp"

#: content type -> the file name extensions that go with it
EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg"), PNG: (".png",), GIF: (".gif",), WEBP: (".webp",)}
MB = 1024 * 1024
#: Pillow's format name of each image type (what an image is re-encoded as)
IMAGE_FORMATS = {JPEG: "JPEG", PNG: "PNG", GIF: "GIF", WEBP: "WEBP"}
#: the largest image decoded (pixels): a phone photo has about 12-50 million
MAX_PIXELS = 60_000_000
#: bidirectional controls (LRE RLE PDF LRO RLO, LRI RLI FSI PDI, LRM RLM ALM): `doc\u202egpj.pdf`
#: would show as "docfdp.jpg"
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def sniff(data: bytes) -> str | None:
    """The content type the first bytes show (PDF, JPEG, PNG, GIF or WebP), or None."""
    head = (data or b"")[:16]
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"GIF8"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def safe_filename(filename: str | None, default: str = "file") -> str:
    """The last part of an uploaded name, without control characters (also the bidirectional ones
    that make a name read backwards) or quotes; at most 120 chars."""
    name = os.path.basename((filename or "").replace("\\", "/"))
    return re.sub(f"[\\x00-\\x1f\\x7f\"<>{BIDI_CONTROLS}]", "", name).strip()[:120] or default


def reencoded_image(data: bytes, content_type: str) -> bytes | None:
    """The image decoded whole and encoded again in its own format, or None if it does not decode
    (a truncated file, another format behind an image's first bytes, a decompression bomb)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                if image.format != IMAGE_FORMATS[content_type] or \
                        image.width * image.height > MAX_PIXELS:
                    return None
                frames = getattr(image, "n_frames", 1)
                if content_type == JPEG:
                    image = ImageOps.exif_transpose(image)   # upright without the EXIF tag
                image.load()
                out = io.BytesIO()
                if frames > 1 and content_type in (GIF, WEBP):
                    image.save(out, IMAGE_FORMATS[content_type], save_all=True)
                elif content_type == JPEG:
                    image.convert("RGB").save(out, "JPEG", quality=90)
                else:
                    image.save(out, IMAGE_FORMATS[content_type])
                return out.getvalue()
    except (OSError, ValueError, SyntaxError, EOFError, UnidentifiedImageError,
            Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None


@dataclass(frozen=True)
class UploadRule:
    """What one kind of upload accepts. Messages are translated when raised; `%(name)s` is the file."""

    types: frozenset
    max_bytes: int
    #: refusal of any other content, naming what is accepted
    refused: object
    #: the form field the messages belong to (None: no field)
    field: str | None = "file"
    #: the name's extension must fit the content too (documents kept for printing and download)
    same_extension: bool = False
    empty: object = _l("%(name)s is empty.")
    default_name: str = "file"

    def check(self, filename: str | None, data: bytes) -> tuple[str, str]:
        """(safe file name, sniffed content type), or a DomainError saying what is wrong."""
        name, content_type, _data = self.accept(filename, data)
        return name, content_type

    def accept(self, filename: str | None, data: bytes) -> tuple[str, str, bytes]:
        """(safe file name, sniffed content type, the bytes to store: an image re-encoded), or a
        DomainError saying what is wrong."""
        name = safe_filename(filename, self.default_name)
        if not data:
            raise DomainError(str(self.empty) % {"name": name}, field=self.field)
        if len(data) > self.max_bytes:
            raise DomainError(gettext("%(name)s is larger than the limit of %(mb)d MB.", name=name,
                                      mb=self.max_bytes // MB), field=self.field)
        content_type = sniff(data)
        extension = os.path.splitext(name)[1].lower()
        if content_type not in self.types or (
                self.same_extension and extension not in EXTENSIONS[content_type]):
            raise DomainError(str(self.refused) % {"name": name}, field=self.field)
        if content_type in IMAGE_FORMATS:
            data = reencoded_image(data, content_type)
            if data is None:
                raise DomainError(gettext("%(name)s is not a readable image (damaged, or another kind of "
                                          "file that only starts like one).", name=name), field=self.field)
        return name, content_type, data


def store(proxy, data: bytes, content_type: str, filename: str | None = None):
    """Put checked bytes into a document's GridFS field (the FileField's proxy)."""
    proxy.put(data, content_type=content_type, filename=filename)


def read_stored(proxy) -> bytes:
    """The whole stored file (b"" if there is none), from the start even if it was read before."""
    if not proxy:
        return b""
    proxy.seek(0)
    return proxy.read() or b""


class StoredFile(CommunityOwned):
    """A file of one community kept in GridFS, with its (safe) name and the type its content showed.

    Abstract: each area's document adds what the file belongs to. The bytes go to GridFS's default
    collection (`fs`); a document that keeps them in a collection of its own redeclares
    `file = FileField(collection_name=...)`. The field names are those of the stored data.
    """

    meta = {"abstract": True}
    file = FileField()
    filename = StringField(max_length=200, verbose_name=_l("File name"))
    content_type = StringField(max_length=40, verbose_name=_l("Type"))

    def __str__(self):
        return self.filename or ""

    def keep(self, data: bytes, content_type: str, filename: str):
        """Put checked bytes (what `UploadRule.accept` or `check` let through) into GridFS and note
        their name and type; the caller saves the document."""
        self.filename, self.content_type = filename, content_type
        store(self.file, data, content_type, filename)

    def read(self) -> bytes:
        return read_stored(self.file)

    def discard(self):
        """Remove the record and its stored bytes (an upload whose step was refused)."""
        type(self).objects(pk=self.pk).delete()
        self.file.delete()


class UploadedFile(StoredFile):
    """A stored file a staff member uploaded: when and by whom (the account, and/or the name shown
    in lists), and its size. An area sets those it keeps; the others stay empty (not stored)."""

    meta = {"abstract": True}
    size = IntField(verbose_name=_l("Size"))
    uploaded_at = DateTimeField(verbose_name=_l("Uploaded at"))
    uploaded_by = ReferenceField("Staff", verbose_name=_l("Uploaded by"))
    uploaded_by_name = StringField(verbose_name=_l("Uploaded by"))
