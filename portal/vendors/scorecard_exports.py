"""Vendor scorecards (考核) as XLSX and PDF, in Chinese or English.

The bill exports' machinery is reused rather than copied: billing.exports.tabular's
write-only sheet (amounts as exact numeric cells with two places) and billing.exports.pdf's
table, CID font (STSong-Light) and numbered footer. Their labels are the bills', so the
scorecard's own live here in both languages, as billing's do: an export is a document
whose wording does not wait for the portal's message catalog.
"""

from decimal import Decimal

from openpyxl import Workbook
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

from billing.exports import MIMETYPES, layout
from billing.exports.labels import Labels, normalize

# Private by name, but they are the exports' shared helpers; a bill-free copy would drift.
from billing.exports.pdf import _build, _caption, _font, _scale, _table
from billing.exports.tabular import _save, _Sheet

FORMATS = ("xlsx", "pdf")
ZONE = "Asia/Shanghai"

# key: (zh_CN, en). "\n" is where a PDF header breaks; the sheet's headers are one line.
LABELS = {
    "title": ("外包服务商考核", "Vendor scorecards"),
    "sheet": ("考核", "Scorecards"),
    "notes": ("说明", "Notes"),
    "field": ("项目", "Field"),
    "value": ("值", "Value"),
    "rank": ("名次", "Rank"),
    "code": ("服务商\n代码", "Vendor\ncode"),
    "vendor": ("外包服务商", "Vendor"),
    "incidents": ("故障工单", "Incidents"),
    "response_breaches": ("响应违约", "Response\nbreaches"),
    "resolution_breaches": ("解决违约", "Resolution\nbreaches"),
    "availability_breaches": ("可用性违约", "Availability\nbreaches"),
    "sla_compliance": ("SLA 达标率\n（%）", "SLA\ncompliance (%)"),
    "mean_resolution_hours": ("平均解决时间\n（服务小时）", "Mean resolution\n(service hours)"),
    "surveys": ("评价数", "Surveys"),
    "satisfaction": ("满意度\n（1～5）", "Satisfaction\n(1-5)"),
    "expert": ("专家验收\n论证", "Expert\nreview"),
    "penalty": ("违约扣分", "Breach\npenalty"),
    "score": ("得分", "Score"),
    "period": ("考核期", "Period"),
    "weight_sla": ("权重：SLA 达标率", "Weight: SLA compliance"),
    "weight_satisfaction": ("权重：满意度", "Weight: satisfaction"),
    "weight_expert": ("权重：专家验收论证", "Weight: expert review"),
    "penalty_per_breach": ("每次可用性违约扣分", "Points per availability breach"),
    "rule": (
        "得分为 SLA 达标率、满意度（按（平均分 - 1）÷ 4 × 100 折算）与专家验收论证的加权平均"
        "（权重 {sla}:{satisfaction}:{expert}，只计有值的指标；响应、解决违约计入达标率），"
        "每次可用性违约扣 {penalty} 分，最低 0 分。",
        "The score is the weighted mean of SLA compliance, satisfaction (as (average - 1) / 4"
        " × 100) and the expert review (weights {sla}:{satisfaction}:{expert}, over the"
        " components that have a value; response and resolution breaches lower the compliance),"
        " minus {penalty} per availability breach, never below 0.",
    ),
    "empty": ("本考核期没有外包服务商。", "No vendors in this period."),
}


class _Labels(Labels):
    """The scorecard's labels, falling back to the bills' (the footer's page numbers)."""

    def __call__(self, key, **values):
        if key not in LABELS:
            return super().__call__(key, **values)
        text = LABELS[key][self._index]
        return text.format(**values) if values else text


def period_text(label, language):
    """'2026-10' → 2026年10月 / 2026-10; '2026-Q4' → 2026年第4季度 / 2026 Q4; '2026' →
    2026年度 / 2026."""
    zh = normalize(language) == "zh_CN"
    year, _, rest = label.partition("-")
    if rest.startswith("Q"):
        return f"{year}年第{rest[1]}季度" if zh else f"{year} {rest}"
    if rest:
        return f"{year}年{int(rest)}月" if zh else label
    return f"{year}年度" if zh else year


def _number(value):
    # Weights come from the configuration as floats: 50.0 reads as "50".
    return f"{Decimal(str(value)).normalize():f}"


def rule_text(weights, penalty, language):
    t = _Labels(language)
    return t(
        "rule",
        **{key: _number(weights[key]) for key in ("sla", "satisfaction", "expert")},
        penalty=_number(penalty),
    )


def _columns(t, language, one_line=False):
    if one_line:
        return [(label.replace("\n", " "), get, kind) for label, get, kind in _columns(t, language)]
    return [
        (t("rank"), lambda card: card.rank, layout.INT),
        (t("code"), lambda card: card.vendor.code, layout.TEXT),
        (t("vendor"), lambda card: card.vendor.name(language), layout.TEXT),
        (t("incidents"), lambda card: card.incidents, layout.INT),
        (t("response_breaches"), lambda card: card.response_breaches, layout.INT),
        (t("resolution_breaches"), lambda card: card.resolution_breaches, layout.INT),
        (t("availability_breaches"), lambda card: card.availability_breaches, layout.INT),
        (t("sla_compliance"), lambda card: card.sla_compliance, layout.MONEY),
        (t("mean_resolution_hours"), lambda card: card.mean_resolution_hours, layout.MONEY),
        (t("surveys"), lambda card: card.surveys, layout.INT),
        (t("satisfaction"), lambda card: card.satisfaction, layout.MONEY),
        (t("expert"), lambda card: card.expert, layout.INT),
        (t("penalty"), lambda card: card.penalty, layout.MONEY),
        (t("score"), lambda card: card.score, layout.MONEY),
    ]


def scorecards_xlsx(cards, period, language, weights, penalty):
    """A sheet of the ranked scorecards, then a sheet of the period and the weights."""
    t = _Labels(language)
    columns = _columns(t, language, one_line=True)
    book = Workbook(write_only=True)
    widths = [7, 14, 28, *[12] * (len(columns) - 3)]
    sheet = _Sheet(book, t("sheet"), ZONE, widths=widths)
    sheet.ws.freeze_panes = "A2"
    sheet.table(columns, cards)
    notes = _Sheet(book, t("notes"), ZONE, widths=(26, 90))
    notes.header([t("field"), t("value")])
    for label, value, kind in (
        (t("period"), period.label, layout.TEXT),
        (t("weight_sla"), Decimal(str(weights["sla"])), layout.MONEY),
        (t("weight_satisfaction"), Decimal(str(weights["satisfaction"])), layout.MONEY),
        (t("weight_expert"), Decimal(str(weights["expert"])), layout.MONEY),
        (t("penalty_per_breach"), Decimal(str(penalty)), layout.MONEY),
        (t("score"), rule_text(weights, penalty, language), layout.TEXT),
    ):
        notes.ws.append([label, notes.cell(value, kind)])
    return _save(book)


# Relative column widths of the PDF table: names get the room, counts little.
PDF_WEIGHTS = (26, 40, 100, 40, 44, 46, 50, 56, 66, 36, 50, 44, 40, 40)


def scorecards_pdf(cards, period, language, weights, penalty):
    t = _Labels(language)
    _font()
    title = f"{t('title')} {period_text(period.label, language)}"
    table = (
        _table(_columns(t, language), cards, _scale(PDF_WEIGHTS), ZONE)
        if cards
        else _caption(t("empty"))
    )
    flowables = [_rule(rule_text(weights, penalty, language), language), table]
    return _build(title, flowables, title, t)


def _rule(text, language):
    # billing's captions wrap at spaces only; Chinese has none, so it wraps per character.
    style = ParagraphStyle(
        "rule",
        fontName=_font(),
        fontSize=9,
        leading=13,
        wordWrap="CJK" if normalize(language) == "zh_CN" else None,
    )
    return Paragraph(text.replace("&", "&amp;").replace("<", "&lt;"), style)


EXPORTERS = {"xlsx": scorecards_xlsx, "pdf": scorecards_pdf}


def export(fmt, cards, period, language, weights, penalty):
    """(bytes, mimetype, filename); the filename is ASCII from the parsed period label."""
    data = EXPORTERS[fmt](cards, period, language, weights, penalty)
    return data, MIMETYPES[fmt], f"scorecards-{period.label}.{fmt}"
