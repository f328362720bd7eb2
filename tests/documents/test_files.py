"""The one upload check of every area: content sniffed, size limited, name made safe."""
import pytest

from documents.base import DomainError
from documents.files import GIF, JPEG, MB, PDF, PNG, WEBP, UploadRule, safe_filename, sniff

PDF_BYTES = b"%PDF-1.4\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
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
