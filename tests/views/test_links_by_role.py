"""A link a role cannot open is not shown: every role follows the links of its pages on the demo
data (home, menu, lists, the records they show) and none of them answers 403."""
import re
from collections import deque
from html import unescape
from urllib.parse import parse_qsl, urlparse

import pytest

from tests.conftest import ROLES

DEMO_PASSWORD = "demo-links-password-7"
MAX_PAGES = 160


@pytest.fixture
def demo(app, monkeypatch):
    from seed import run
    monkeypatch.setenv("DEMO_PASSWORD", DEMO_PASSWORD)
    with app.app_context():
        run(households_per_community=(6, 3))
    return app


def links_of(html: str) -> list[str]:
    """The links of a page, and the targets of its search forms (GET)."""
    links = re.findall(r'<a\b[^>]*\bhref="(/[^"#]*)"', html)
    links += [action for form in re.findall(r"<form\b[^>]*>", html) if re.search(r'method="get"', form, re.I)
              for action in re.findall(r'action="(/[^"#]*)"', form)]
    return [unescape(link) for link in links]


def shape(url: str):
    """Pages that differ only in argument values (sorting, paging, another id) are one shape."""
    parts = urlparse(url)
    return parts.path, frozenset(key for key, _value in parse_qsl(parts.query))


def crawl(client, start="/admin/"):
    """Every link reachable from `start` (one page per shape): {url: status}, and where it was shown."""
    seen, statuses, shown_on = {shape(start)}, {}, {}
    queue = deque([start])
    while queue and len(statuses) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        statuses[url] = response.status_code
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        for link in links_of(response.get_data(as_text=True)):
            if not link.startswith(("/admin", "/auth/password")) or "/export/" in link:
                continue
            if shape(link) not in seen:
                seen.add(shape(link))
                shown_on[link] = url
                queue.append(link)
    return statuses, shown_on


@pytest.mark.parametrize("role", ROLES)
def test_no_role_is_shown_a_link_it_cannot_open(demo, role):
    client = demo.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post("/auth/login", data={"username": role, "password": DEMO_PASSWORD})
    assert response.status_code == 302, role
    statuses, shown_on = crawl(client)
    forbidden = {url: shown_on.get(url) for url, status in statuses.items() if status == 403}
    assert not forbidden, f"{role} is shown links it may not open (link: page showing it): {forbidden}"
    assert len(statuses) > 5, statuses


def test_the_crawl_reaches_records_of_other_areas(demo):
    """The crawl is deep enough to meet cross-area links (an archive's timeline)."""
    client = demo.test_client()
    client.post("/auth/login", data={"username": "manager", "password": DEMO_PASSWORD})
    statuses, _shown = crawl(client)
    paths = {urlparse(url).path for url in statuses}
    assert "/admin/households/details/" in paths and "/admin/lookup/" in paths
    assert any(path.startswith("/admin/events") for path in paths)
