"""CSV and XLSX exports.

CSV: UTF-8 with a BOM so Excel on Chinese Windows opens it as UTF-8; a summary block
(field, value), a blank row, then one table. Amounts are plain decimal strings.
XLSX: openpyxl's write-only mode, which streams rows to disk, so a 50,000-line bill stays
in bounded memory; numbers are numeric cells with number formats.
"""

import csv
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from . import common, layout
from .labels import Labels

# ---------------------------------------------------------------- CSV


def _csv_cell(value, kind, zone):
    text = layout.text(value, kind, zone)
    # Numbers are rendered here and stay as they are (a negative amount keeps its "-");
    # only free text from the bill can smuggle in a formula.
    return common.safe_text(text) if kind == layout.TEXT else text


def _csv(summary, columns, items, zone, t):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([t("field"), t("value")])
    for label, value, kind in summary:
        writer.writerow([label, _csv_cell(value, kind, zone)])
    writer.writerow([])
    writer.writerow([header for header, _, _ in columns])
    for item in items:
        writer.writerow([_csv_cell(get(item), kind, zone) for _, get, kind in columns])
    return out.getvalue().encode("utf-8-sig")


def bill_csv(doc, language) -> bytes:
    t = Labels(language)
    summary = layout.bill_summary(doc, t)
    return _csv(summary, layout.line_columns(t, doc.zone), doc.lines, doc.zone, t)


def month_csv(doc, language) -> bytes:
    t = Labels(language)
    summary = layout.month_summary(doc, t)
    return _csv(summary, layout.month_columns(t), doc.rows, doc.zone, t)


# ---------------------------------------------------------------- XLSX

NUMBER_FORMATS = {
    layout.MONEY: "#,##0.00",
    layout.RATE: "0.000000####",  # six places, more when the price has them
    layout.INT: "0",
    layout.TIME: "yyyy-mm-dd hh:mm",
    layout.MONTH: "yyyy-mm",
}
WIDTHS = {layout.TEXT: 18, layout.TIME: 17, layout.MONTH: 10}
BOLD = Font(bold=True)


class _Sheet:
    """A write-only sheet that turns (value, type) into cells."""

    def __init__(self, book, title, zone, widths=()):
        self.ws = book.create_sheet(title[:31])
        self.zone = zone
        # Column widths and frozen panes must be set before the first row is written.
        for index, width in enumerate(widths, 1):
            self.ws.column_dimensions[get_column_letter(index)].width = width

    def cell(self, value, kind):
        if value is None:
            return None
        if kind == layout.TEXT:
            value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
            if not value.startswith("="):
                return value
            cell = WriteOnlyCell(self.ws, value)
            cell.data_type = "s"  # user text starting with "=" is text, never a formula
            return cell
        if kind == layout.TIME:
            # Excel has no time zones: store wall-clock time in the document's zone.
            value = common.local(value, self.zone)
        elif kind == layout.MONEY:
            value = common.money(value)
        if isinstance(value, Decimal):
            # openpyxl would print a Decimal with "%.16g" through a float (9.21 becomes
            # 9.210000000000001 in the file); a numeric cell holding our own text is exact.
            cell = WriteOnlyCell(self.ws, f"{value:f}")
            cell.data_type = "n"
        else:
            cell = WriteOnlyCell(self.ws, value)
        if kind in NUMBER_FORMATS:
            cell.number_format = NUMBER_FORMATS[kind]
        return cell

    def header(self, labels):
        row = []
        for label in labels:
            cell = WriteOnlyCell(self.ws, label)
            cell.font = BOLD
            row.append(cell)
        self.ws.append(row)

    def table(self, columns, items):
        self.header([header for header, _, _ in columns])
        cell = self.cell
        for item in items:
            self.ws.append([cell(get(item), kind) for _, get, kind in columns])


def _book(zone, summary, t):
    book = Workbook(write_only=True)
    sheet = _Sheet(book, t("summary"), zone, widths=(20, 40))
    sheet.header([t("field"), t("value")])
    for label, value, kind in summary:
        sheet.ws.append([label, sheet.cell(value, kind)])
    return book


def _table_sheet(book, title, columns, items, zone):
    sheet = _Sheet(book, title, zone, widths=[WIDTHS.get(kind, 14) for _, _, kind in columns])
    sheet.ws.freeze_panes = "A2"  # keep the header in view
    sheet.table(columns, items)


def _save(book):
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bill_xlsx(doc, language) -> bytes:
    t = Labels(language)
    book = _book(doc.zone, layout.bill_summary(doc, t), t)
    _table_sheet(book, t("lines"), layout.line_columns(t, doc.zone), doc.lines, doc.zone)
    resources = common.subtotals(doc.lines, common.by_resource)
    _table_sheet(book, t("by_resource"), layout.resource_columns(t), resources, doc.zone)
    applications = common.subtotals(doc.lines, common.by_application)
    _table_sheet(book, t("by_application"), layout.application_columns(t), applications, doc.zone)
    return _save(book)


def month_xlsx(doc, language) -> bytes:
    t = Labels(language)
    book = _book(doc.zone, layout.month_summary(doc, t), t)
    _table_sheet(book, t("agencies"), layout.month_columns(t), doc.rows, doc.zone)
    return _save(book)
