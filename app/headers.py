"""Security headers of every response (OWASP secure headers), set in one after_request.

- Content-Security-Policy on every page: scripts only from the portal itself or an inline block
  carrying this request's nonce (Flask-Admin writes one into its own blocks through
  `Admin(csp_nonce_generator=csp_nonce)`); no inline event handlers (app/static/estate.js does
  their work); styles from the portal and the pages' own <style> blocks and style attributes
  ('unsafe-inline' for styles only: Bootstrap's and Flask-Admin's scripts set styles inline);
  nothing is framed, no plug-ins, forms post only to the portal. Served files keep their own,
  stricter sandbox policy (admin_views/files.py).
- nosniff, Referrer-Policy and X-Frame-Options everywhere.
- Cache-Control: no-store on every response but the static assets: pages, exports and printouts
  carry personal data and must not stay in a shared computer's cache (a served file may say
  otherwise, e.g. a thumbnail kept privately for a while).
- The Server header names the product only, never a server or Python version.
"""
import secrets

from flask import g, request

CSP = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SERVER = "Estate Desk"
INLINE_HANDLER = ' onclick="'
ADOPTED_HANDLER = ' data-fa-onclick="'


def csp_nonce() -> str:
    """This request's nonce for inline <script> blocks (the same for every block of the page)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _is_static(endpoint: str | None) -> bool:
    return bool(endpoint) and (endpoint == "static" or endpoint.endswith(".static"))


def move_inline_handlers(response):
    """Flask-Admin's templates carry a few `onclick="..."` attributes; the CSP refuses them, and
    newer browsers report each one as the page is read. They leave as `data-fa-onclick`, which
    app/static/estate.js carries out on click (it also moves those of nodes added later)."""
    if response.mimetype != "text/html" or response.direct_passthrough or response.is_streamed:
        return response
    body = response.get_data(as_text=True)
    if INLINE_HANDLER in body:
        response.set_data(body.replace(INLINE_HANDLER, ADOPTED_HANDLER))
    return response


def secure_headers(response):
    move_inline_handlers(response)
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers["Server"] = SERVER
    if response.mimetype == "text/html":
        headers.setdefault("Content-Security-Policy", CSP.format(nonce=csp_nonce()))
    if not _is_static(request.endpoint):
        headers.setdefault("Cache-Control", "no-store")
    return response


def init_app(app):
    app.after_request(secure_headers)
