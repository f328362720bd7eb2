"""Every form of every registered view, sent empty, too long and with wrong numbers, dates and
choices, answers in the user's language only: no English message in the Chinese UI and no Chinese
one in the English UI. Step pages are tried on demo records whose step is open. A form is also sent
as it was shown with only its dates made impossible: the record's own rules then run beside the
date errors (every error of a form in one round) and must answer in the user's language as well."""
import re
from html import unescape

import pytest

from app.permissions import PERMISSIONS, permissions_of
from tests.conftest import ROLES

DEMO_PASSWORD = "demo-forms-password-7"
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")
#: a Chinese plate number given as an example ("e.g. 粤B12345") belongs to no language
PLATE = re.compile(r"[\u4e00-\u9fff][A-Z][A-Z0-9]{4,6}\b")
ERROR_BLOCKS = [r'<div class="invalid-feedback[^"]*">(.*?)</div>', r'<div class="text-danger small">(.*?)</div>',
                r'<div class="alert alert-(?:danger|error|warning)[^"]*"[^>]*>(.*?)</div>']


@pytest.fixture
def demo(app, monkeypatch):
    from seed import run
    monkeypatch.setenv("DEMO_PASSWORD", DEMO_PASSWORD)
    with app.app_context():
        run(households_per_community=(4, 2))
    return app


def client_for(app, role, language):
    from documents.staff import Staff
    Staff.objects(username=role).update_one(set__language=language)
    client = app.test_client()
    assert client.post("/auth/login", data={"username": role, "password": DEMO_PASSWORD}).status_code == 302
    return client


def errors_of(html: str) -> list[str]:
    messages = []
    for pattern in ERROR_BLOCKS:
        for block in re.findall(pattern, html, flags=re.S):
            text = re.sub(r"<[^>]+>", " ", block)
            text = unescape(re.sub(r"\s+", " ", text)).replace("×", "").strip()
            if text:
                messages.append(text)
    return messages


def fields_of(html: str) -> dict[str, str]:
    """The form's inputs by name -> kind (text, number, date, select, file...)."""
    form = re.search(r'<form[^>]*(?:class="admin-form[^"]*"|id="step-form")[^>]*>(.*?)</form>', html, re.S)
    body = form.group(1) if form else ""
    fields = {}
    for tag, name in re.findall(r'<(input|select|textarea)\b[^>]*\bname="([^"]+)"', body):
        if name in ("csrf_token", "url", "record_version") or name.startswith("_"):
            continue
        element = re.search(rf'<{tag}\b[^>]*\bname="{re.escape(name)}"[^>]*>', body).group(0)
        kind = re.search(r'type="([^"]+)"', element)
        fields[name] = tag if tag != "input" else (kind.group(1) if kind else "text")
    return fields


def form_values(html: str) -> tuple[dict, set]:
    """What the form sends as shown (its inputs, chosen options and texts), and its date fields."""
    form = re.search(r'<form[^>]*(?:class="admin-form[^"]*"|id="step-form")[^>]*>(.*?)</form>', html, re.S)
    body = form.group(1) if form else ""
    values, dates = {}, set()
    for element in re.findall(r"<input\b[^>]*>", body):
        name = re.search(r'\bname="([^"]+)"', element)
        kind = re.search(r'\btype="([^"]+)"', element)
        if name is None or (kind and kind.group(1) in ("file", "submit", "radio")) or \
                (kind and kind.group(1) == "checkbox" and "checked" not in element):
            continue
        value = re.search(r'\bvalue="([^"]*)"', element)
        values[name.group(1)] = unescape(value.group(1)) if value else ("y" if kind and kind.group(1) == "checkbox"
                                                                        else "")
        if re.search(r'data-role="date(?:time)?picker"', element):
            dates.add(name.group(1))
    for tag, name, options in re.findall(r'(<select\b[^>]*\bname="([^"]+)"[^>]*>)(.*?)</select>', body, re.S):
        chosen = re.findall(r'<option\b[^>]*\bselected[^>]*\bvalue="([^"]*)"|'
                            r'<option\b[^>]*\bvalue="([^"]*)"[^>]*\bselected', options)
        first = re.search(r'<option\b[^>]*\bvalue="([^"]*)"', options)   # a browser sends the first one then
        values[name] = [unescape(a or b) for a, b in chosen] or \
            ("" if " multiple" in tag or first is None else unescape(first.group(1)))
    for name, text in re.findall(r'<textarea\b[^>]*\bname="([^"]+)"[^>]*>(.*?)</textarea>', body, re.S):
        values[name] = re.sub(r"^\r?\n", "", unescape(text))       # as a browser reads it
    return values, dates


def payloads(fields, html=""):
    """Empty; too long everywhere (also where a number, date or choice is wanted); negative numbers;
    wrong dates and numbers; the form as shown with only its dates impossible (if it has dates)."""
    skip = {"file", "hidden", "checkbox", "submit", "radio"}
    yield {}
    yield {name: "x" * 3000 for name, kind in fields.items() if kind not in skip}
    yield {name: "-1" for name, kind in fields.items() if kind not in skip}
    yield {name: "2026-02-31" if kind not in ("number",) else "1e400"
           for name, kind in fields.items() if kind not in skip}
    values, dates = form_values(html)
    yield dict(values, **{name: "2026-02-31" for name in dates}) if dates else {}


def wrong_language(messages, language):
    if language == "zh_Hans_CN":
        return [m for m in messages if not CJK.search(m)]
    return [m for m in messages if CJK.search(PLATE.sub("", m))]


def role_with(area, perm):
    return next((role for role in ROLES if perm in permissions_of([role], area)), None)


def form_pages(app):
    """(role, url, view) of every create and edit form and every step page with an open record."""
    from flask_login import login_user  # noqa: F401 - pages are opened through the client
    pages = []
    for view in app.extensions["estate_admin"]._views:
        if not hasattr(view, "model") or view.area not in PERMISSIONS:
            continue
        for perm, path in (("create", "new/"), ("edit", "edit/")):
            role = role_with(view.area, perm)
            if role is None:
                continue
            if perm == "edit":
                record = view.model.objects.first()
                if record is None:
                    continue
                path = f"edit/?id={record.pk}"
            pages.append((role, f"/admin/{view.endpoint}/{path}", view))
        workflow = getattr(view.model, "workflow", None)
        for step in getattr(workflow, "steps", []) or []:
            if not getattr(step, "page", False):
                continue
            pages.append((None, (view, step), view))
    return pages


def open_step_records(app, view, step):
    """A demo record on which `step` is open for some role: (role, url) or None."""
    from documents.staff import Staff
    for role in ROLES:
        if step.right not in permissions_of([role], step.area or view.model.workflow.area):
            continue
        user = Staff.objects(username=role).first()
        for record in view.model.objects.for_user(user).limit(200):
            if record.why_not(step.name, user) is None:
                return role, f"/admin/{view.endpoint}/step/{step.name}/?id={record.pk}"
    return None


@pytest.mark.parametrize("language", ["zh_Hans_CN", "en"])
def test_every_form_answers_errors_in_the_users_language(demo, language):
    clients, problems, tried = {}, [], set()
    for role, target, view in form_pages(demo):
        for number in range(5):
            if role is None:      # a step page: a record where the step is open now (an earlier
                with demo.app_context():            # post may have taken the step)
                    found = open_step_records(demo, view, target[1])
                if found is None:
                    break
                who, url = found
            else:
                who, url = role, target
            client = clients.get(who) or clients.setdefault(who, client_for(demo, who, language))
            page = client.get(url)
            if page.status_code != 200:
                break
            html = page.get_data(as_text=True)
            data = list(payloads(fields_of(html), html))[number]
            response = client.post(url, data=data, follow_redirects=True)
            tried.add(url.split("?")[0])
            for message in wrong_language(errors_of(response.get_data(as_text=True)), language):
                problems.append(f"{url.split('?')[0]} {sorted(data)[:3]}…: {message[:160]}")
    assert len(tried) > 40, sorted(tried)
    assert not problems, "\n".join(sorted(set(problems)))


@pytest.mark.parametrize("language,expected", [("en", "At most 60 characters."), ("zh", "最多 60 个字符。")])
def test_the_stores_own_messages_are_translated_and_give_the_limit(app, world, language, expected):
    """mongoengine says "String value is too long" (English, no limit) for a value a form let through."""
    from mongoengine import ValidationError

    from admin_views.base import _message, translate_store_errors
    from documents.residents import Household, Person
    household = Household(community=world["A"], room=world["rooms"]["A"]["1-1-102"], name="x",
                          owners=[Person(name="y" * 61, relation="owner")])
    with app.test_request_context("/", headers={"Accept-Language": language}):
        with pytest.raises(ValidationError) as err:
            household.validate()
        translate_store_errors(err.value, Household)
        assert _message(err.value) == expected
