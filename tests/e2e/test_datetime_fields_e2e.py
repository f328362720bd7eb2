"""In Chromium: typing, pasting and picking into every kind of date and date-time field.

Kinds: a date-time field of a model form (repair appointment), a date-time field of a step page
(dispatch, arrival), a date field of a model form (notice publish date), a range of days in a list
filter (repairs "Reported on", notices "Publish date"). Each in Chinese and in English: what is
typed or pasted stays as typed, "Apply" keeps the time, the calendar speaks the UI language, and
what is saved is what was typed.
"""
import json
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import screenshot

LANGS = ["zh_Hans_CN", "en"]
#: per language: a month name, a weekday header, the Apply button, the field's message for garbage
WORDS = {"zh_Hans_CN": {"month": "11月", "weekday": "一", "apply": "确定", "garbage": "请按 2026-11-28 10:00"},
         "en": {"month": "Nov", "weekday": "Mo", "apply": "Apply", "garbage": "Enter a date and time such as"}}


#: the residents of the work orders typed here (short: the lists keep their width for later tests)
NAMES = {"zh_Hans_CN": "日期甲", "en": "日期乙"}


def local_now():
    return datetime.now(timezone.utc).astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)


def leave_field(page):
    """Click somewhere else on the page (the calendar closes as a person would close it)."""
    page.mouse.click(5, 5)


def type_into(page, selector, text):
    page.click(selector)
    page.fill(selector, "")
    page.type(selector, text, delay=15)     # key by key, as a person types


def paste_into(page, selector, text):
    page.click(selector)
    page.fill(selector, "")
    page.keyboard.insert_text(text)         # one input event, no keys: what a paste is


def picker(page):
    return page.locator(".daterangepicker:visible")


def calendar_shown(page):
    """The month shown by the open calendar (a single date has one of its two visible)."""
    return picker(page).locator(".calendar:visible")


def filter_arg(page, label):
    """The URL argument of the list filter named `label` (from the list's filter data)."""
    groups = json.loads(page.locator("#filter-groups-data").inner_text())
    for name, items in groups.items():
        if name == label:
            return items[0]["arg"]
    raise AssertionError(f"no filter {label}: {list(groups)}")


@pytest.mark.parametrize("lang", LANGS)
def test_a_typed_or_pasted_appointment_is_kept_and_saved_as_typed(page, portal, login, lang):
    words = WORDS[lang]
    login("clerk", lang=lang)
    page.goto(f"{portal}/admin/repairs/new/")
    day = (local_now() + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    typed = day.strftime("%Y-%m-%d %H:%M")

    # typed key by key: unchanged after every key and after leaving the field
    type_into(page, "#appointment_at", typed)
    assert page.input_value("#appointment_at") == typed
    leave_field(page)
    assert page.input_value("#appointment_at") == typed

    # pasted in the other usual way: kept (it used to become "now" on leaving the field)
    pasted = day.strftime("%Y/%m/%d %H:%M")
    paste_into(page, "#appointment_at", pasted)
    leave_field(page)
    assert page.input_value("#appointment_at") == pasted

    # the calendar opens on that day, in the UI language; Apply keeps 10:00 (it used to add minutes)
    page.click("#appointment_at")
    calendar = picker(page)
    assert calendar.count() == 1
    text = calendar.inner_text()
    assert day.strftime("%Y") in text and words["weekday"] in text.split()
    month_names = calendar.locator("select.monthselect option").all_inner_texts()
    assert words["month"] in month_names, month_names
    assert calendar.locator("button.applyBtn").inner_text().strip() == words["apply"]
    assert calendar_shown(page).locator("select.hourselect").input_value() == "10"
    assert calendar_shown(page).locator("select.minuteselect").input_value() == "0"
    screenshot(page, f"datetime-1-calendar-{lang}")
    calendar.locator("button.applyBtn").click()
    assert page.input_value("#appointment_at") == typed

    # picking another day writes that day and keeps the time
    page.click("#appointment_at")
    other = day + timedelta(days=1)
    if other.month != day.month:
        other = day - timedelta(days=1)      # the calendar shows the month of the field
    calendar_shown(page).locator("td.available:not(.off)", has_text=re.compile(rf"^{other.day}$")).first.click()
    picker(page).locator("button.applyBtn").click()
    assert page.input_value("#appointment_at") == other.strftime("%Y-%m-%d %H:%M")

    # garbage is refused on the field, translated, and kept for correcting
    type_into(page, "#appointment_at", "明天上午")
    page.keyboard.press("Escape")               # closes the calendar, keeps the text
    assert picker(page).count() == 0
    page.select_option("#category", "plumbing")
    page.fill("#resident_name", NAMES[lang])
    page.fill("#description", "日期输入测试")
    page.click("#s2id_room a.select2-choice")
    page.fill("#select2-drop input.select2-input", "1-1-10")
    page.locator("#select2-drop li.select2-result-selectable").first.click()
    page.locator("form.admin-form input[type=submit]").first.click()
    assert words["garbage"] in page.locator("form.admin-form").inner_text()
    assert page.input_value("#appointment_at") == "明天上午"

    # the usual way with a slash is saved as typed: the list shows 10:00 of that day
    paste_into(page, "#appointment_at", pasted)
    leave_field(page)
    page.locator("form.admin-form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/admin/repairs/(\?.*)?$"))
    page.goto(f"{portal}/admin/repairs/?search={NAMES[lang]}")
    row = page.locator("table.model-list tbody tr").filter(has_text=NAMES[lang])
    assert row.count() == 1
    assert typed in row.inner_text()

    # the dispatch step page: the agreed time is shown as saved, a typed one is kept and saved
    row.locator("a.step-dispatch").click()
    assert page.input_value("#appointment_at") == typed
    later = (day + timedelta(hours=1, minutes=30)).strftime("%Y-%m-%d %H:%M")
    type_into(page, "#appointment_at", later)
    leave_field(page)
    assert page.input_value("#appointment_at") == later
    page.fill("#technician", "李师傅")
    page.click("#step-submit")
    page.goto(f"{portal}/admin/repairs/?search={NAMES[lang]}")
    row = page.locator("table.model-list tbody tr").filter(has_text=NAMES[lang])
    assert later in row.inner_text()


@pytest.mark.parametrize("lang", LANGS)
def test_a_typed_arrival_time_and_a_typed_date_are_saved_as_typed(page, portal, login, lang):
    login("clerk", lang=lang)
    # the arrival step of a dispatched repair: a time typed with a slash, before now
    page.goto(f"{portal}/admin/repairs/?page_size=100")
    page.goto(portal + page.locator("a.step-arrive").first.get_attribute("href"))
    arrived = local_now().strftime("%Y/%m/%d %H:%M")   # not before the dispatch of a minute ago
    type_into(page, "#at", arrived)
    leave_field(page)
    assert page.input_value("#at") == arrived
    page.click("#step-submit")
    assert page.locator(".alert-success").count() == 1, page.locator("body").inner_text()[:500]

    # a date of a model form: the notice's publish date, typed with slashes
    page.goto(f"{portal}/admin/notices/new/")
    title = "日期字段" + NAMES[lang][-1]
    page.fill("#title_zh", title)
    page.fill("#body_zh", "停水通知")
    type_into(page, "#publish_date", "2026/12/01")
    leave_field(page)
    assert page.input_value("#publish_date") == "2026/12/01"
    page.click("#publish_date")
    assert calendar_shown(page).locator("td.active").inner_text().strip() == "1"
    leave_field(page)
    assert page.input_value("#publish_date") == "2026/12/01"
    page.locator("form.admin-form input[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/admin/notices/(\?.*)?$"))
    page.goto(f"{portal}/admin/notices/?search={title}")
    assert "2026-12-01" in page.locator("table.model-list tbody").inner_text()


@pytest.mark.parametrize("lang", LANGS)
def test_a_typed_range_of_days_in_a_list_filter_is_kept_and_applied(page, portal, login, lang):
    login("clerk", lang=lang)
    page.goto(f"{portal}/admin/repairs/")
    label = "报修时间" if lang == "zh_Hans_CN" else "Reported on"
    arg = filter_arg(page, label)
    today = local_now().date()
    page.goto(f"{portal}/admin/repairs/?flt0_{arg}={today:%Y-%m-%d}+to+{today:%Y-%m-%d}")
    field = page.locator(f"#filter_form input[name='flt0_{arg}']")
    assert field.count() == 1
    # a range long ago, typed key by key with slashes: kept as typed while typing and leaving
    past = "2020/01/01 - 2020/01/31"
    type_into(page, f"#filter_form input[name='flt0_{arg}']", past)
    leave_field(page)
    assert field.input_value() == past
    page.locator("#filter_form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(f"#filter_form input[name='flt0_{arg}']").input_value() == past
    assert page.locator("table.model-list tbody tr td.list-buttons-column").count() == 0
    assert page.locator(".alert-danger").count() == 0
    # a range up to today: the repairs reported in it are listed
    since = today - timedelta(days=400)
    type_into(page, f"#filter_form input[name='flt0_{arg}']", f"{since:%Y-%m-%d} to {today:%Y-%m-%d}")
    leave_field(page)
    page.locator("#filter_form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("table.model-list tbody tr td.list-buttons-column").count() > 0
    screenshot(page, f"datetime-2-filter-{lang}")
