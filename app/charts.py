"""Charts of the reports and survey results: one description, drawn three ways.

A `Chart` is the numbers of a figure (categories along one axis, one or more named series) and how to
draw them (bar, line or pie). The same object gives
- the ECharts option the browser draws (app/static/charts.js reads it from a JSON block: no inline
  script, ECharts is served by the portal itself from static/vendor),
- the table printed beside every chart, so the numbers can be read, copied and printed, and
- the sheets of an xlsx export (`charts_xlsx`), one per chart, audited like every export.
Titles, series and category names are translated by whoever builds the chart.
"""
import io
import re
from dataclasses import dataclass, field

from flask import send_file
from flask_login import current_user

from documents.spreadsheet import XLSX_CONTENT_TYPE, safe_cell
from documents import audit

KINDS = ("bar", "line", "pie")
SHEET_TITLE_MAX = 31                 # Excel's limit on a sheet's name
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
CROWDED = 6                          # more categories than this: every name slanted and cut, none hidden


@dataclass
class Series:
    name: str
    values: list


@dataclass
class Chart:
    key: str                          # unique on its page: the element ids and the sheet order
    title: str
    kind: str
    categories: list
    series: list = field(default_factory=list)
    unit: str = ""                    # shown after each number: "%", "元", ""
    stacked: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"chart kind {self.kind!r} is not one of {KINDS}")
        for one in self.series:
            if len(one.values) != len(self.categories):
                raise ValueError(f"series {one.name!r} has {len(one.values)} values for "
                                 f"{len(self.categories)} categories")

    @property
    def element_id(self) -> str:
        return "chart-" + re.sub(r"[^A-Za-z0-9_-]", "-", self.key)

    @property
    def counts_only(self) -> bool:
        """Every value a whole number: the axis never shows 1.5 complaints."""
        return all(isinstance(v, int) for s in self.series for v in s.values if v is not None)

    @property
    def empty(self) -> bool:
        return not self.categories or all(v in (None, 0) for s in self.series for v in s.values)

    def option(self) -> dict:
        """The ECharts option of this chart (plain JSON: names, numbers)."""
        categories = [str(c) for c in self.categories]
        if self.kind == "pie":
            values = self.series[0].values if self.series else []
            return {"tooltip": {"trigger": "item"}, "legend": {"type": "scroll", "bottom": 0},
                    "series": [{"type": "pie", "radius": ["35%", "65%"], "name": str(self.series[0].name)
                                if self.series else "",
                                "data": [{"name": c, "value": v} for c, v in zip(categories, values)]}]}
        return {
            "tooltip": {"trigger": "axis"},
            "legend": {"type": "scroll", "bottom": 0} if len(self.series) > 1 else {"show": False},
            "grid": {"left": 8, "right": 16, "top": 24, "bottom": 36 if len(self.series) > 1 else 12,
                     "containLabel": True},
            "xAxis": {"type": "category", "data": categories, "axisLabel": self._axis_label(categories)},
            "yAxis": {"type": "value", "name": self.unit or None,
                      **({"max": 100} if self.unit == "%" else {}),
                      **({"minInterval": 1} if self.counts_only else {})},
            "series": [{"type": self.kind, "name": str(s.name), "data": list(s.values),
                        **({"stack": "total"} if self.stacked else {})} for s in self.series],
        }

    @staticmethod
    def _axis_label(categories) -> dict:
        """Few categories: names level, an overlapping one hidden. Many (the KPI's clocks): each name
        slanted and cut to a width, so every bar keeps its name (the full name is in the tooltip)."""
        if len(categories) <= CROWDED:
            return {"hideOverlap": True}
        return {"interval": 0, "rotate": 40, "width": 96, "overflow": "truncate"}

    def header(self) -> list:
        return [""] + [str(s.name) for s in self.series]

    def rows(self) -> list:
        """One row per category: its name, then each series' value."""
        return [[str(c)] + [s.values[i] for s in self.series] for i, c in enumerate(self.categories)]


def sheet_title(title: str, taken: set) -> str:
    base = SHEET_FORBIDDEN.sub(" ", str(title)).strip()[:SHEET_TITLE_MAX] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[:SHEET_TITLE_MAX - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def charts_workbook(charts, heading: str = "", tables=()) -> bytes:
    """One sheet per chart: its title (and the page's heading), its header row, its numbers; then one
    sheet per table of `tables` ((title, header, rows): a report's lists beside its figures)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font


    book = Workbook()
    book.remove(book.active)
    taken = set()
    for chart in charts:
        sheet = book.create_sheet(sheet_title(chart.title, taken))
        sheet.append([safe_cell(str(chart.title)) + (f" ({chart.unit})" if chart.unit else "")])
        sheet["A1"].font = Font(bold=True, size=13)
        if heading:
            sheet.append([safe_cell(str(heading))])
        sheet.append([])
        sheet.append([safe_cell(h) for h in chart.header()])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in chart.rows():
            sheet.append([safe_cell(row[0])] + row[1:])
        sheet.column_dimensions["A"].width = max(12, min(40, max((len(str(c)) for c in chart.categories),
                                                                 default=0) * 2))
    for title, header, rows in tables:
        sheet = book.create_sheet(sheet_title(title, taken))
        sheet.append([safe_cell(str(title))])
        sheet["A1"].font = Font(bold=True, size=13)
        if heading:
            sheet.append([safe_cell(str(heading))])
        sheet.append([])
        sheet.append([safe_cell(str(h)) for h in header])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([safe_cell(v) for v in row])
    if not book.sheetnames:
        book.create_sheet("-")
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def charts_xlsx(charts, filename: str, heading: str = "", endpoint: str = "", community=None, tables=()):
    """The xlsx of these charts (and `tables`, see charts_workbook) as a download, with one audit entry
    naming the page."""
    charts = list(charts)
    user = current_user._get_current_object()
    audit.record_event("export", "charts", endpoint or filename, str(heading or filename),
                       note=", ".join(str(c.title) for c in charts)[:1000], community=community, actor=user)
    return send_file(io.BytesIO(charts_workbook(charts, heading, tables)), as_attachment=True, download_name=filename,
                     mimetype=XLSX_CONTENT_TYPE)
