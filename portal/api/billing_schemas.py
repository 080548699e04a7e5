"""The API's shapes for billing: prices, usage, bills and their lines, running costs and
budgets.

Amounts are never floats: money is a string of yuan with 2 places ("92.80"), rates a
string with 6 ("0.000700"), quantities a string of unit-hours with 4 places beside the
exact integer `quantity_seconds` (unit-seconds) they come from. Amounts sent in are
strings too, so nothing is lost on the way.
"""

import re
from datetime import date
from typing import ClassVar

from marshmallow import Schema, fields, validate

from billing.documents import LINE_KINDS
from billing.exports import FORMATS, LANGUAGES
from billing.metrics import METRICS
from portal.billing.documents import hours
from portal.billing.periods import FIRST_YEAR, LAST_YEAR
from portal.core.inputs import MAX_ID, MAX_PAGE

MONTH_PATTERN = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
MAX_LINES_PER_PAGE = 500


class Month(fields.String):
    """A month as "YYYY-MM": loaded as the date of its first day, dumped back as text."""

    default_error_messages: ClassVar[dict] = {
        "month": f"A month as YYYY-MM, from {FIRST_YEAR}-01 to {LAST_YEAR}-12.",
    }

    def __init__(self, **kwargs):
        metadata = {"pattern": MONTH_PATTERN.pattern, "example": "2026-10"}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value:%Y-%m}"

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        match = MONTH_PATTERN.fullmatch(text)
        if match is None or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
            raise self.make_error("month")
        return date(int(match.group(1)), int(match.group(2)), 1)


def load_month(text):
    """A month from a URL path; raises marshmallow's ValidationError if it is not one."""
    return Month().deserialize(text)


def _decimal(places, example, description, **kwargs):
    return fields.Decimal(
        places=places,
        as_string=True,
        metadata={
            "type": "string",
            "format": "decimal",
            "example": example,
            "description": description,
        },
        **kwargs,
    )


def money(description="yuan, 2 places", **kwargs):
    return _decimal(2, "1234.50", description, **kwargs)


def rate(description="yuan per unit-hour, 6 places", **kwargs):
    return _decimal(6, "0.000700", description, **kwargs)


def _unit_hours(quantity):
    value = hours(quantity)
    return None if value is None else str(value)


def unit_hours(key):
    """Unit-seconds (an int under `key`) as unit-hours: a string with 4 places."""
    return fields.Function(
        lambda obj: _unit_hours(obj[key] if isinstance(obj, dict) else getattr(obj, key)),
        metadata={
            "type": "string",
            "format": "decimal",
            "example": "384.0000",
            "description": "unit-hours, 4 places; quantity_seconds is exact",
        },
        allow_none=True,
    )


def username_of(name, description=None):
    """The username of the user under `name`; null (and present) when there is none."""
    metadata = {"type": "string"} | ({"description": description} if description else {})
    return fields.Function(
        lambda obj: getattr(getattr(obj, name), "username", None),
        allow_none=True,
        metadata=metadata,
    )


def _unit(metric):
    found = METRICS.get(metric)
    return found.unit if found else None


# -- prices -------------------------------------------------------------------------------


class PriceListOut(Schema):
    version = fields.String()
    revision = fields.Integer()
    effective_from = fields.AwareDateTime()
    digest = fields.String(metadata={"description": "sha256 of the definition"})
    note = fields.String(allow_none=True, metadata={"description": "why it was loaded"})
    definition = fields.Dict(
        metadata={"description": "rates (strings of yuan per unit-hour), discounts, fees"}
    )


class PriceListRevisionOut(PriceListOut):
    loaded_at = fields.AwareDateTime()
    loaded_by = username_of("loaded_by", "null if loaded from the command line")
    superseded_at = fields.AwareDateTime(allow_none=True)
    withdrawn_at = fields.AwareDateTime(allow_none=True)
    in_force = fields.Function(
        lambda row: row.superseded_at is None and row.withdrawn_at is None,
        metadata={"type": "boolean"},
    )


# -- usage --------------------------------------------------------------------------------


class UsageArgs(Schema):
    month = Month(required=True)
    agency_id = fields.Integer(
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "this agency and the agencies under it"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=200, validate=validate.Range(1, MAX_LINES_PER_PAGE))


class UsageRowOut(Schema):
    resource_id = fields.Integer()
    resource_name = fields.String()
    agency_id = fields.Integer()
    metric = fields.String()
    dimension = fields.String(metadata={"description": "flavour or engine; '' if none"})
    sla_tier = fields.String()
    unit = fields.Function(lambda row: _unit(row["metric"]), metadata={"type": "string"})
    quantity = unit_hours("quantity")
    quantity_seconds = fields.Integer(attribute="quantity")


class UsagePage(Schema):
    month = Month()
    agency_id = fields.Integer(allow_none=True)
    total = fields.Integer(metadata={"description": "rows in all pages"})
    page = fields.Integer()
    per_page = fields.Integer()
    usage = fields.List(fields.Nested(UsageRowOut))


# -- bills --------------------------------------------------------------------------------


class MonthsOut(Schema):
    months = fields.List(Month(), metadata={"description": "months with bills, newest first"})


class PriceListRef(Schema):
    version = fields.String()
    revision = fields.Integer()
    digest = fields.String()


class BillOut(Schema):
    id = fields.Integer()
    number = fields.String()
    agency_id = fields.Integer()
    agency_code = fields.String(attribute="agency.code")
    month = Month()
    revision = fields.Integer()
    status = fields.String(metadata={"description": "draft, under_review, finalized, superseded"})
    version = fields.Integer(metadata={"description": "send back as expected_version"})
    usage = money()
    service_fee = money()
    adjustments = money()
    credits = money()
    total = money()
    generated_at = fields.AwareDateTime(allow_none=True)
    finalized_by = username_of("finalized_by")
    finalized_at = fields.AwareDateTime(allow_none=True)
    content_hash = fields.String(allow_none=True, metadata={"description": "once finalized"})
    supersedes_id = fields.Integer(allow_none=True)


class BillListArgs(Schema):
    month = Month(required=True)


class BillList(Schema):
    month = Month()
    total = money("the bills' total")
    bills = fields.List(fields.Nested(BillOut))


class LineArgs(Schema):
    kind = fields.List(
        fields.String(validate=validate.OneOf(LINE_KINDS)),
        metadata={"description": "only these kinds (repeat the parameter)"},
    )
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=200, validate=validate.Range(1, MAX_LINES_PER_PAGE))


class LineOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": ", ".join(LINE_KINDS)})
    resource_id = fields.Integer(allow_none=True)
    metric = fields.String(allow_none=True)
    dimension = fields.String()
    sla_tier = fields.String(allow_none=True)
    period_start = fields.AwareDateTime()
    period_end = fields.AwareDateTime()
    unit = fields.Function(lambda line: _unit(line.metric), metadata={"type": "string"})
    quantity = unit_hours("quantity")
    quantity_seconds = fields.Integer(attribute="quantity", allow_none=True)
    rate = rate("yuan per unit-hour; for the service fee, its share of usage", allow_none=True)
    amount = money()
    reason = fields.String(allow_none=True)
    created_by = username_of("created_by", "who added an adjustment")
    created_at = fields.AwareDateTime()


class LinePage(Schema):
    total = fields.Integer(metadata={"description": "lines in all pages"})
    page = fields.Integer()
    per_page = fields.Integer()
    lines = fields.List(fields.Nested(LineOut))


class BillDetailOut(BillOut):
    subtree_total = money("this bill and the current bills of the agencies under it")
    price_lists = fields.List(fields.Nested(PriceListRef))
    lines = fields.Nested(LinePage)


class ExportArgs(Schema):
    fmt = fields.String(data_key="format", required=True, validate=validate.OneOf(FORMATS))
    language = fields.String(
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "the request's language (Accept-Language) if not given"},
    )


class GenerateIn(Schema):
    month = Month(required=True)
    agency_codes = fields.List(
        fields.String(validate=validate.Length(1, 40)),
        validate=validate.Length(1, 10_000),
        metadata={"description": "only these agencies' bills (default: every agency)"},
    )


class GenerateOut(Schema):
    month = Month()
    created = fields.Integer()
    regenerated = fields.Integer(metadata={"description": "drafts made again"})
    skipped = fields.Integer(metadata={"description": "under review or finalized: untouched"})
    bills = fields.List(fields.Nested(BillOut), metadata={"description": "the drafts made"})


class BillActionIn(Schema):
    expected_version = fields.Integer(
        validate=validate.Range(0, MAX_ID), metadata={"description": "refuse if the bill changed"}
    )


class ReasonIn(BillActionIn):
    reason = fields.String(required=True, metadata={"description": "up to 1,000 characters"})


class AdjustmentIn(ReasonIn):
    amount = fields.String(
        required=True,
        validate=validate.Length(1, 40),
        metadata={"description": "yuan as a string, 2 places; negative for a discount"},
    )
    resource_id = fields.Integer(
        allow_none=True,
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "the resource it concerns, one of the bill's agency"},
    )


# -- running costs and budgets -----------------------------------------------------------


class RunningCostOut(Schema):
    agency_id = fields.Integer()
    month = Month()
    usage = money("the agency's own resources, this month so far")
    service_fee = money()
    total = money()
    metered_until = fields.AwareDateTime(allow_none=True)
    projected = money("the month's total if it goes on as it went")


class BudgetOut(Schema):
    agency_id = fields.Integer(attribute="agency.id")
    year = fields.Integer()
    budget = money("for the agency's whole subtree; null if none is set", allow_none=True)
    spent = money("the subtree's bills of the year, and its usage so far where no bill is")
    share = _decimal(1, "42.5", "percent of the budget spent; null without one", allow_none=True)


class BudgetIn(Schema):
    amount = fields.String(
        required=True,
        validate=validate.Length(1, 40),
        metadata={"description": "yuan as a string, 2 places", "example": "120000.00"},
    )


class OpsBudgetArgs(Schema):
    year = fields.Integer(required=True, validate=validate.Range(FIRST_YEAR + 1, LAST_YEAR))


class OpsBudgetRowOut(Schema):
    domain = fields.String()
    asset_value = _decimal(2, "1250000.00", "yuan", attribute="estimate.asset_value")
    asset_amount = _decimal(
        2, "98000.00", "the asset-proportion coefficient method, yuan",
        attribute="estimate.asset_amount",
    )  # fmt: skip
    hours = _decimal(2, "420.00", "workload hours", attribute="estimate.hours")
    workload_amount = _decimal(
        2, "109200.00", "the workload method, yuan", attribute="estimate.workload_amount"
    )
    units = fields.Dict(metadata={"description": "asset class → unit → quantity held now"})
    work = fields.Dict(metadata={"description": "last year's incidents, runs, resources"})
