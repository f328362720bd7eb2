"""QR codes on prints: an inline SVG drawn by segno (pure Python) — no image file, no outside service.

The code carries only what is given (e.g. the URL of a page behind the login): scanning it shows nothing
to someone who cannot log in with the right role.
"""
import segno
from flask import current_app, url_for
from markupsafe import Markup


def printed_url(endpoint: str, **values) -> str:
    """The full address of a page for paper (a printed link, a QR code): PUBLIC_BASE_URL when the portal
    sits behind a proxy that the request's own host does not name, else the request's address."""
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def qr_svg(text: str, *, scale: int = 3, title: str = "") -> Markup:
    """`text` as a QR code (error correction M), an <svg> element to put in a page as it is."""
    code = segno.make(text, error="m", micro=False)
    return Markup(code.svg_inline(scale=scale, title=title or None, svgclass="qr", lineclass=None))
