"""What the documents contain, once for all formats: fields and columns with their types.

A column is (header, getter, type); each format renders the types its own way (CSV as text,
XLSX as typed cells with number formats, PDF as aligned text).
"""

from . import common

TEXT, INT, MONEY, RATE, QUANTITY, TIME, MONTH = (
    "text",
    "int",
    "money",
    "rate",
    "quantity",
    "time",
    "month",
)
NUMERIC = {INT, MONEY, RATE, QUANTITY}


def bill_summary(doc, t):
    """[(label, value, type)] describing the bill as a whole."""
    return [
        (t("number"), doc.number, TEXT),
        (t("agency_code"), doc.agency_code, TEXT),
        (t("agency"), doc.agency_name, TEXT),
        (t("month"), doc.month, MONTH),
        (t("status"), doc.status, TEXT),
        (t("price_lists"), "; ".join(doc.price_lists), TEXT),
        (t("usage"), doc.usage, MONEY),
        (t("service_fee"), doc.service_fee, MONEY),
        (t("adjustments"), doc.adjustments, MONEY),
        (t("credits"), doc.credits, MONEY),
        (t("total"), doc.total, MONEY),
        (t("line_count"), len(doc.lines), INT),
        (t("finalized_at"), doc.finalized_at, TIME),
        (t("content_hash"), doc.content_hash or "", TEXT),
        (t("zone"), doc.zone, TEXT),
    ]


def line_columns(t, zone=None):
    """Columns of bill lines; times are shown in the bill's zone, named in the header if given."""

    def when(key):
        return f"{t(key)} ({zone})" if zone else t(key)

    return [
        (t("kind"), lambda line: t.kind(line.kind), TEXT),
        (t("resource"), lambda line: line.resource, TEXT),
        (t("application"), lambda line: line.application, TEXT),
        (t("metric"), lambda line: line.metric, TEXT),
        (t("dimension"), lambda line: line.dimension, TEXT),
        (t("sla_tier"), lambda line: line.sla_tier, TEXT),
        (when("period_start"), lambda line: line.period_start, TIME),
        (when("period_end"), lambda line: line.period_end, TIME),
        (t("quantity"), lambda line: line.quantity, QUANTITY),
        (t("unit"), lambda line: line.unit, TEXT),
        (t("rate"), lambda line: line.rate, RATE),
        (t("amount"), lambda line: line.amount, MONEY),
        (t("reason"), lambda line: line.reason, TEXT),
    ]


def _sum_columns(t):
    # Subtotal rows are (key, sums) pairs from common.subtotals.
    return [(t(name), lambda row, n=name: row[1][n], MONEY) for name in common.SUM_COLUMNS]


def resource_columns(t):
    return [
        (t("resource"), lambda row: row[0][0] or t("bill_level"), TEXT),
        (t("application"), lambda row: row[0][1], TEXT),
        *_sum_columns(t),
    ]


def application_columns(t):
    return [(t("application"), lambda row: row[0][0] or t("none"), TEXT), *_sum_columns(t)]


def month_summary(doc, t):
    return [
        (t("month"), doc.month, MONTH),
        (t("agency_count"), len(doc.rows), INT),
        (t("total"), doc.total, MONEY),
        (t("previous_total"), doc.previous_total, MONEY),
        (t("change"), common.change(doc.total, doc.previous_total), MONEY),
    ]


def month_columns(t):
    return [
        (t("agency_code"), lambda row: row.agency_code, TEXT),
        (t("agency"), lambda row: row.agency_name, TEXT),
        (t("agency_kind"), lambda row: row.agency_kind, TEXT),
        (t("status"), lambda row: row.status, TEXT),
        (t("usage"), lambda row: row.usage, MONEY),
        (t("service_fee"), lambda row: row.service_fee, MONEY),
        (t("adjustments"), lambda row: row.adjustments, MONEY),
        (t("credits"), lambda row: row.credits, MONEY),
        (t("total"), lambda row: row.total, MONEY),
        (t("previous_total"), lambda row: row.previous_total, MONEY),
        (t("change"), lambda row: common.change(row.total, row.previous_total), MONEY),
    ]


def text(value, kind, zone, *, grouped=False):
    """A value as display text: plain for CSV, thousands-grouped amounts for PDF."""
    if value is None:
        return ""
    if kind == MONEY:
        return f"{common.money(value):,f}" if grouped else common.money_text(value)
    if kind == RATE:
        return common.rate_text(value)
    if kind == QUANTITY:
        return common.quantity_text(value)
    if kind == TIME:
        return common.local_text(value, zone)
    if kind == MONTH:
        return f"{value:%Y-%m}"
    return str(value)
