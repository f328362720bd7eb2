"""Security headers: a CSP on every HTML page that the pages' own scripts fit, no-store on pages and
exports with personal data, nosniff / Referrer-Policy / framing everywhere, no version banner."""
import html as html_module
import re

from tests.conftest import login
from tests.support import admin_view

#: the inline handlers Flask-Admin 2.2.1 writes into its own templates; the CSP blocks them and
#: app/static/estate.js carries them out (each pattern here is one it handles)
FLASK_ADMIN_HANDLERS = [r"return faHelpers\.safeConfirm\('[^']*'\);", r"return modelActions\.execute\('[\w-]+'\);",
                        r"faForm\.addInlineField\(this, '[\w-]+'\);", r"return false;"]


def assert_page_fits_its_csp(response, url):
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip())
    script_src = directives.get("script-src", "")
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, url
    assert directives.get("frame-ancestors") == "'none'" and directives.get("object-src") == "'none'", url
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    html = response.get_data(as_text=True)
    for tag in re.findall(r"<script\b[^>]*>", html):
        if "src=" not in tag:                      # an inline block runs only with this page's nonce
            assert f'nonce="{nonce}"' in tag, (url, tag)
        else:                                      # and every script comes from the portal itself
            src = re.search(r'src="([^"]+)"', tag).group(1)
            assert src.startswith("/"), (url, src)
    # (sub-form templates are escaped inside a data attribute: they count once inserted)
    # none in the page as sent (they leave as data-fa-onclick: a browser reports each one it reads)
    assert not re.findall(r"""\son[a-z]+=["']""", html), url
    unescaped = html_module.unescape(html)
    for double, single in re.findall(r"""\son[a-z]+=(?:"([^"]*)"|'([^']*)')""", unescaped):
        code = double or single
        assert any(re.fullmatch(p, code) for p in FLASK_ADMIN_HANDLERS), (url, code)
    assert "javascript:" not in re.sub(r'href="javascript:void\(0\)"', "", unescaped), url


def assert_common_headers(response, url):
    assert response.headers["X-Content-Type-Options"] == "nosniff", url
    assert response.headers["Referrer-Policy"] == "same-origin", url
    assert response.headers["X-Frame-Options"] == "DENY", url
    assert not re.search(r"\d", response.headers.get("Server", "")), url   # no versions


def test_every_page_has_a_csp_it_fits_and_is_not_cached(app, world, client_as):
    anonymous = app.test_client()
    login_page = anonymous.get("/auth/login")
    assert_page_fits_its_csp(login_page, "/auth/login")
    assert_common_headers(login_page, "/auth/login")
    pages = 0
    for role in ("manager", "admin", "culture"):
        client = client_as(role)
        urls = ["/admin/", "/admin/lookup/?community=%s" % world["A"].pk, "/auth/password", "/admin/nowhere/"]
        for view in app.extensions["estate_admin"]._views:
            if hasattr(view, "model"):
                urls += [f"/admin/{view.endpoint}/", f"/admin/{view.endpoint}/new/"]
        for url in urls:
            response = client.get(url)
            if response.status_code == 403 or response.mimetype != "text/html":
                continue
            assert_page_fits_its_csp(response, url)
            assert_common_headers(response, url)
            assert response.headers["Cache-Control"] == "no-store", url
            pages += 1
    assert pages > 40


def test_exports_and_printouts_with_personal_data_are_not_cached(app, world, client_as):
    client = client_as("clerk")
    export = client.get("/admin/households/export/csv/")
    assert export.status_code == 200 and "13800138000" in export.get_data(as_text=True)
    assert export.headers["Cache-Control"] == "no-store"
    assert_common_headers(export, "export")
    details = client.get(f"/admin/households/details/?id={world['hh_a'].pk}")
    assert details.headers["Cache-Control"] == "no-store"
    assert_page_fits_its_csp(details, "details")
    edit = client.get(f"/admin/households/edit/?id={world['hh_a'].pk}")
    assert_page_fits_its_csp(edit, "edit")   # the "Add owner" buttons are Flask-Admin's handlers
    assert "faForm.addInlineField" in edit.get_data(as_text=True)


def test_static_assets_may_be_cached_and_the_shim_is_served(app, world):
    client = app.test_client()
    script = client.get("/static/estate.js")
    assert script.status_code == 200 and "no-store" not in script.headers.get("Cache-Control", "")
    text = script.get_data(as_text=True)
    for needle in ("safeConfirm", "modelActions", "addInlineField", "data-autosubmit", "data-confirm"):
        assert needle in text
    script.close()
    assert_common_headers(script, "static")


def test_the_nonce_changes_with_every_request(app, world):
    client = app.test_client()
    first = client.get("/auth/login").headers["Content-Security-Policy"]
    second = client.get("/auth/login").headers["Content-Security-Policy"]
    assert re.search(r"nonce-\S+", first).group() != re.search(r"nonce-\S+", second).group()


def test_no_server_banner_with_versions_from_the_development_server(app, world):
    response = login(app.test_client(), "clerk")
    assert response.headers["Server"] == "Estate Desk"
    assert admin_view(app, "households") is not None
