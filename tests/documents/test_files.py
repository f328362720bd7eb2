"""The one upload check of every area: content sniffed, size limited, name made safe."""
import pytest

from documents.base import DomainError
from documents.files import GIF, JPEG, MB, PDF, PNG, WEBP, UploadRule, safe_filename, sniff

PDF_BYTES = b"%PDF-1.4\n%%EOF\n"
from tests.support import PNG as PNG_BYTES  # a real (decodable) PNG
RULE = UploadRule(types=frozenset({PDF, PNG}), max_bytes=1 * MB, same_extension=True,
                  refused="%(name)s: only PDF or PNG")


def test_sniff_reads_the_content_not_the_name():
    assert sniff(PDF_BYTES) == PDF and sniff(PNG_BYTES) == PNG
    assert sniff(b"\xff\xd8\xff\xe0JFIF") == JPEG and sniff(b"GIF89a....") == GIF
    assert sniff(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == WEBP
    assert sniff(b"MZ\x90\x00") is None and sniff(b"") is None and sniff(None) is None


def test_safe_filename():
    assert safe_filename("../../etc/平面图.pdf") == "平面图.pdf"
    assert safe_filename("C:\\Users\\x\\a\"<b>.png") == "ab.png"
    assert safe_filename("", "photo") == "photo" and len(safe_filename("x" * 300)) == 120


def test_rule_refuses_empty_oversize_wrong_type_and_a_lying_name():
    with pytest.raises(DomainError, match="a.pdf is empty") as err:
        RULE.check("a.pdf", b"")
    assert err.value.field == "file"
    with pytest.raises(DomainError, match="larger than the limit of 1 MB"):
        RULE.check("a.pdf", PDF_BYTES + b"0" * MB)
    with pytest.raises(DomainError, match="a.exe: only PDF or PNG"):
        RULE.check("a.exe", b"MZ\x90\x00")
    with pytest.raises(DomainError, match="a.png: only PDF or PNG"):
        RULE.check("a.png", PDF_BYTES)          # the name says PNG, the content is a PDF
    with pytest.raises(DomainError, match="b.jpg: only PDF or PNG"):
        RULE.check("b.jpg", b"\xff\xd8\xff\xe0JFIF")   # a real JPEG, not accepted by this rule
    assert RULE.check("../plan.PDF", PDF_BYTES) == ("plan.PDF", PDF)
    loose = UploadRule(types=frozenset({PNG}), max_bytes=MB, refused="no", field=None)
    assert loose.check("photo.jpg", PNG_BYTES) == ("photo.jpg", PNG)   # names not checked here


def _image(kind, size=(40, 30), **save):
    import io

    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, kind, **save)
    return out.getvalue()


PHOTOS = UploadRule(types=frozenset({JPEG, PNG, GIF, WEBP}), max_bytes=5 * MB,
                    refused="%(name)s: only pictures", field="photo")


@pytest.mark.parametrize("fake", [
    b"GIF89a<html><script>alert(document.cookie)</script></html>",     # an image's first bytes + HTML
    b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(60)),   # a PNG header, nothing behind
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00<svg onload=alert(1)>",
    b"RIFF\x10\x00\x00\x00WEBPVP8 <html>",
])
def test_a_file_that_only_starts_like_an_image_is_refused(fake):
    with pytest.raises(DomainError, match="not a readable image") as err:
        PHOTOS.accept("photo.gif", fake)
    assert err.value.field == "photo"


def test_an_image_with_a_format_behind_another_formats_first_bytes_is_refused():
    png = _image("PNG")
    with pytest.raises(DomainError, match="not a readable image"):
        PHOTOS.accept("x.gif", b"GIF89a" + png[6:])


@pytest.mark.parametrize("kind,content_type", [("PNG", PNG), ("JPEG", JPEG), ("GIF", GIF), ("WEBP", WEBP)])
def test_images_are_decoded_and_stored_re_encoded_without_trailing_payloads(kind, content_type):
    import io

    from PIL import Image
    original = _image(kind) + b"<html><script>alert(1)</script></html>"   # a polyglot tail
    name, sniffed, stored = PHOTOS.accept("p.img", original)
    assert sniffed == content_type and b"<script>" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == kind and image.size == (40, 30)


def test_a_photos_exif_metadata_is_dropped():
    import io

    from PIL import Image
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"              # Make
    exif[0x0112] = 6                        # Orientation: rotate 90
    tagged = _image("JPEG", exif=exif.tobytes())
    _name, _type, stored = PHOTOS.accept("p.jpg", tagged)
    assert b"SecretCam" in tagged and b"SecretCam" not in stored
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (30, 40)       # turned upright as the camera meant it


def test_a_decompression_bomb_is_refused(monkeypatch):
    import documents.files as files
    monkeypatch.setattr(files, "MAX_PIXELS", 100)
    with pytest.raises(DomainError, match="not a readable image"):
        PHOTOS.accept("big.png", _image("PNG"))


def test_pdfs_are_kept_as_sent():
    assert RULE.accept("plan.pdf", PDF_BYTES) == ("plan.pdf", PDF, PDF_BYTES)


@pytest.mark.parametrize("raw,clean", [
    ("doc\u202egpj.pdf", "docgpj.pdf"),                  # RIGHT-TO-LEFT OVERRIDE: would read "docfdp.jpg"
    ("\u2067invoice\u2069.pdf", "invoice.pdf"),           # isolates
    ("a\u200fb\u200e\u061c.pdf", "ab.pdf"),               # marks
    ("\u202a\u202b\u202cx\u202d.pdf", "x.pdf"),
    ("平面图\u202e.pdf", "平面图.pdf"),
])
def test_bidirectional_controls_are_stripped_from_stored_names(raw, clean):
    assert safe_filename(raw) == clean
    assert RULE.accept(raw, PDF_BYTES)[0] == clean


def test_stored_files_written_before_the_shared_base_still_load(app_ctx, world):
    """Records and GridFS bytes stored under the former field and collection names read the same."""
    import datetime

    import gridfs
    from mongoengine.connection import get_db

    from documents.household_files import HouseholdFile
    from documents.renovations import RenovationAttachment
    from documents.repairs import RepairPhoto, RepairSignature

    db, community, household = get_db(), world["A"].pk, world["hh_a"].pk
    at = datetime.datetime(2026, 11, 2, 8, 30)
    shapes = [   # (document, its collection, GridFS collection, the fields as they were stored)
        (HouseholdFile, "household_files", "household_files",
         {"household": household, "kind": "contract", "size": len(PDF_BYTES),
          "uploaded_at": at, "uploaded_by_name": "clerk"}),
        (RenovationAttachment, "renovation_attachments", "renovation_files",
         {"renovation": household, "kind": "licence", "size": len(PDF_BYTES),
          "sha256": "ab", "uploaded_at": at, "uploaded_by": world["staff"]["clerk"].pk,
          "uploaded_by_name": "王芳"}),
        (RepairPhoto, "repair_photos", "fs",
         {"repair": household, "uploaded_by": world["staff"]["clerk"].pk, "uploaded_at": at}),
        (RepairSignature, "repair_signatures", "fs",
         {"repair": household, "signer": "张伟",
          "recorded_by": world["staff"]["clerk"].pk, "recorded_at": at}),
    ]
    for document, collection, files, fields in shapes:
        grid_id = gridfs.GridFS(db, collection=files).put(PDF_BYTES, content_type=PDF, filename="合同.pdf")
        pk = db[collection].insert_one(dict(fields, community=community, file=grid_id, filename="合同.pdf",
                                            content_type=PDF)).inserted_id
        record = document.objects.get(pk=pk)
        assert record.read() == PDF_BYTES and record.filename == "合同.pdf" and record.content_type == PDF
        assert record.to_mongo().to_dict() == db[collection].find_one({"_id": pk}), document.__name__
    assert str(HouseholdFile.objects.get()) == "合同.pdf" and HouseholdFile.objects.get().uploaded_at == at
    assert RenovationAttachment.objects.get().uploaded_by_name == "王芳"
    assert RepairSignature.objects.get().recorded_at == at
