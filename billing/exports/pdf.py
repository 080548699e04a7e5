"""PDF exports: reportlab platypus, A4 landscape, for printing and signing.

Chinese renders through reportlab's built-in CID font STSong-Light (the PDF viewer supplies
the glyphs), so no font file ships with the portal. Cells are plain strings, never
Paragraph markup, so text from the bill cannot inject markup and 50,000 lines stay fast.
"""

import io
from decimal import Decimal
from functools import lru_cache, partial

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table

from . import common, layout
from .labels import Labels

FONT = "STSong-Light"
SIZE = 7  # table text; the summary uses SUMMARY_SIZE
SUMMARY_SIZE = 9
PAGE = landscape(A4)
MARGIN = 10 * mm
WIDTH = PAGE[0] - 2 * MARGIN - 2 * 6  # platypus frames pad 6 points on each side
MAX_CELL_LINES = 6  # longer text is cut with "…"; CSV and XLSX carry it whole
HEADER_BG = colors.HexColor("#E8EDF3")


@lru_cache
def _font():
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _wrap(text, width, size=SIZE):
    """Break text into lines of at most `width` points, per character (CJK has no spaces)."""
    width -= 4  # the cell's side padding, see _style()
    if pdfmetrics.stringWidth(text, FONT, size) <= width:
        return text
    lines, line, used = [], "", 0.0
    for char in text:
        advance = pdfmetrics.stringWidth(char, FONT, size)
        if char == "\n" or (line and used + advance > width):
            lines.append(line)
            line, used = "", 0.0
            if char == "\n":
                continue
        line += char
        used += advance
    lines.append(line)
    if len(lines) > MAX_CELL_LINES:
        lines = [*lines[: MAX_CELL_LINES - 1], lines[MAX_CELL_LINES - 1][:-1] + "…"]
    return "\n".join(lines)


def _style(columns=(), *, header=True, total_row=False, size=SIZE):
    style = [
        ("FONT", (0, 0), (-1, -1), FONT, size),
        ("LEADING", (0, 0), (-1, -1), size + 1.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),  # _wrap() counts on these two
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), HEADER_BG))
    for index, (_, _, kind) in enumerate(columns):
        if kind in layout.NUMERIC:
            style.append(("ALIGN", (index, 0), (index, -1), "RIGHT"))
    if total_row:
        style.append(("BACKGROUND", (0, -1), (-1, -1), HEADER_BG))
    return style


class _LongTable(Flowable):
    """A table with a repeating header that splits in linear time.

    platypus re-measures every remaining row at each page break, which is quadratic: a
    50,000-line bill took minutes. This builds a Table only for the rows one page can hold.
    """

    MIN_ROW = SIZE + 1.5 + 3  # one line of text plus padding

    def __init__(self, header, rows, widths, style, start=0):
        super().__init__()
        self.header, self.rows, self.widths, self.style = header, rows, widths, style
        self.start = start  # rows before it went on earlier pages
        self._window_for = self._table = None

    def _window(self, height):
        """(a Table of the rows that could fit `height`, whether those are all the rows)."""
        if self._window_for != height:  # platypus asks wrap() then split() with one height
            end = self.start + int(height / self.MIN_ROW) + 2
            table = Table([self.header, *self.rows[self.start : end]], self.widths, repeatRows=1)
            table.setStyle(self.style)
            self._window_for, self._table = height, (table, end >= len(self.rows))
        return self._table

    def wrap(self, available_width, available_height):
        table, complete = self._window(available_height)
        width, height = table.wrap(available_width, available_height)
        # More rows than the window: claim to be too tall so the frame calls split().
        return width, height if complete else available_height + 1

    def split(self, available_width, available_height):
        table, complete = self._window(available_height)
        parts = table.split(available_width, available_height)
        if complete or not parts:
            return parts
        done = len(parts[0]._cellvalues) - 1  # minus the header
        rest = _LongTable(self.header, self.rows, self.widths, self.style, self.start + done)
        return [parts[0], rest]

    def draw(self):
        self._table[0].drawOn(self.canv, 0, 0)


def _table(columns, items, widths, zone, *, total=None):
    """Rows of display text for `columns`, wrapped to `widths`; `total` is a last row."""
    wrapped = {i for i, (_, _, kind) in enumerate(columns) if kind == layout.TEXT}
    header = [_wrap(label, widths[i]) for i, (label, _, _) in enumerate(columns)]
    rows = []
    for item in items:
        row = [layout.text(get(item), kind, zone, grouped=True) for _, get, kind in columns]
        for i in wrapped:
            row[i] = _wrap(row[i], widths[i])
        rows.append(row)
    if total is not None:
        rows.append(total)
    return _LongTable(header, rows, widths, _style(columns, total_row=total is not None))


def _scale(weights):
    return [WIDTH * weight / sum(weights) for weight in weights]


def _summary(summary, zone):
    """The document's fields: a grid of label/value pairs, then the amounts side by side."""
    size, pairs = SUMMARY_SIZE, 3
    fields = [f for f in summary if f[2] != layout.MONEY]
    amounts = [f for f in summary if f[2] == layout.MONEY]
    label_width, value_width = _scale([1, 2.7] * pairs)[:2]
    grid, row = [], []
    for label, value, kind in fields:
        text = layout.text(value, kind, zone, grouped=True)
        row += [_wrap(label, label_width, size), _wrap(text, value_width, size)]
        if len(row) == 2 * pairs:
            grid.append(row)
            row = []
    if row:
        grid.append(row + [""] * (2 * pairs - len(row)))
    info = Table(grid, [label_width, value_width] * pairs)
    info.setStyle(
        [
            *_style(header=False, size=size),  # shade the label columns instead
            *[
                ("BACKGROUND", (i, r), (i, r), HEADER_BG)
                for r, cells in enumerate(grid)
                for i in range(0, 2 * pairs, 2)
                if cells[i]
            ],
        ]
    )
    width = WIDTH / len(amounts)
    money = Table(
        [
            [label for label, _, _ in amounts],
            [layout.text(value, kind, zone, grouped=True) for _, value, kind in amounts],
        ],
        [width] * len(amounts),
    )
    money.setStyle([*_style(size=size), ("ALIGN", (0, 0), (-1, -1), "RIGHT")])
    return [info, Spacer(0, 2 * mm), money]


class _NumberedCanvas(Canvas):
    """Footers saying "page N of M": M is a form drawn once at the end, which every page
    references, so pages need not be held back (that doubled the memory of a big bill)."""

    def __init__(self, *args, footer, t, **kwargs):
        super().__init__(*args, **kwargs)
        self._footer, self._t = footer, t

    def showPage(self):  # reportlab's name
        right = PAGE[0] - MARGIN - 6
        self.setFont(FONT, 8)
        self.drawString(MARGIN + 6, MARGIN / 2, self._footer)
        page = self._t("page", page=self._pageNumber)
        x = right - 80 - pdfmetrics.stringWidth(page, FONT, 8)  # 80: room for "99999 页"
        self.drawString(x, MARGIN / 2, page)
        self.saveState()
        self.translate(x + pdfmetrics.stringWidth(page, FONT, 8), MARGIN / 2)
        self.doForm("pages")
        self.restoreState()
        super().showPage()

    def save(self):
        pages = self._pageNumber - 1  # showPage() has already counted a next page
        self.beginForm("pages")
        self.setFont(FONT, 8)
        self.drawString(0, 0, self._t("pages", pages=pages))
        self.endForm()
        super().save()


def _build(title, flowables, footer, t):
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=title,
        author="Jiyun",
        invariant=True,  # the same bill always gives the same bytes
    )
    heading = ParagraphStyle("title", fontName=_font(), fontSize=16, leading=20)
    story = [Paragraph(_escape(title), heading), Spacer(0, 4 * mm)]
    for flowable in flowables:
        story += [flowable, Spacer(0, 4 * mm)]
    document.build(story, canvasmaker=partial(_NumberedCanvas, footer=footer, t=t))
    return out.getvalue()


def _escape(text):
    # Paragraphs parse markup; an agency name is text.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _caption(text):
    style = ParagraphStyle("caption", fontName=_font(), fontSize=10, leading=14)
    return Paragraph(_escape(text), style)


LINE_WEIGHTS = (40, 90, 75, 65, 45, 40, 62, 62, 50, 35, 55, 60, 150)


def bill_pdf(doc, language) -> bytes:
    t = Labels(language)
    _font()
    columns = layout.line_columns(t)  # the zone is in the summary, the columns are narrow
    widths = _scale(LINE_WEIGHTS)
    applications = common.subtotals(doc.lines, common.by_application)
    app_columns = layout.application_columns(t)
    flowables = [
        *_summary(layout.bill_summary(doc, t), doc.zone),
        _caption(t("by_application")),
        _table(app_columns, applications, _scale([3, 1, 1, 1, 1, 1]), doc.zone),
        _caption(t("lines")),
        _table(columns, doc.lines, widths, doc.zone) if doc.lines else _caption(t("no_lines")),
    ]
    footer = f"{doc.number}  {t('hash', hash=doc.content_hash) if doc.content_hash else t('draft')}"
    title = f"{t('bill_title')} {doc.agency_name} {t.month(doc.month)}"
    return _build(title, flowables, footer, t)


def month_pdf(doc, language) -> bytes:
    t = Labels(language)
    _font()
    columns = layout.month_columns(t)
    # The doc's own totals; the other columns are summed here only to fill the row.
    sums = [
        sum((getattr(row, name) for row in doc.rows), Decimal(0)) for name in common.SUM_COLUMNS[:4]
    ]
    change = common.change(doc.total, doc.previous_total)
    amounts = [*sums, doc.total, doc.previous_total, change]
    total_row = [
        "",
        t("total"),
        "",
        "",
        *(layout.text(a, layout.MONEY, doc.zone, grouped=True) for a in amounts),
    ]
    widths = _scale([60, 140, 55, 55, 68, 68, 68, 68, 68, 68, 68])
    flowables = [
        *_summary(layout.month_summary(doc, t), doc.zone),
        _caption(t("agencies")),
        _table(columns, doc.rows, widths, doc.zone, total=total_row),
    ]
    return _build(f"{t('month_title')} {t.month(doc.month)}", flowables, t("month_title"), t)
