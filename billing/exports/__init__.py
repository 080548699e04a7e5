"""Exports of monthly bills (BillDoc) and of a month's bills (MonthDoc) as CSV, XLSX and PDF.

Pure functions of a document and a language ("zh_CN" or "en"), returning bytes; no database,
no Flask. `export()` also gives the mimetype and a download filename:

    data, mimetype, filename = export("bill", "xlsx", bill_doc, "zh_CN")
"""

import re

from .labels import LANGUAGES
from .pdf import bill_pdf, month_pdf
from .tabular import bill_csv, bill_xlsx, month_csv, month_xlsx

__all__ = [
    "EXPORTERS",
    "FORMATS",
    "KINDS",
    "LANGUAGES",
    "MIMETYPES",
    "bill_csv",
    "bill_pdf",
    "bill_xlsx",
    "export",
    "filename",
    "month_csv",
    "month_pdf",
    "month_xlsx",
]

KINDS = ("bill", "month")
FORMATS = ("csv", "xlsx", "pdf")
MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
EXPORTERS = {
    ("bill", "csv"): bill_csv,
    ("bill", "xlsx"): bill_xlsx,
    ("bill", "pdf"): bill_pdf,
    ("month", "csv"): month_csv,
    ("month", "xlsx"): month_xlsx,
    ("month", "pdf"): month_pdf,
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def filename(kind, fmt, doc):
    """`JY-202610-b08-1.xlsx` for a bill, `bills-2026-10.xlsx` for a month."""
    if kind == "bill":
        # The number goes into a Content-Disposition header: keep it to safe ASCII.
        stem = _UNSAFE.sub("_", doc.number).strip("._") or "bill"
    else:
        stem = f"bills-{doc.month:%Y-%m}"
    return f"{stem}.{fmt}"


def export(kind, fmt, doc, language):
    """(bytes, mimetype, filename) for kind "bill"/"month" and format "csv"/"xlsx"/"pdf"."""
    try:
        exporter = EXPORTERS[kind, fmt]
    except KeyError:
        raise ValueError(f"no {fmt!r} export of {kind!r}") from None
    return exporter(doc, language), MIMETYPES[fmt], filename(kind, fmt, doc)
