"""The one export path of every list (CSV and XLSX): safe cells, typed values, streamed, audited.

- A text cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab
  or a carriage return; OWASP "CSV injection") is written with a leading apostrophe, as text.
- Columns read as people read them: labels, not codes (the fields' choices, yes/no); numbers and
  money as numbers; times in the record's community's local time (a real date-time in XLSX).
- Rows are written as they are read, a batch at a time: CSV goes out as it is made, XLSX is
  written row by row to a temporary file (openpyxl's write-only mode) and sent from there.
- An export is background work: between rows it gives way to the pages other people are waiting
  for (app/priority.py), so a long export slows nobody else's list down.
- Every export is in the audit history: who, which list, the filters and search, how many rows.
"""
import csv
import os
import tempfile
from datetime import date, datetime
from decimal import Decimal

from flask import Response, stream_with_context
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user
from mongoengine import DateField, DateTimeField, DecimalField, FloatField, IntField, LongField

from admin_views.base import record_community
from app import priority
from documents import audit
from documents.deadlines import to_local, zone_of
from documents.money import MoneyField, to_money
from documents.spreadsheet import XLSX_CONTENT_TYPE, safe_cell  # noqa: F401 (safe_cell: imported from here too)

BATCH = 50         # records read (and references resolved) at a time: a short stretch of work
XLSX_TYPE = XLSX_CONTENT_TYPE

audit.register_action_labels({"export": _l("Exported")})


def typed_value(view, model, name):
    """The export value of one column: a number, a local date-time or date, else safe text."""
    field = view.model._fields.get(name)
    if name not in (view.column_formatters_export or {}) and field is not None \
            and not getattr(field, "choices", None):
        raw = getattr(model, name, None)
        if isinstance(field, MoneyField):
            return to_money(raw) if raw is not None else None
        if isinstance(field, (IntField, LongField, FloatField, DecimalField)):
            return raw
        if isinstance(field, DateField):
            return raw.date() if isinstance(raw, datetime) else raw
        if isinstance(field, DateTimeField):
            community = record_community(model)           # a staff member: their community
            return to_local(raw, zone_of(community)).replace(tzinfo=None) if raw else None
    value = view.get_export_value(model, name)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value                              # a formatter's number stays a number
    return safe_cell("" if value is None else value if isinstance(value, str) else str(value))


def csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def export_rows(view, query):
    """The records of the export, read a batch at a time (references resolved per batch)."""
    offset = 0
    while True:
        priority.give_way()
        batch = query.skip(offset).limit(BATCH)
        # without references to resolve, each record is made only when its row is written
        rows = batch.select_related(max_depth=1) if view.list_select_related else batch.no_cache()
        count = 0
        for row in rows:
            priority.give_way()
            yield row
            count += 1
        if count < BATCH:
            return
        offset += BATCH


def describe_filters(view, search, filters) -> str:
    """The list's filters and search as the person chose them ("Building no. equals 3; search: 张")."""
    parts = []
    for index, _name, value in filters or []:
        flt = view._filters[index]
        parts.append(f"{flt.name} {flt.operation()} {value}")
    if search:
        parts.append(_("search: %(term)s", term=search))
    return "; ".join(str(p) for p in parts)


def record_export(view, export_type, rows, filters_text):
    """One audit entry per export (no record of its own: the list is named instead)."""
    note = _("%(rows)d rows, %(kind)s", rows=rows, kind=export_type.upper())
    if filters_text:
        note += "; " + filters_text
    user = current_user._get_current_object()
    communities = list(getattr(user, "communities", None) or [])
    audit.record_event("export", view.model._get_collection_name(), view.endpoint, str(view.name),
                       note=note[:1000], community=communities[0] if len(communities) == 1 else None,
                       actor=user)


def export_response(view, export_type):
    """The export of `view`'s list as the person filtered, searched and sorted it."""
    args = view._get_list_extra_args()
    sort = view._get_column_by_idx(args.sort)
    count, query = view.get_list(0, sort[0] if sort else None, args.sort_desc, args.search, args.filters,
                                 execute=False, page_size=0)
    if count is None:
        count = query.count()
    limit = view.export_max_rows or 0
    if limit:
        query = query.limit(limit)
    columns = view._export_columns
    record_export(view, export_type, min(count, limit) if limit else count,
                  describe_filters(view, args.search, args.filters))
    priority.background()
    titles = [str(label) for _name, label in columns]
    records = export_rows(view, query)
    rows = ([typed_value(view, model, name) for name, _label in columns] for model in records)
    return rows_response(export_type, view.get_export_name(export_type), titles, rows)


def rows_response(export_type: str, name: str, titles, rows):
    """Send `rows` (lists of values: numbers, dates, local date-times, text) as a CSV streamed as it
    is made or an XLSX file named `name`. A page that is not a model list (the arrears) calls it
    directly, after `record_export`."""
    disposition = f"attachment;filename={name}"
    if export_type == "csv":
        return Response(stream_with_context(_csv_lines(titles, rows)),
                        headers={"Content-Disposition": disposition}, mimetype="text/csv; charset=utf-8")
    return Response(stream_with_context(_xlsx_chunks(titles, rows)),
                    headers={"Content-Disposition": disposition}, mimetype=XLSX_TYPE)


class _Line:
    def write(self, value):
        return value


def _csv_lines(titles, rows):
    writer = csv.writer(_Line())
    yield "\ufeff" + writer.writerow([safe_cell(t) for t in titles])   # BOM: Excel reads UTF-8
    for row in rows:
        yield writer.writerow([csv_text(safe_cell(value)) for value in row])


def _xlsx_chunks(titles, rows):
    """Write the workbook row by row to a temporary file, then send that file in pieces."""
    path = write_xlsx(titles, rows)
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(65536):
                yield chunk
    finally:
        os.unlink(path)


def write_xlsx(titles, rows, sheet_title=None) -> str:
    """A write-only workbook (rows never all in memory) in a temporary file; returns its path."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=(sheet_title or "Sheet1")[:31])
    header = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=safe_cell(title))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=safe_cell(value))
            if isinstance(value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, date):
                cell.number_format = "yyyy-mm-dd"
            elif cell.data_type == "f":          # never a formula, whatever openpyxl guessed
                cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    book.save(path)
    return path
