"""Browser tests: the portal in a subprocess on an embedded store, driven by Playwright + Chromium.

Skipped with a clear message when /usr/bin/chromium is absent, unless REQUIRE_BROWSER=1 (CI),
where a missing browser is a failure.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "e2e-password-1"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "e2e" / "screenshots"


def _browser_missing_reason():
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-wqy-microhei)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed"
    return None


@pytest.fixture(scope="session")
def portal():
    """Base URL of a freshly seeded portal running in its own process."""
    reason = _browser_missing_reason()
    if reason:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required but {reason}")
        pytest.skip(f"browser tests skipped: {reason}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data_dir = tempfile.mkdtemp(prefix="estate-e2e-")
    env = dict(os.environ, MONGODB_URI=str(Path(data_dir) / "data"), DEMO_PASSWORD=PASSWORD,
               PYTHONPATH=str(ROOT), SECRET_KEY="e2e-secret")
    log = open(Path(data_dir) / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "tests.e2e.serve", str(port)], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(base + "/auth/login", timeout=2)
            break
        except Exception:  # noqa: BLE001 - still starting
            if proc.poll() is not None:
                raise RuntimeError(Path(data_dir, "server.log").read_text())
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("portal did not start in time")
    yield base
    proc.terminate()
    proc.wait(timeout=10)
    log.close()
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(portal):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"])
        yield browser
        browser.close()


def new_page(browser, width=1366, height=900, phone=None, locale="zh-CN"):
    """A page in a browser context of its own (its own cookies), the window `width` x `height` px;
    `phone` (by default: narrower than 500 px) emulates a touch phone. Close it with page.context.close()."""
    phone = width < 500 if phone is None else phone
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale,
                                  is_mobile=phone, has_touch=phone)
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def log_in(page, portal, username, password=PASSWORD, lang=None):
    """Log `page` in through the login form; lang="zh_Hans_CN" or "en" also chooses that language
    (an account remembers the last one, which another test may have changed). Returns the page."""
    page.goto(portal + "/auth/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login-button")
    page.wait_for_url("**/admin/**")
    select = page.locator("#language-select")
    if lang and select.input_value() != lang:
        if page.viewport_size["width"] < 992:          # the top bar is folded behind its button
            page.locator("button.navbar-toggler").click()
        with page.expect_navigation():
            select.select_option(lang)
    return page


def local_today():
    """Today in the demo communities (Asia/Shanghai): from 16:00 UTC on, that is already tomorrow's date
    on a UTC machine, and a date typed into the portal is read in the community's time."""
    from datetime import datetime
    from zoneinfo import ZoneInfo
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def assert_no_horizontal_scroll(page, what=None):
    """The page is not wider than the window: neither the document nor its body scrolls sideways."""
    widths = page.evaluate("({doc: document.documentElement.scrollWidth, body: document.body.scrollWidth})")
    window = page.viewport_size["width"]
    assert max(widths["doc"], widths["body"]) <= window, (what, widths, window)


@pytest.fixture
def page(browser, portal):
    page = new_page(browser)
    yield page
    page.context.close()


@pytest.fixture
def login(page, portal, request):
    """login("clerk") logs the page in as that demo account and returns the page. A test module
    that asserts texts of one language sets LOGIN_LANGUAGE (e.g. "zh_Hans_CN")."""
    default_lang = getattr(request.module, "LOGIN_LANGUAGE", None)

    def do(username, password=PASSWORD, lang=default_lang):
        """lang="zh_Hans_CN" or "en": also choose that language (see log_in)."""
        return log_in(page, portal, username, password, lang)
    return do


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
