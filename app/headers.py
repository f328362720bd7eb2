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


def csp_nonce() -> str:
    """This request's nonce for inline <script> blocks (the same for every block of the page)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def _is_static(endpoint: str | None) -> bool:
    return bool(endpoint) and (endpoint == "static" or endpoint.endswith(".static"))


def secure_headers(response):
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
