"""Every print is on the one A4 frame (app/templates/print_base.html): no template carries its own @page or
<!DOCTYPE html>, and every print template extends the frame (directly or through a frame of its area)."""
import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
FRAME = "print_base.html"
#: the prints moved onto the frame (issue 11 and the prints before it), by template
PRINTS = ["rental/listing_print.html", "rental/receipt_print.html", "fees/finance/print_reconciliation.html",
          "fees/arrears/letters.html", "services/work_order.html", "feedback/slip_print.html",
          "item_release/print.html", "lost_found/notice.html", "lost_found/register_print.html", "notices/print.html"]
PAGES = {"public_base.html"}             # the public pages' own frame (not a print)


def parent_of(path: Path) -> str | None:
    match = re.search(r"{%-?\s*extends\s+['\"]([^'\"]+)['\"]", path.read_text(encoding="utf-8"))
    return match.group(1) if match else None


def reaches_the_frame(name: str) -> bool:
    seen = set()
    while name and name not in seen:
        if name == FRAME:
            return True
        seen.add(name)
        name = parent_of(TEMPLATES / name)
    return False


def test_only_the_frame_has_an_a4_page_rule():
    with_page = sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html") if "@page" in p.read_text())
    assert with_page == [FRAME]
    doctypes = sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html")
                      if "<!doctype" in p.read_text().lower())
    assert set(doctypes) - PAGES == {FRAME}


def test_every_print_extends_the_frame():
    assert not (TEMPLATES / "rental" / "_print_head.html").exists()
    for name in PRINTS:
        assert reaches_the_frame(name), name
    others = [str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*print*.html")
              if p.name != FRAME and not reaches_the_frame(str(p.relative_to(TEMPLATES)))]
    assert others == []
