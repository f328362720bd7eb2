"""What every Excel import shares (the archives, the opening balances): reading a workbook's cells and
headers in either language, the row-level errors of a preview, a template in one language, and the
import job that keeps the uploaded file between the preview and the confirmation.

An import is two steps: `read_plan(data, community)` of the area reads and checks every row and
writes nothing; the area's `apply_plan` writes a plan without errors. The job (`ImportJob`)
records who sent which file and what it did.
"""
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import force_locale, gettext, lazy_gettext as _l
from markupsafe import Markup
from mongoengine import DateTimeField, IntField, StringField

from app import clock
from documents.base import CommunityOwned, DomainError
from documents.files import MB

MAX_BYTES = 10 * MB
MAX_ROWS = 60000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: a text cell starting with one of these would run as a formula (OWASP "CSV injection")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
JOB_STATES = [("previewed", _l("Previewed, not imported")), ("done", _l("Imported"))]


class ImportJob(CommunityOwned):
    """One import: the file, who sent it, and what it did. Each area adds its counts and its `file`
    (a FileField with the area's own collection)."""

    meta = {"abstract": True}
    at = DateTimeField(required=True, verbose_name=_l("Time"))
    staff_name = StringField(verbose_name=_l("Staff"))
    filename = StringField(max_length=200, verbose_name=_l("File name"))
    state = StringField(choices=JOB_STATES, default="previewed", verbose_name=_l("State"))
    rows = IntField(default=0, verbose_name=_l("Rows"))
    errors = IntField(default=0, verbose_name=_l("Errors"))

    @classmethod
    def start(cls, user, community, filename: str, data: bytes):
        """Keep the uploaded file for the preview and the confirmation (nothing imported yet)."""
        job = cls(community=community, at=clock.now(), staff_name=user.username,
                  filename=(filename or "import.xlsx")[:200], state="previewed")
        job.file.put(data, content_type=XLSX_CONTENT_TYPE, filename=job.filename)
        return job.save()


@dataclass
class RowError:
    sheet: str
    row: int
    column: str
    message: str


class RowErrors:
    """A plan's `errors` list and the one way to add to it (a dataclass field `errors` is expected)."""

    def error(self, sheet, row, column, message):
        self.errors.append(RowError(str(sheet), row, str(column), str(message)))


# --- reading cells ---

_NAMES: dict[int, set] = {}


def safe_cell(value):
    """A value a spreadsheet shows but never runs: text starting like a formula gets an apostrophe."""
    if isinstance(value, Markup):
        value = value.striptags()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def both_languages(label) -> set[str]:
    """A label's text in English and in Chinese, lower-case (labels are module constants: cached)."""
    names = _NAMES.get(id(label))
    if names is None:
        names = set()
        for locale in ("en", "zh_Hans_CN"):
            with force_locale(locale):
                names.add(str(label).strip().lower())
        _NAMES[id(label)] = names
    return names


def choice_of(choices, text) -> str | None:
    """A choice typed as its code or its label in either language; None if it is none of them."""
    value = str(text or "").strip()
    for code, label in choices:
        if value.lower() == code or value.lower() in both_languages(label):
            return code
    return None


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value).strip()


def cell_date(value) -> date | None:
    """A date cell, or a text such as 2020-05-01 / 2020/5/1; ValueError when it is neither."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    year, month, day = (int(part) for part in text.split("-"))
    return date(year, month, day)


def header_map(header_row, columns) -> tuple[dict, list]:
    """Column key -> index from a header row in either language; and the missing required headers."""
    wanted = {key: both_languages(label) for key, label, _required in columns}
    found = {}
    for index, value in enumerate(header_row or []):
        text = cell_text(value).rstrip("*").strip().lower()
        for key, names in wanted.items():
            if text in names and key not in found:
                found[key] = index
    missing = [label for key, label, required in columns if required and key not in found]
    return found, missing


# --- workbooks ---

def open_workbook(data: bytes):
    """The workbook, or a DomainError saying why the file cannot be read (size, not xlsx)."""
    from openpyxl import load_workbook
    if len(data) > MAX_BYTES:
        raise DomainError(gettext("The file is larger than the limit of %(mb)d MB.", mb=MAX_BYTES // MB),
                          field="file")
    if not data.startswith(b"PK\x03\x04"):
        raise DomainError(gettext("This is not an Excel workbook (.xlsx). Save the sheet as .xlsx and try again."),
                          field="file")
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise DomainError(gettext("This is not an Excel workbook (.xlsx). Save the sheet as .xlsx and try again."),
                          field="file") from None


def find_sheet(book, label):
    """The sheet named by `label` in either language, or None."""
    names = both_languages(label)
    return next((book[name] for name in book.sheetnames if name.strip().lower() in names), None)


def sheet_rows(sheet, columns, plan):
    """(row number, {key: value}) of a sheet's filled rows; nothing after a missing header (each
    missing header is an error of the plan)."""
    iterator = sheet.iter_rows(values_only=True)
    header = next(iterator, None)
    found, missing = header_map(header, columns)
    for label in missing:
        plan.error(sheet.title, 1, label, gettext("The column “%(column)s” is missing.", column=str(label)))
    if missing:
        return
    for number, values in enumerate(iterator, start=2):
        if not values or all(v in (None, "") for v in values):
            continue
        if number > MAX_ROWS:
            plan.error(sheet.title, number, "", gettext("At most %(n)d rows can be imported at once.", n=MAX_ROWS))
            return
        yield number, {key: (values[index] if index < len(values) else None) for key, index in found.items()}


def template_bytes(locale: str, sheets) -> bytes:
    """A template workbook in one language: `sheets` is a list of (title label, columns, example
    rows - or a function giving them, called in that language); required headers are starred,
    cells are text (codes and phone numbers stay as typed)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    book = Workbook()
    book.remove(book.active)
    with force_locale(locale):
        for title, columns, rows in sheets:
            sheet = book.create_sheet(str(title))
            sheet.append([f"{label}*" if required else str(label) for _k, label, required in columns])
            for row in rows() if callable(rows) else rows:
                sheet.append(list(row))
            for cell in sheet[1]:
                cell.font = Font(bold=True)
            for column in sheet.columns:
                sheet.column_dimensions[column[0].column_letter].width = 16
                for cell in column[1:]:
                    cell.number_format = "@"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
