"""What things cost before a bill exists: the month so far and its projection, one
resource's cost, and an order's price before it is submitted.

The rounding is the bill's (each resource, metric and price period rounds once, half
up to the fen), so the running cost of a month equals its bill once it is made.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, func, or_, select, union_all

from billing.metrics import SECONDS_PER_HOUR, accrual_rates
from billing.prices import NoPriceInEffect, Rates, periods
from portal.billing.models import MeteredHour, UsageDay, UsageRecord
from portal.billing.periods import HOUR, month_bounds, month_of
from portal.billing.prices import price_definitions_in_force
from portal.billing.rollup import rolled_and_raw_spans
from portal.core.db import utcnow

CENT = Decimal("0.01")
# The hours of an average month, for an order's monthly price (8,760 / 12).
HOURS_PER_MONTH = 730
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class RatedUsage:
    resource_id: int
    metric: str
    dimension: str
    sla_tier: str
    period_start: object
    quantity: int
    rate: Decimal | None
    amount: Decimal


@dataclass(frozen=True)
class RunningCost:
    usage: Decimal
    service_fee: Decimal
    metered_until: object  # the end of the last metered hour, or None
    projected: Decimal  # the month's total if it goes on as it went

    @property
    def total(self):
        return self.usage + self.service_fee


def line_amount(quantity, rate):
    return (Decimal(quantity) * rate / SECONDS_PER_HOUR).quantize(CENT, rounding=ROUND_HALF_UP)


def rated_usage(session, agency, start, end, *, resource_id=None):
    """The agency's own usage in [start, end) priced like its bill would be, and the
    price periods: ([RatedUsage], [(start, end, definition)])."""
    rated, pieces = rated_usage_of(session, [agency], start, end, resource_id=resource_id)
    return rated.get(agency.id, []), pieces


def rated_usage_of(session, agencies, start, end, *, resource_id=None):
    """rated_usage for several agencies at once, one query per price period, reading
    rolled-up days from usage_days as the bill run does (a year's budget check sums
    ~365 rows per resource and metric instead of ~8,760):
    ({agency id: [RatedUsage]}, [(start, end, definition)])."""
    try:
        pieces = periods(price_definitions_in_force(session), start, end)
    except NoPriceInEffect:
        return {}, []
    rolled, raw = rolled_and_raw_spans(session, start, end, pieces)
    by_id = {agency.id: agency for agency in agencies}
    rated = {}
    for piece_start, piece_end, definition in pieces:
        rates = Rates(definition)
        query = _summed_usage(
            list(by_id),
            _clipped(rolled, piece_start, piece_end),
            _clipped(raw, piece_start, piece_end),
            resource_id,
        )
        for agency_id, resource, metric, dimension, tier, quantity in session.execute(query):
            agency = by_id[agency_id]
            rate = rates.rate(metric, dimension, tier, agency.kind, agency.code)
            quantity = int(quantity)
            amount = line_amount(quantity, rate) if rate is not None else Decimal(0)
            rated.setdefault(agency_id, []).append(
                RatedUsage(resource, metric, dimension, tier, piece_start, quantity, rate, amount)
            )
    return rated, pieces


def _clipped(spans, start, end):
    """The parts of `spans` inside [start, end)."""
    inside = ((max(span_start, start), min(span_end, end)) for span_start, span_end in spans)
    return [(span_start, span_end) for span_start, span_end in inside if span_start < span_end]


def _summed_usage(agency_ids, rolled, raw, resource_id):
    """Usage per agency, resource, metric, dimension and tier: the rolled spans from
    usage_days, the raw ones from usage_records."""
    branches = []
    for table, at, spans in (
        (UsageDay, UsageDay.day_start, rolled),
        (UsageRecord, UsageRecord.hour, raw),
    ):
        if not spans:
            continue
        branch = select(
            table.agency_id,
            table.resource_id,
            table.metric,
            table.dimension,
            table.sla_tier,
            table.quantity,
        ).where(
            table.agency_id.in_(agency_ids),
            or_(*(and_(at >= span_start, at < span_end) for span_start, span_end in spans)),
        )
        if resource_id is not None:
            branch = branch.where(table.resource_id == resource_id)
        branches.append(branch)
    rows = union_all(*branches).subquery() if len(branches) > 1 else branches[0].subquery()
    groups = (rows.c.agency_id, rows.c.resource_id, rows.c.metric, rows.c.dimension)
    groups += (rows.c.sla_tier,)
    return select(*groups, func.sum(rows.c.quantity)).group_by(*groups)


def service_fees(agency, rated, pieces):
    """The operations service fee on rated usage, per price period like the bill."""
    fee = Decimal(0)
    for piece_start, _end, definition in pieces:
        base = sum((line.amount for line in rated if line.period_start == piece_start), Decimal(0))
        share = Rates(definition).service_fee(agency.outsourcing_mode)
        fee += (base * share).quantize(CENT, rounding=ROUND_HALF_UP)
    return fee


def running_cost(session, agency, now=None):
    """The current month so far for the agency's own resources, and its projection."""
    now = now or utcnow()
    start, end = month_bounds(month_of(now))
    rated, pieces = rated_usage(session, agency, start, end)
    usage = sum((line.amount for line in rated), Decimal(0))
    fee = service_fees(agency, rated, pieces)
    last = session.scalar(
        select(func.max(MeteredHour.hour)).where(MeteredHour.hour >= start, MeteredHour.hour < end)
    )
    metered_until = last + HOUR if last is not None else None
    projected = usage + fee
    if metered_until is not None and metered_until > start:
        elapsed = Decimal((metered_until - start).total_seconds())
        projected = ((usage + fee) * Decimal((end - start).total_seconds()) / elapsed).quantize(
            CENT, rounding=ROUND_HALF_UP
        )
    return RunningCost(usage, fee, metered_until, projected)


def resource_cost(session, resource, now=None):
    """A resource's usage cost so far this month (before the service fee)."""
    now = now or utcnow()
    start, end = month_bounds(month_of(now))
    rated, _pieces = rated_usage(session, resource.agency, start, end, resource_id=resource.id)
    return sum((line.amount for line in rated), Decimal(0)), rated


def order_price(session, agency, item_key, kind, size, sla_tier, now=None):
    """What a resource of this size costs a month of 730 hours at today's prices,
    with the operations service fee; None when no price list prices it."""
    now = now or utcnow()
    lists = price_definitions_in_force(session)
    try:
        ((_start, _end, definition),) = periods(lists, now, now + _SECOND)
    except NoPriceInEffect:
        return None
    rates = Rates(definition)
    usage = Decimal(0)
    for (metric, dimension), units in accrual_rates(kind, item_key, "active", size).items():
        rate = rates.rate(metric, dimension, sla_tier, agency.kind, agency.code)
        if rate is None:
            return None
        usage += Decimal(units) * HOURS_PER_MONTH * rate
    usage = usage.quantize(CENT, rounding=ROUND_HALF_UP)
    fee = (usage * rates.service_fee(agency.outsourcing_mode)).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    return usage + fee
