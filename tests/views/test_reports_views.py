"""The report pages: who reads which report, community scoping, a bad period in zh and en, print and xlsx."""
import io

from openpyxl import load_workbook

from documents.audit import AuditEntry
from documents.staff import Staff
from tests.conftest import PASSWORD, login
from tests.services_support import (freeze_shanghai, make_complaint, make_repair, request_context,  # noqa: F401
                                    separate_logins)

MONTH = "/admin/reports/complaints/?month=2026-11"
DAY = "/admin/reports/daily/?day=2026-11-23"


def chinese(username):
    Staff.objects(username=username).update_one(set__language="zh_Hans_CN")


def complaints_in_both(world):
    freeze_shanghai(2026, 11, 23, 9, 0)
    make_complaint(world, complaint_class=1)
    make_complaint(world, complaint_class=2, room="1-1-201")
    make_complaint(world, complaint_class=3, room=world["rooms"]["B"]["1-1-101"], community=world["B"])
    make_repair(world)


def total(html: str) -> str:
    return html.split('id="total-complaints">', 1)[1].split("<", 1)[0]


def test_the_clerk_reads_the_daily_report_only_and_a_housekeeper_no_report(client_as, world):
    complaints_in_both(world)
    clerk = client_as("clerk")
    page = clerk.get(DAY).get_data(as_text=True)
    row = page.split('id="line-repair_room">', 1)[1].split("</tr>", 1)[0]
    assert "Repairs in homes" in row and '">1</td>' in row
    assert "Complaint analysis" not in page
    assert clerk.get(MONTH).status_code == 403
    assert client_as("housekeeper").get(DAY).status_code == 403
    assert client_as("cashier").get("/admin/reports/").status_code == 403
    assert client_as("supervisor").get(MONTH).status_code == 200


def test_a_manager_sees_the_figures_of_their_own_communities_only(app, client_as, world):
    complaints_in_both(world)
    assert total(client_as("manager").get(MONTH).get_data(as_text=True)) == "2"
    manager_b = client_as("manager_b")
    assert total(manager_b.get(MONTH).get_data(as_text=True)) == "1"
    assert manager_b.get(f"{MONTH}&community={world['A'].pk}").status_code == 404
    assert manager_b.get(f"/admin/reports/complaints/xlsx/?month=2026-11&community={world['A'].pk}").status_code == 404
    assert manager_b.get(f"{DAY}&community={world['A'].pk}").status_code == 404
    senior = Staff(username="senior", display_name="集团领导", roles=["executive"], language="en")
    senior.set_password(PASSWORD)
    senior.save()
    client = app.test_client()
    login(client, "senior")
    company = client.get(MONTH).get_data(as_text=True)
    assert total(company) == "3" and "All my communities" in company
    assert total(client.get(f"{MONTH}&community={world['B'].pk}").get_data(as_text=True)) == "1"


def test_a_period_that_ends_before_it_starts_is_told_in_english_and_chinese_keeping_the_input(client_as, world):
    url = "/admin/reports/complaints/?month=2026-11&start=2026-11-30&end=2026-11-01"
    english = client_as("manager").get(url).get_data(as_text=True)
    assert "The period ends (2026-11-01) before it starts (2026-11-30)." in english
    assert 'value="2026-11-30"' in english and 'value="2026-11-01"' in english
    assert 'id="summary"' not in english
    chinese("supervisor")
    zh = client_as("supervisor").get(url).get_data(as_text=True)
    assert "结束日期（2026-11-01）早于开始日期（2026-11-30）。" in zh and 'value="2026-11-30"' in zh
    bad_month = client_as("manager").get("/admin/reports/complaints/?month=2026-13").get_data(as_text=True)
    assert "Give the month as YYYY-MM, for example 2026-11." in bad_month and 'value="2026-13"' in bad_month
    bad_day = client_as("clerk").get("/admin/reports/daily/?day=2026-11-31").get_data(as_text=True)
    assert "There is no 2026-11-31 in the calendar: check the month and the day." in bad_day and 'value="2026-11-31"' in bad_day
    # the print and the export of a bad period go back to the form
    assert client_as("manager").get(url.replace("/complaints/", "/complaints/print/")).status_code == 302


def test_the_analysis_page_shows_its_charts_with_their_numbers(client_as, world):
    complaints_in_both(world)
    page = client_as("manager").get(MONTH).get_data(as_text=True)
    assert page.count('class="estate-chart"') == 5 and 'id="chart-by-class-table"' in page
    by_class = page.split('id="chart-by-class-table"', 1)[1].split("</table>", 1)[0]
    assert "<td>Class 1</td><td class=\"text-right\">1</td>" in by_class
    assert "vendor/echarts/echarts.min.js" in page and "<script>" not in page


def test_the_prints_in_both_languages(client_as, world):
    complaints_in_both(world)
    manager = client_as("manager")
    zh = manager.get(MONTH.replace("/complaints/", "/complaints/print/") + "&lang=zh").get_data(as_text=True)
    assert "<h1>投诉分析</h1>" in zh and "一类投诉案例分析" in zh
    en = manager.get(MONTH.replace("/complaints/", "/complaints/print/") + "&lang=en").get_data(as_text=True)
    assert "<h1>Complaint analysis</h1>" in en and "Class 1 case studies" in en
    daily = manager.get(DAY.replace("/daily/", "/daily/print/") + f"&community={world['A'].pk}&lang=en")
    html = daily.get_data(as_text=True)
    assert "<h1>Service centre daily report</h1>" in html and 'id="print-community"' in html
    assert "Community A" in html and "Prepared by" in html
    daily_zh = manager.get(DAY.replace("/daily/", "/daily/print/") + "&lang=zh").get_data(as_text=True)
    assert "客服中心日报表" in daily_zh


def test_the_exports_carry_the_figures_and_the_lists_and_are_audited(client_as, world):
    complaints_in_both(world)
    manager = client_as("manager")
    response = manager.get("/admin/reports/complaints/xlsx/?month=2026-11")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames[:2] == ["Complaints by class (cause)", "Handled on time"]
    assert "Class 1 case studies" in book.sheetnames
    cases = list(book["Class 1 case studies"].iter_rows(values_only=True))
    assert cases[-1][5] == "Not written yet"
    assert AuditEntry.objects(action="export", collection="charts", record_id="reports.complaints").count() == 1
    daily = load_workbook(io.BytesIO(client_as("clerk").get("/admin/reports/daily/xlsx/?day=2026-11-23").data))
    rows = list(daily[daily.sheetnames[0]].iter_rows(values_only=True))
    assert ("Repairs in homes", 1, 0, 1, 0) in rows
    assert rows[1][0] == "Community A" != rows[0][0]           # whose figures, not the title again
    assert client_as("housekeeper").get("/admin/reports/daily/xlsx/?day=2026-11-23").status_code == 403
