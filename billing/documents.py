"""Plain, read-only documents of a monthly bill and of a month's bills, for the exports.

The portal fills them from its models; billing.exports only reads them, so exports need no
database, no Flask and no translations catalog. Labels (status, metric, agency kind) arrive
already translated; `LineDoc.kind` stays a code because the exports translate it themselves.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

LINE_KINDS = ("usage", "service_fee", "adjustment", "sla_credit")


def _check_money(doc, *names):
    # A float here would already have lost exactness; fail where it was made, not in a sheet.
    for name in names:
        value = getattr(doc, name)
        if value is not None and not isinstance(value, Decimal):
            raise TypeError(f"{type(doc).__name__}.{name} must be a Decimal, not {type(value)}")


def _check_aware(doc, *names):
    for name in names:
        value = getattr(doc, name)
        if value is not None and value.utcoffset() is None:
            raise ValueError(f"{type(doc).__name__}.{name} must be timezone-aware")


def _freeze(doc, name):
    # Callers may hand over lists; frozen documents keep tuples so they stay hashable.
    object.__setattr__(doc, name, tuple(getattr(doc, name)))


@dataclass(frozen=True, slots=True)
class LineDoc:
    kind: str  # one of LINE_KINDS
    resource: str  # e.g. "RS000123 web-01"; "" for bill-level lines
    application: str
    metric: str  # human label, already translated
    dimension: str
    sla_tier: str
    period_start: datetime  # aware
    period_end: datetime  # aware
    quantity: Decimal | None
    unit: str
    rate: Decimal | None
    amount: Decimal  # already rounded at the line by the bill's rule
    reason: str = ""

    def __post_init__(self):
        if self.kind not in LINE_KINDS:
            raise ValueError(f"unknown line kind {self.kind!r}")
        _check_money(self, "quantity", "rate", "amount")
        _check_aware(self, "period_start", "period_end")


@dataclass(frozen=True, slots=True)
class BillDoc:
    number: str
    agency_code: str
    agency_name: str
    month: date  # first day of the month
    status: str  # translated label
    price_lists: tuple[str, ...]
    lines: tuple[LineDoc, ...]
    usage: Decimal
    service_fee: Decimal
    adjustments: Decimal
    credits: Decimal
    total: Decimal
    content_hash: str | None = None  # set once finalized
    finalized_at: datetime | None = None
    zone: str = "Asia/Shanghai"  # times in the exports are shown here

    def __post_init__(self):
        _freeze(self, "price_lists")
        _freeze(self, "lines")
        _check_money(self, "usage", "service_fee", "adjustments", "credits", "total")
        _check_aware(self, "finalized_at")


@dataclass(frozen=True, slots=True)
class MonthRow:
    agency_code: str
    agency_name: str
    agency_kind: str  # translated label
    status: str  # translated label
    usage: Decimal
    service_fee: Decimal
    adjustments: Decimal
    credits: Decimal
    total: Decimal
    previous_total: Decimal | None = None  # None: no bill the month before

    def __post_init__(self):
        _check_money(
            self, "usage", "service_fee", "adjustments", "credits", "total", "previous_total"
        )


@dataclass(frozen=True, slots=True)
class MonthDoc:
    month: date  # first day of the month
    rows: tuple[MonthRow, ...]
    total: Decimal
    previous_total: Decimal | None = None
    zone: str = "Asia/Shanghai"

    def __post_init__(self):
        _freeze(self, "rows")
        _check_money(self, "total", "previous_total")
