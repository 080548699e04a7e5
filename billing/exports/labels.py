"""The exports' own labels in both languages.

billing is a library without Flask-Babel, and an export's wording is part of a finance
document, so the few labels live here as a table rather than in the portal's catalog.
"""

from datetime import date

LANGUAGES = ("zh_CN", "en")

# key: (zh_CN, en)
LABELS = {
    # Titles, headings, sheet names (Excel caps sheet names at 31 characters).
    "bill_title": ("月度费用账单", "Monthly chargeback bill"),
    "month_title": ("月度账单汇总", "Monthly bills overview"),
    "summary": ("汇总", "Summary"),
    "lines": ("明细", "Lines"),
    "by_resource": ("按资源小计", "By resource"),
    "by_application": ("按应用小计", "By application"),
    "agencies": ("各单位账单", "Agencies"),
    "field": ("项目", "Field"),
    "value": ("值", "Value"),
    "no_lines": ("本账单没有明细。", "This bill has no lines."),
    "bill_level": ("（账单级）", "(bill level)"),
    "none": ("（无）", "(none)"),
    "page": ("第 {page} / ", "Page {page} of "),  # then "pages", drawn once at the end
    "pages": ("{pages} 页", "{pages}"),
    "draft": ("草稿，尚未定稿", "Draft, not finalized"),
    "hash": ("内容摘要 {hash}", "Content hash {hash}"),
    # Bill fields.
    "number": ("账单编号", "Bill number"),
    "agency_code": ("单位代码", "Agency code"),
    "agency": ("单位", "Agency"),
    "month": ("账期", "Month"),
    "status": ("状态", "Status"),
    "price_lists": ("价目表", "Price lists"),
    "usage": ("用量费用", "Usage"),
    "service_fee": ("服务费", "Service fee"),
    "adjustments": ("调整", "Adjustments"),
    "credits": ("SLA 赔付", "SLA credits"),
    "total": ("合计", "Total"),
    "finalized_at": ("定稿时间", "Finalized at"),
    "content_hash": ("内容摘要", "Content hash"),
    "line_count": ("明细条数", "Lines"),
    "zone": ("时区", "Time zone"),
    # Line columns.
    "kind": ("类型", "Kind"),
    "resource": ("资源", "Resource"),
    "application": ("应用", "Application"),
    "metric": ("计量项", "Metric"),
    "dimension": ("维度", "Dimension"),
    "sla_tier": ("SLA 等级", "SLA tier"),
    "period": ("计费时段", "Period"),
    "period_start": ("开始时间", "Period start"),
    "period_end": ("结束时间", "Period end"),
    "quantity": ("数量", "Quantity"),
    "unit": ("单位", "Unit"),
    "rate": ("单价", "Rate"),
    "amount": ("金额", "Amount"),
    "reason": ("说明", "Reason"),
    # Line kinds, as LineDoc.kind codes.
    "kind_usage": ("用量", "Usage"),
    "kind_service_fee": ("服务费", "Service fee"),
    "kind_adjustment": ("调整", "Adjustment"),
    "kind_sla_credit": ("SLA 赔付", "SLA credit"),
    # Month overview.
    "agency_kind": ("单位类型", "Agency kind"),
    "previous_total": ("上月合计", "Previous month"),
    "change": ("环比变化", "Change"),
    "agency_count": ("单位数", "Agencies"),
}


def normalize(language):
    """'zh_CN', 'zh', 'zh_Hans_CN' -> 'zh_CN'; 'en', 'en_US' -> 'en'; else ValueError."""
    text = str(language).replace("-", "_")
    for known in LANGUAGES:
        if text.split("_")[0] == known.split("_")[0]:
            return known
    raise ValueError(f"unsupported export language {language!r}")


class Labels:
    """`t = Labels("en"); t("total")` -> "Total"; keyword arguments fill placeholders."""

    def __init__(self, language):
        self.language = normalize(language)
        self._index = LANGUAGES.index(self.language)

    def __call__(self, key, **values):
        text = LABELS[key][self._index]
        return text.format(**values) if values else text

    def kind(self, code):
        return self(f"kind_{code}")

    def month(self, month: date):
        if self.language == "zh_CN":
            return f"{month.year}年{month.month}月"
        return f"{month:%Y-%m}"
