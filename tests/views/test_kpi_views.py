"""The KPI page: who opens it, which communities it shows, the period form, the xlsx of its charts."""
import io
import re
from datetime import datetime

import pytest
from bson import ObjectId
from openpyxl import load_workbook

from app import clock
from bench.queries import count_queries
from documents.agenda import BREACHED, MET, Clock
from documents.staff import Staff
from tests.conftest import PASSWORD

NOW = datetime(2026, 12, 20, 2, 0)


def clock_in(community, state, at):
    Clock(kind="complaint_handling", collection="complaints", record_id=ObjectId(), community=community, due_at=at,
          state=state, phase="done", met_at=at if state == MET else None,
          breached_at=at if state == BREACHED else None, stopped_at=at).save()


@pytest.fixture
def kpi_world(app, world):
    """A: 3 of 4 complaint replies on time in November; B: 1 of 2. An executive sees both."""
    clock.freeze(NOW)
    with app.app_context():
        for state in (MET, MET, MET, BREACHED):
            clock_in(world["A"], state, datetime(2026, 11, 10))
        for state in (MET, BREACHED):
            clock_in(world["B"], state, datetime(2026, 11, 12))
        executive = Staff(username="executive", display_name="exec", roles=["executive"], language="en")
        executive.set_password(PASSWORD)
        executive.save()
        supervisor_b = Staff(username="supervisor_b", display_name="sup B", roles=["supervisor"],
                             communities=[world["B"]], language="zh_Hans_CN")
        supervisor_b.set_password(PASSWORD)
        supervisor_b.save()
        from documents.reports import kpi
        kpi.keep_on_time_tallies(NOW)             # the sweeper's pass: the page reads its tallies
    return world


def on_time_table(html: str) -> dict:
    """{month: [values]} of the on-time trend chart's numbers table."""
    table = html.split('id="chart-on-time-trend-table"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>([^<]+)</td>(.*?)</tr>", table, re.S)
    return {month: re.findall(r'<td class="text-right">([^<]*)</td>', cells) for month, cells in rows}


def test_roles_that_open_the_page(client_as, kpi_world):
    for role in ("clerk", "housekeeper", "cashier", "culture", "admin"):
        assert client_as(role).get("/admin/kpi/").status_code == 403, role
    for role in ("manager", "supervisor"):
        assert client_as(role).get("/admin/kpi/").status_code == 200, role


def test_a_manager_sees_their_community_only(client_as, kpi_world):
    client = client_as("manager_b")
    page = client.get("/admin/kpi/?start=2026-11&end=2026-11").data.decode()
    assert on_time_table(page) == {"2026-11": ["50.0%"]}                  # B's figures, not A's 75 %
    assert "甲小区" not in page and "Community A" not in page
    assert client.get(f"/admin/kpi/?community={kpi_world['A'].pk}").status_code == 404
    assert client.get("/admin/kpi/?community=all").status_code == 404     # no company-wide view
    assert client.get(f"/admin/kpi/export/?community={kpi_world['A'].pk}&start=2026-11&end=2026-11"
                      ).status_code == 404


def test_senior_management_sees_company_wide_and_each_community(client_as, kpi_world):
    client = client_as("executive")
    page = client.get("/admin/kpi/?start=2026-11&end=2026-11").data.decode()
    assert "All communities (company-wide)" in page
    assert on_time_table(page) == {"2026-11": ["66.7%", "75.0%", "50.0%"]}    # 4 of 6, then A, B
    kinds = page.split('id="chart-on-time-table"')[1].split("</table>")[0]
    assert "<td>Complaint handling</td>" in kinds and "66.7%" in kinds
    one = client.get(f"/admin/kpi/?community={kpi_world['A'].pk}&start=2026-11&end=2026-11").data.decode()
    assert on_time_table(one) == {"2026-11": ["75.0%"]}
    assert "Community B" not in one.split('id="chart-on-time-trend-table"')[1].split("</table>")[0]


@pytest.mark.parametrize("username, language, message", [
    ("manager", "en", "The period ends (2026-06-30) before it starts (2026-11-01)."),
    ("supervisor_b", "zh_Hans_CN", "结束日期（2026-06-30）早于开始日期（2026-11-01）。"),
])
def test_a_period_that_ends_before_it_starts_is_refused_in_the_users_language(client_as, kpi_world, username,
                                                                               language, message):
    page = client_as(username).get("/admin/kpi/?start=2026-11&end=2026-06").data.decode()
    assert message in page
    assert 'value="2026-11"' in page and 'value="2026-06"' in page        # what was typed stays
    assert "data-chart=" not in page and 'id="kpi-export"' not in page


def test_a_malformed_month_is_refused_on_its_field(client_as, kpi_world):
    page = client_as("supervisor_b").get("/admin/kpi/?start=2026-13&end=2026-11").data.decode()
    error = page.split('id="kpi-start-error"')[1].split("</div>")[0]
    assert "2026-11" in error and "YYYY-MM" in error and 'value="2026-13"' in page
    page = client_as("manager").get("/admin/kpi/?start=2026-01&end=nonsense").data.decode()
    assert "Give the month as YYYY-MM" in page.split('id="kpi-end-error"')[1]


def test_the_default_period_is_the_last_six_months(client_as, kpi_world):
    page = client_as("manager").get("/admin/kpi/").data.decode()
    assert 'value="2026-07"' in page and 'value="2026-12"' in page
    assert list(on_time_table(page)) == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]


def test_the_xlsx_has_a_sheet_per_chart_with_its_numbers(client_as, kpi_world):
    response = client_as("executive").get("/admin/kpi/export/?community=all&start=2026-10&end=2026-11")
    assert response.status_code == 200 and "kpi-all-2026-10-2026-11.xlsx" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["On-time rate per clock", "On-time rate per month", "Satisfaction (0–100)",
                               "Arrears at month end", "Renovation patrols", "Move-ins done",
                               "Vacant units and basements insp"]
    rows = list(book["On-time rate per clock"].iter_rows(values_only=True))
    assert rows[3] == (None, "2026-10", "2026-11") and rows[4] == ("Complaint handling", None, pytest.approx(66.7))
    trend = list(book["On-time rate per month"].iter_rows(values_only=True))
    assert trend[3] == (None, "All communities", "Community A", "Community B")
    assert trend[-1] == ("2026-11", pytest.approx(66.7), 75.0, 50.0)


def test_the_export_is_for_those_who_may(client_as, kpi_world, monkeypatch):
    from app import permissions
    monkeypatch.setitem(permissions.PERMISSIONS, "kpi", {"manager": {"list", "details"}})
    client = client_as("manager")
    assert client.get("/admin/kpi/export/?start=2026-11&end=2026-11").status_code == 403
    assert 'id="kpi-export"' not in client.get("/admin/kpi/?start=2026-11&end=2026-11").data.decode()


def test_the_page_makes_the_same_queries_for_two_or_eight_communities(app, client_as, kpi_world):
    from documents.places import Community
    client = client_as("executive")
    client.get("/admin/kpi/")

    def counted():
        with count_queries() as log:
            page = client.get("/admin/kpi/?start=2026-06&end=2026-11")
        assert page.status_code == 200
        return log.calls

    two = counted()
    with app.app_context():
        for n in range(6):
            community = Community(code=f"C{n}", name_zh=f"小区{n}", name_en=f"Community {n}").save()
            clock_in(community, MET, datetime(2026, 10, 5))
        from documents.reports import kpi
        kpi.keep_on_time_tallies(NOW)
    eight = counted()
    assert eight == two, (two, eight)
    assert sum(two.values()) <= 21, two          # 16 + the vacancy coverage's five


def test_arrears_without_snapshots_are_not_derived_on_the_page_but_said_to_be_coming(client_as, kpi_world, monkeypatch):
    from documents.reports import kpi

    def refused(*args, **kwargs):
        raise AssertionError("the page derived arrears from the ledger")
    monkeypatch.setattr(kpi, "arrears_at_month_ends", refused)
    page = client_as("executive").get("/admin/kpi/?start=2026-10&end=2026-11").data.decode()
    note = page.split('id="kpi-arrears-pending"')[1].split("</p>")[0]
    assert "Arrears not yet computed for 2026-10, 2026-11" in note
    monkeypatch.undo()
    kpi.serve_requests(NOW)
    page = client_as("executive").get("/admin/kpi/?start=2026-10&end=2026-11").data.decode()
    assert 'id="kpi-arrears-pending"' not in page
    zh = client_as("supervisor_b").get("/admin/kpi/?start=2025-01&end=2025-01").data.decode()
    assert "欠费尚未计算：2025-01" in zh and "准时率尚未计算：2025-01" in zh     # older than the year kept
    assert "空置房及地下室检查覆盖率" in zh and 'id="chart-vacancy-inspections-figure"' in zh
