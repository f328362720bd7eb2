"""The chart description (app/charts.py): its ECharts option, the numbers table beside it, its xlsx."""
import io
import json

import pytest
from flask import render_template_string
from openpyxl import load_workbook

from app.charts import Chart, Series, charts_workbook, charts_xlsx

MONTHS = ["2026-09", "2026-10", "2026-11"]


def on_time_chart():
    return Chart("on-time", "按时率", "line", MONTHS,
                 [Series("报修", [92.5, 88.0, 95.25]), Series("投诉", [80, 100, 75])], unit="%")


def test_a_series_must_have_one_value_per_category():
    with pytest.raises(ValueError):
        Chart("x", "x", "bar", MONTHS, [Series("a", [1, 2])])
    with pytest.raises(ValueError):
        Chart("x", "x", "radar", MONTHS, [])


def test_the_option_carries_the_categories_and_every_series():
    option = on_time_chart().option()
    assert option["xAxis"]["data"] == MONTHS
    assert [s["name"] for s in option["series"]] == ["报修", "投诉"]
    assert option["series"][0]["data"] == [92.5, 88.0, 95.25]
    assert option["yAxis"]["max"] == 100                     # a rate never reads above 100 %
    assert "minInterval" not in option["yAxis"]
    counts = Chart("n", "件数", "bar", ["1栋", "2栋"], [Series("投诉", [2, 1])]).option()
    assert counts["yAxis"]["minInterval"] == 1               # no axis line at 1.5 complaints
    pie = Chart("p", "渠道", "pie", ["电话", "来访"], [Series("件数", [3, 5])]).option()
    assert pie["series"][0]["data"] == [{"name": "电话", "value": 3}, {"name": "来访", "value": 5}]


def test_the_page_shows_the_numbers_beside_the_chart_and_escapes_names(app_ctx):
    chart = Chart("c", "By building", "bar", ["<b>1栋</b>", "2栋"], [Series("Complaints", [4, 0])])
    with app_ctx.test_request_context("/"):
        html = render_template_string(
            "{% from 'admin_ext/_charts.html' import chart, chart_scripts %}{{ chart(c) }}{{ chart_scripts() }}",
            c=chart)
    assert "<b>1栋</b>" not in html and "&lt;b&gt;1栋&lt;/b&gt;" in html
    assert 'id="chart-c-table"' in html and "<td class=\"text-right\">4</td>" in html
    block = html.split('<script type="application/json" id="chart-c-option">')[1].split("</script>")[0]
    assert json.loads(block)["series"][0]["data"] == [4, 0]
    assert "<b>" not in block                                 # tojson escapes markup inside the block
    assert "vendor/echarts/echarts.min.js" in html and "onclick" not in html


def test_big_numbers_are_thousands_separated_in_the_table(app_ctx):
    chart = Chart("a", "Arrears", "bar", ["2026-10", "2026-11"], [Series("yuan", [148736, 1234.56])])
    with app_ctx.test_request_context("/"):
        html = render_template_string("{% from 'admin_ext/_charts.html' import chart %}{{ chart(c) }}", c=chart)
    assert ">148,736<" in html and ">1,234.6<" in html


def test_a_chart_without_figures_says_so_instead_of_drawing(app_ctx):
    chart = Chart("e", "Empty", "bar", MONTHS, [Series("n", [0, 0, 0])])
    with app_ctx.test_request_context("/"):
        html = render_template_string("{% from 'admin_ext/_charts.html' import chart %}{{ chart(c) }}", c=chart)
    assert "data-chart=" not in html and "本期没有数据。" in html          # zh: the default language


def test_the_workbook_has_a_sheet_per_chart_with_its_numbers():
    by_building = Chart("b", "By building", "bar", ["1栋", "=SUM(A1)"], [Series("Complaints", [4, 1])])
    same_title = Chart("b2", "By building", "bar", ["1栋"], [Series("Visits", [7])])
    book = load_workbook(io.BytesIO(charts_workbook([on_time_chart(), by_building, same_title], "2026-11")))
    assert book.sheetnames == ["按时率", "By building", "By building (2)"]
    rows = list(book["按时率"].iter_rows(values_only=True))
    assert rows[0][0] == "按时率 (%)" and rows[1][0] == "2026-11"
    assert rows[3] == (None, "报修", "投诉")
    assert rows[4] == ("2026-09", 92.5, 80)
    formula = list(book["By building"].iter_rows(values_only=True))[-1]
    assert formula[0] == "'=SUM(A1)" and formula[1] == 1          # never run as a formula


def test_the_download_is_audited(app_ctx, world):
    from flask_login import login_user
    from documents.audit import AuditEntry
    with app_ctx.test_request_context("/"):
        login_user(world["staff"]["manager"])
        response = charts_xlsx([on_time_chart()], "kpi.xlsx", heading="KPI", endpoint="reports.kpi")
        assert response.mimetype.endswith("spreadsheetml.sheet")
    entry = AuditEntry.objects(action="export", collection="charts").first()
    assert entry.actor_name == "manager" and "按时率" in entry.note


def test_a_crowded_axis_names_every_category_instead_of_hiding_some():
    few = Chart("f", "x", "bar", MONTHS, [Series("a", [1, 2, 3])]).option()["xAxis"]["axisLabel"]
    assert few == {"hideOverlap": True}
    names = [f"时限{n}" for n in range(15)]
    label = Chart("m", "x", "bar", names, [Series("a", list(range(15)))]).option()["xAxis"]["axisLabel"]
    assert label["interval"] == 0 and label["rotate"] and label["overflow"] == "truncate"
    assert "hideOverlap" not in label
