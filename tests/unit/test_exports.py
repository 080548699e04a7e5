"""Bill exports (billing.exports): CSV, XLSX and PDF of a bill and of a month, both languages.

Pure library tests: documents are built by hand, no database and no Flask.
"""

import csv
import io
import re
import zipfile
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from billing.documents import BillDoc, LineDoc, MonthDoc, MonthRow
from billing.exports import EXPORTERS, MIMETYPES, export, filename
from billing.exports.labels import Labels, normalize

LANGUAGES = ["zh_CN", "en"]
START = datetime(2026, 9, 30, 16, tzinfo=UTC)  # 2026-10-01 00:00 in Shanghai
END = datetime(2026, 10, 31, 16, tzinfo=UTC)
HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
# LineDoc.kind -> the bill's summary field
SUMS = {
    "usage": "usage",
    "service_fee": "service_fee",
    "adjustment": "adjustments",
    "sla_credit": "credits",
}


def line(index=0, kind="usage", amount="12.50", **fields):
    values = {
        "kind": kind,
        "resource": f"RS{index:06d} web-{index % 7:02d}",
        "application": ["财政门户", "Tax portal"][index % 2],
        "metric": "vCPU 时",
        "dimension": "gold",
        "sla_tier": "99.9",
        "period_start": START,
        "period_end": END,
        "quantity": Decimal(720),
        "unit": "h",
        "rate": Decimal("0.0125"),
        "amount": Decimal(amount),
        "reason": "",
    }
    return LineDoc(**{**values, **fields})


def bill(lines, **fields):
    sums = dict.fromkeys(SUMS.values(), Decimal(0))
    for item in lines:
        sums[SUMS[item.kind]] += item.amount
    values = {
        "number": "JY-202610-b08-1",
        "agency_code": "b08",
        "agency_name": "区财政局",
        "month": date(2026, 10, 1),
        "status": "已定稿",
        "price_lists": ("2026 标准价目表 v3",),
        "lines": tuple(lines),
        "total": sum(sums.values()),
        "content_hash": HASH,
        "finalized_at": datetime(2026, 11, 3, 2, 30, tzinfo=UTC),
        **sums,
    }
    return BillDoc(**{**values, **fields})


def sample_lines():
    return [
        line(1),
        line(2, amount="1234.56"),
        line(3, rate=Decimal("0.00012345"), quantity=Decimal("1E+3"), amount="0.12"),
        line(0, "service_fee", "300.00", resource="", application="", quantity=None, rate=None),
        line(0, "adjustment", "-50.00", resource="", application="", reason="=HYPERLINK(1)"),
        line(2, "sla_credit", "-20.25", reason="事件 INC-42 超时"),
    ]


def money(*amounts):
    return [Decimal(amount) for amount in amounts]


def month(rows=None, **fields):
    if rows is None:
        rows = [
            MonthRow("b08", "区财政局", "局", "已定稿", *money(1000, 300, -50, -20, 1230, 1000)),
            MonthRow("t01", "+镇政府", "镇", "草稿", *money(10, 0, 0, 0, 10)),
        ]
    values = {"month": date(2026, 10, 1), "rows": tuple(rows)}
    values["total"] = sum((row.total for row in rows), Decimal(0))
    values["previous_total"] = Decimal("1000.00")
    return MonthDoc(**{**values, **fields})


def read_csv(data):
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel on Chinese Windows reads UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    gap = rows.index([])
    return dict(rows[1:gap]), rows[gap + 1], rows[gap + 2 :]


def pdf_pages(data):
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def squeeze(text):
    return "".join(text.split())  # line breaks in extracted text depend on the layout


# ---------------------------------------------------------------- CSV


@pytest.mark.parametrize("language", LANGUAGES)
def test_bill_csv_round_trips_with_totals_equal_to_lines(language):
    t = Labels(language)
    doc = bill(sample_lines())
    summary, header, rows = read_csv(export("bill", "csv", doc, language)[0])

    assert summary[t("agency")] == "区财政局"
    assert summary[t("total")] == "1476.93" == f"{doc.total:f}"
    assert summary[t("finalized_at")] == "2026-11-03 10:30"  # shown in Asia/Shanghai
    assert summary[t("line_count")] == "6"
    column = {label: index for index, label in enumerate(header)}
    amounts = [Decimal(row[column[t("amount")]]) for row in rows]
    assert sum(amounts) == Decimal(summary[t("total")])
    for code, name in SUMS.items():
        kind_sum = sum(a for a, r in zip(amounts, rows, strict=True) if r[0] == t.kind(code))
        assert kind_sum == Decimal(summary[t(name)])
    first = rows[0]
    assert first[column[f"{t('period_start')} (Asia/Shanghai)"]] == "2026-10-01 00:00"
    assert first[column[t("rate")]] == "0.012500"  # six places
    assert rows[2][column[t("rate")]] == "0.00012345"  # a finer price is not rounded
    assert rows[2][column[t("quantity")]] == "1000"  # as given, never "1E+3"
    assert rows[3][column[t("rate")]] == ""


def test_csv_guards_formula_injection_in_text_not_numbers():
    evil = line(1, resource="=cmd|'/C calc'!A0", application="@SUM(A1)", metric="+1", unit="-1")
    doc = bill([evil, line(2, "adjustment", "-5.00", reason="\tx")], agency_name="=1+1")
    summary, header, rows = read_csv(export("bill", "csv", doc, "en")[0])

    assert summary["Agency"] == "'=1+1"
    assert rows[0][1:4] == ["'=cmd|'/C calc'!A0", "'@SUM(A1)", "'+1"]
    assert rows[0][header.index("Unit")] == "'-1"
    assert rows[1][header.index("Reason")] == "'\tx"
    assert rows[1][header.index("Amount")] == "-5.00"  # numbers stay numbers
    assert summary["Total"] == "7.50"


@pytest.mark.parametrize("language", LANGUAGES)
def test_month_csv(language):
    t = Labels(language)
    summary, header, rows = read_csv(export("month", "csv", month(), language)[0])
    assert summary[t("month")] == "2026-10"
    assert summary[t("total")] == "1240.00"
    assert summary[t("change")] == "240.00"
    assert header[:2] == [t("agency_code"), t("agency")]
    assert [row[1] for row in rows] == ["区财政局", "'+镇政府"]
    assert sum(Decimal(row[header.index(t("total"))]) for row in rows) == Decimal("1240")
    assert rows[1][header.index(t("previous_total"))] == ""  # no bill the month before
    assert rows[1][header.index(t("change"))] == ""


# ---------------------------------------------------------------- XLSX


def open_xlsx(data):
    return load_workbook(io.BytesIO(data), read_only=True)


@pytest.mark.parametrize("language", LANGUAGES)
def test_bill_xlsx_has_typed_cells_and_subtotals(language):
    t = Labels(language)
    doc = bill(sample_lines())
    book = open_xlsx(export("bill", "xlsx", doc, language)[0])

    assert book.sheetnames == [t("summary"), t("lines"), t("by_resource"), t("by_application")]
    summary = {row[0].value: row[1] for row in book[t("summary")].iter_rows(min_row=2)}
    assert summary[t("agency")].value == "区财政局"
    assert Decimal(str(summary[t("total")].value)) == doc.total
    assert summary[t("total")].number_format == "#,##0.00"
    # Excel has no time zones: wall-clock Shanghai time.
    assert summary[t("month")].value.isoformat() == "2026-10-01T00:00:00"
    assert summary[t("finalized_at")].value.isoformat() == "2026-11-03T10:30:00"

    lines = list(book[t("lines")].iter_rows(values_only=True))
    header, rows = lines[0], lines[1:]
    amount, rate = header.index(t("amount")), header.index(t("rate"))
    assert len(rows) == len(doc.lines)
    assert sum(Decimal(str(row[amount])) for row in rows) == doc.total
    assert rows[0][6].isoformat() == "2026-10-01T00:00:00"
    assert rows[2][rate] == pytest.approx(0.00012345)
    assert rows[4][header.index(t("reason"))] == "=HYPERLINK(1)"  # kept as text...

    for name in (t("by_resource"), t("by_application")):
        grouped = list(book[name].iter_rows(values_only=True))
        total = grouped[0].index(t("total"))
        assert sum(Decimal(str(row[total])) for row in grouped[1:]) == doc.total
    applications = [row[0] for row in book[t("by_application")].iter_rows(values_only=True)]
    assert applications[1:] == ["Tax portal", "财政门户", t("none")]


def test_xlsx_text_is_never_a_formula_and_numbers_are_exact():
    lines = [*sample_lines(), line(9, amount="9.21"), line(8, amount="8902151262048.79")]
    doc = bill(lines, agency_name="=1+1")
    with zipfile.ZipFile(io.BytesIO(export("bill", "xlsx", doc, "en")[0])) as archive:
        sheets = b"".join(
            archive.read(name) for name in archive.namelist() if name.startswith("xl/worksheets/")
        )
    assert b"<f>" not in sheets  # ...not a formula
    # Written as the decimal text, not through a float ("9.210000000000001").
    for amount in (b"9.21", b"8902151262048.79", b"0.0125", b"0.00012345", b"-50.00"):
        assert b"<v>" + amount + b"</v>" in sheets
    assert b"00000000" not in sheets


@pytest.mark.parametrize("language", LANGUAGES)
def test_month_xlsx(language):
    t = Labels(language)
    book = open_xlsx(export("month", "xlsx", month(), language)[0])
    assert book.sheetnames == [t("summary"), t("agencies")]
    rows = list(book[t("agencies")].iter_rows(values_only=True))
    assert rows[1][:2] == ("b08", "区财政局")
    assert rows[2][1] == "+镇政府"
    assert sum(Decimal(str(row[8])) for row in rows[1:]) == Decimal("1240")


# ---------------------------------------------------------------- PDF


@pytest.mark.parametrize("language", LANGUAGES)
def test_bill_pdf_renders_chinese(language):
    t = Labels(language)
    data, mimetype, _ = export("bill", "pdf", bill(sample_lines()), language)
    assert data.startswith(b"%PDF") and mimetype == "application/pdf"
    text = "\n".join(pdf_pages(data))
    for expected in ("区财政局", "财政门户", "1,234.56", "1,476.93", t("total"), t("amount")):
        assert expected in text
    assert squeeze(t("hash", hash=HASH)) in squeeze(text)
    assert squeeze(t("page", page=1) + t("pages", pages=1)) in squeeze(text)
    if language == "zh_CN":
        assert "合计" in text and "按应用小计" in text


def test_bill_pdf_is_reproducible():
    doc = bill(sample_lines())
    assert export("bill", "pdf", doc, "zh_CN")[0] == export("bill", "pdf", doc, "zh_CN")[0]


def test_draft_bill_pdf_says_draft_and_escapes_markup():
    doc = bill(sample_lines(), content_hash=None, finalized_at=None, agency_name="<b>A&B</b>")
    text = "\n".join(pdf_pages(export("bill", "pdf", doc, "zh_CN")[0]))
    assert "草稿，尚未定稿" in text
    assert "<b>A&B</b>" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_month_pdf(language):
    t = Labels(language)
    text = "\n".join(pdf_pages(export("month", "pdf", month(), language)[0]))
    for expected in ("区财政局", "+镇政府", "1,240.00", t("total"), t("month_title")):
        assert expected in text


def test_pdf_cuts_very_long_text_instead_of_failing():
    doc = bill([line(1, reason="很长的说明" * 400)])
    text = "\n".join(pdf_pages(export("bill", "pdf", doc, "zh_CN")[0]))
    assert "…" in text


# ---------------------------------------------------------------- all formats


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_empty_bill_and_month_export(fmt, language):
    empty = bill([], content_hash=None, finalized_at=None)
    assert empty.total == 0
    for kind, doc in (("bill", empty), ("month", month([], previous_total=None))):
        data, mimetype, name = export(kind, fmt, doc, language)
        assert data and mimetype == MIMETYPES[fmt] and name.endswith(f".{fmt}")
    if fmt == "pdf":
        text = "\n".join(pdf_pages(export("bill", fmt, empty, language)[0]))
        assert Labels(language)("no_lines") in text


def test_big_bill_exports_every_line_with_repeating_header():
    lines = [line(i, amount=f"{i % 1000}.{i % 100:02d}") for i in range(3000)]
    doc = bill(lines)

    _, header, rows = read_csv(export("bill", "csv", doc, "zh_CN")[0])
    assert len(rows) == 3000
    assert sum(Decimal(row[header.index("金额")]) for row in rows) == doc.total

    book = open_xlsx(export("bill", "xlsx", doc, "zh_CN")[0])
    assert sum(1 for _ in book["明细"].iter_rows(values_only=True)) == 3001

    pages = pdf_pages(export("bill", "pdf", doc, "zh_CN")[0])
    assert len(pages) > 10
    line_pages = [page for page in pages if "RS00" in page]
    assert all("金额" in page for page in line_pages)  # the header repeats on every page
    shown = set(re.findall(r"RS\d{6}", "\n".join(pages)))
    assert shown == {f"RS{i:06d}" for i in range(3000)}  # no line lost at a page break
    assert f"第{len(pages)}/{len(pages)}页" in squeeze(pages[-1])


def test_export_names_and_errors():
    doc = bill(sample_lines())
    assert filename("bill", "xlsx", doc) == "JY-202610-b08-1.xlsx"
    assert filename("month", "pdf", month()) == "bills-2026-10.pdf"
    assert filename("bill", "csv", bill([], number="JY/2026 10\r\n")) == "JY_2026_10.csv"
    assert set(EXPORTERS) == {(k, f) for k in ("bill", "month") for f in ("csv", "xlsx", "pdf")}
    with pytest.raises(ValueError, match="docx"):
        export("bill", "docx", doc, "en")
    with pytest.raises(ValueError, match="fr"):
        export("bill", "csv", doc, "fr")
    assert normalize("zh") == "zh_CN" and normalize("en_US") == "en"


def test_documents_refuse_float_money_and_naive_times():
    with pytest.raises(TypeError, match="amount"):
        replace(line(), amount=1.5)
    with pytest.raises(ValueError, match="timezone"):
        line(period_end=datetime(2026, 10, 31))  # noqa: DTZ001 (the point of the test)
    with pytest.raises(ValueError, match="kind"):
        line(kind="discount")
    assert isinstance(bill(list(sample_lines())).lines, tuple)  # lists are frozen to tuples
