"""The arrears pages through the test client, in Chinese and English: the list's filters and its
scoping, the export's content, the contact form's refusals on their fields, the letters."""
import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook

from documents.audit import AuditEntry
from documents.fees.dunning import DunningRecord
from documents.fees.payments import take_payment
from documents.staff import Staff
from tests.conftest import csrf_token_of
from tests.documents.test_dunning import make_arrears, utc


@pytest.fixture
def aw(app, world):
    with app.app_context():
        return make_arrears(world)


def client_in(client_as, username, language="en"):
    """A client of that account, whose pages speak `language` ("en" or "zh")."""
    Staff.objects(username=username).update_one(set__language="en" if language == "en" else "zh_Hans_CN")
    return client_as(username)


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def rows_of(html):
    return re.findall(r'class="arrears-row" data-room="([^"]+)"', html)


def test_the_list_filters_and_sorts(aw, client_as):
    client = client_as("manager")
    html = page(client, "/admin/arrears/?sort=room")
    assert rows_of(html) == ["1-1-101", "1-1-201", "2-1-101"]
    assert "31–60 days" in html and "never contacted" in html and "200.00" in html
    assert rows_of(page(client, "/admin/arrears/?building=2")) == ["2-1-101"]
    assert rows_of(page(client, "/admin/arrears/?aging=1-30")) == []
    assert rows_of(page(client, "/admin/arrears/?aging=31-60&sort=room")) == ["1-1-101", "1-1-201", "2-1-101"]
    assert rows_of(page(client, "/admin/arrears/?aging=bogus&sort=room")) == ["1-1-101", "1-1-201", "2-1-101"]


def test_the_list_in_chinese(aw, client_as):
    client = client_in(client_as, "manager", "zh")
    html = page(client, "/admin/arrears/?sort=room")
    assert "欠费" in html and "未催缴过" in html and "31–60 天" in html and "登记催缴" in html


def test_a_housekeeper_sees_their_buildings_and_a_clerk_reads(aw, client_as):
    housekeeper = client_as("housekeeper")
    html = page(housekeeper, "/admin/arrears/?sort=room")
    assert rows_of(html) == ["1-1-101", "1-1-201"]
    assert rows_of(page(housekeeper, "/admin/arrears/?building=2")) == []
    assert housekeeper.get(f"/admin/arrears/household/?id={aw['hh_c'].pk}").status_code == 404
    assert housekeeper.get(f"/admin/arrears/letter/?id={aw['hh_c'].pk}").status_code == 404
    assert housekeeper.get("/admin/arrears/export/csv/").status_code == 403
    clerk = client_as("clerk")
    html = page(clerk, "/admin/arrears/")
    assert len(rows_of(html)) == 3 and "Record contact" not in html
    assert clerk.get("/admin/arrears/contact/").status_code == 403
    other = client_as("manager_b")
    assert rows_of(page(other, "/admin/arrears/")) == []
    assert other.get(f"/admin/arrears/household/?id={aw['hh_a'].pk}").status_code == 404


def test_export_content_and_audit(aw, client_as):
    client = client_as("cashier")
    response = client.get("/admin/arrears/export/csv/?building=1&sort=room")
    assert response.status_code == 200
    text = response.get_data(as_text=True).lstrip("\ufeff")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:4] == ["Room", "Household", "Building no.", "Owed"]
    assert [row[0] for row in table[1:]] == ["1-1-101", "1-1-201"]
    assert table[1][3] == "200.00" and table[1][5] == "2026-11-15" and table[1][6] == "31–60 days"
    entry = AuditEntry.objects(action="export", collection="fee_accounts").first()
    assert entry is not None and "2 rows" in entry.note and "Building no.: 1" in entry.note and "Sort by: Room" in entry.note
    xlsx = client_in(client_as, "manager", "zh").get("/admin/arrears/export/xlsx/?sort=room")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = list(sheet.values)
    assert values[0][0] == "房号" and len(values) == 4
    assert float(values[1][3]) == 200.0 and values[1][5].date() == date(2026, 11, 15)


def contact_form(client, url, **data):
    html = client.get(url).get_data(as_text=True)
    fields = {"csrf_token": csrf_token_of(html.encode()), "method": "phone", "contacted_at": "2026-12-20 09:30",
              "resident_said": "月底前缴", "promised_on": "", "next_step": ""}
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html)
    fields["submission_key"] = key.group(1) if key else ""
    room = re.search(r'id="household" name="household"[^>]*value="([^"]*)"', html)
    fields["household"] = room.group(1) if room else ""
    fields.update(data)
    return client.post(url, data=fields)


def test_recording_a_contact_with_a_promise(aw, client_as):
    client = client_as("housekeeper")
    url = f"/admin/arrears/contact/?household={aw['hh_a'].pk}"
    response = contact_form(client, url, method="visit", promised_on="2026-12-25", next_step="25日后电话确认")
    assert response.status_code == 302
    record = DunningRecord.objects.get()
    assert (record.method, record.promised_on, record.contacted_at) == ("visit", date(2026, 12, 25),
                                                                        utc("2026-12-20 09:30"))
    html = page(client, "/admin/arrears/?sort=room")
    assert "Visit · 2026-12-20 09:30 · housekeeper A" in html and "2026-12-25" in html
    details = page(client, f"/admin/arrears/household/?id={aw['hh_a'].pk}")
    assert "25日后电话确认" in details and "Payment promised" in details
    assert rows_of(page(client, "/admin/arrears/?contact=never&sort=room")) == ["1-1-201"]


@pytest.mark.parametrize("language, data, field, message", [
    ("en", {"contacted_at": "2026-12-21 09:00"}, "contacted_at", "This time is in the future."),
    ("zh", {"contacted_at": "2026-12-21 09:00"}, "contacted_at", "该时间晚于当前时间"),
    ("en", {"contacted_at": "2026-11-10 09:00"}, "contacted_at", "The arrears began on 2026-11-16"),
    ("zh", {"contacted_at": "2026-11-10 09:00"}, "contacted_at", "2026-11-16"),
    ("en", {"promised_on": "2026-12-19"}, "promised_on", "The promised date 2026-12-19 has passed"),
    ("zh", {"promised_on": "2026-12-19"}, "promised_on", "承诺缴费日期 2026-12-19 已过"),
    ("en", {"household": "2-1-101"}, "household", "Building 2 is not one of the buildings you look after"),
    ("zh", {"household": "2-1-101"}, "household", "2 号楼不是您负责的楼栋"),
])
def test_bad_contacts_are_refused_on_their_field(aw, client_as, language, data, field, message):
    client = client_in(client_as, "housekeeper", language)
    html = client.get("/admin/arrears/contact/").get_data(as_text=True)
    fields = {"csrf_token": csrf_token_of(html.encode()), "method": "phone", "contacted_at": "2026-12-20 09:30",
              "resident_said": "没钱", "household": "1-1-101",
              "submission_key": re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html).group(1)}
    fields.update(data)
    response = client.post("/admin/arrears/contact/", data=fields)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    block = text[text.index(f'id="{field}"'):]
    block = block[:block.index('class="form-group"') if 'class="form-group"' in block else len(block)]
    assert "invalid-feedback" in block and message in block, text[text.index(f'id="{field}"'):][:800]
    assert DunningRecord.objects.count() == 0


def test_the_letter_in_both_languages(aw, client_as):
    client = client_as("housekeeper")
    en = page(client, f"/admin/arrears/letter/?id={aw['hh_a'].pk}&pay_by=2026-12-31")
    assert "Notice of fees in arrears" in en and "1-1-101" in en and "张伟" in en
    assert "2026-11" in en and "Property management fee" in en and "¥200.00" in en and "贰佰元整" in en
    assert "2026-12-31" in en
    zh = page(client_in(client_as, "cashier", "zh"), f"/admin/arrears/letter/?id={aw['hh_a'].pk}")
    assert "催缴通知单" in zh and "物业管理费" in zh and "贰佰元整" in zh and "2026-12-27" in zh


def test_the_letters_of_a_building_one_per_page(aw, client_as):
    client = client_as("cashier")
    html = page(client, "/admin/arrears/letters/?building=1&sort=room")
    assert html.count('class="letter"') == 2
    assert html.index('data-room="1-1-101"') < html.index('data-room="1-1-201"')
    assert "page-break-after: always" in html


def test_a_paid_household_leaves_the_list(app, aw, client_as):
    client = client_as("cashier")
    assert len(rows_of(page(client, "/admin/arrears/"))) == 3
    with app.app_context():
        take_payment(aw["hh_a"], aw["staff"]["cashier"], "200", "cash", token="all")
    assert rows_of(page(client, "/admin/arrears/?sort=room")) == ["1-1-201", "2-1-101"]


def test_a_broken_promise_is_in_my_work_and_the_contact_on_the_timeline(app, aw, client_as):
    from app import clock
    from documents.agenda import sweep
    from documents.fees.dunning import Contact, record_contact
    with app.app_context():
        record = record_contact(aw["hh_a"], aw["staff"]["cashier"], Contact(
            method="phone", contacted_at=utc("2026-12-20 09:00"), resident_said="22号前缴清",
            promised_on=date(2026, 12, 22)))
        clock.freeze(utc("2026-12-23 09:00"))
        sweep()
    client = client_in(client_as, "housekeeper", "zh")
    home = page(client, "/admin/")
    assert "承诺缴清欠费" in home and f"/admin/arrears/record/?id={record.pk}" in home
    followed = client.get(f"/admin/arrears/record/?id={record.pk}")
    assert followed.status_code == 302 and f"/admin/arrears/household/?id={aw['hh_a'].pk}" in followed.location


def test_the_contact_is_on_the_households_timeline(app, aw, client_as):
    from documents.fees.dunning import Contact, record_contact
    if "fee_accounts.household" not in app.view_functions:
        pytest.skip("the bills' timeline items link to the cashier's account page (fee_accounts.household), "
                    "not on this branch: the archive page cannot be drawn with bills yet")
    with app.app_context():
        record_contact(aw["hh_a"], aw["staff"]["cashier"], Contact(
            method="phone", contacted_at=utc("2026-12-20 09:00"), resident_said="22号前缴清",
            promised_on=date(2026, 12, 22)))
    archive = page(client_in(client_as, "clerk", "zh"), f"/admin/households/details/?id={aw['hh_a'].pk}")
    assert "催缴" in archive and "22号前缴清" in archive and "承诺 2026-12-22 缴费" in archive


def test_the_pages_fit_the_csp_and_are_not_cached(aw, client_as):
    from tests.views.test_headers import assert_page_fits_its_csp
    client = client_as("cashier")
    for url in ("/admin/arrears/", f"/admin/arrears/household/?id={aw['hh_a'].pk}",
                f"/admin/arrears/contact/?household={aw['hh_a'].pk}", f"/admin/arrears/letter/?id={aw['hh_a'].pk}",
                "/admin/arrears/letters/?building=1", "/admin/arrears/export/csv/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
        if response.mimetype == "text/html":
            assert_page_fits_its_csp(response, url)


def test_pages_of_twenty_sorted_by_owed(app, aw, client_as):
    from bson import ObjectId
    from documents.fees.ledger import Account
    with app.app_context():
        Account._get_collection().insert_many([
            {"community": aw["A"].pk, "household": ObjectId(), "household_name": f"户{n}", "room_code": f"9-1-{n:03d}",
             "building_no": "9", "sort_key": f"9-{n:03d}", "owed_fen": 100_00 + n, "open_lines": 1,
             "aging": "91+", "contact_age": "never"} for n in range(25)])
    client = client_as("cashier")
    first = rows_of(page(client, "/admin/arrears/?building=9"))
    assert len(first) == 20 and first[:2] == ["9-1-024", "9-1-023"]
    second = rows_of(page(client, "/admin/arrears/?building=9&page=1"))
    assert second == ["9-1-004", "9-1-003", "9-1-002", "9-1-001", "9-1-000"]
    assert rows_of(page(client, "/admin/arrears/?building=9&page=7")) == second      # beyond the end: the last page


def test_the_letters_are_on_the_one_a4_frame_and_switch_language(aw, client_as):
    client = client_in(client_as, "cashier", "en")
    english = page(client, "/admin/arrears/letters/?building=1&sort=room")
    assert english.count("<!DOCTYPE html>") == 1 and '<html lang="en">' in english and "Notice of fees in arrears" in english
    assert 'id="letters-pay-by"' in english and "lang=zh" in english          # the frame's language links
    chinese = page(client, "/admin/arrears/letters/?building=1&sort=room&lang=zh")
    assert '<html lang="zh-CN">' in chinese and "催缴通知单" in chinese and chinese.count('class="letter"') == 2
    # the pay-by form keeps the language asked
    assert '<input type="hidden" name="lang" value="zh">' in chinese
