"""Rating: turning a month's usage records into bill lines, in the database.

Each bill gets its rates resolved once per price period (the agency's kind and
negotiated terms applied: bill_rates); then one INSERT … SELECT sums the month's usage
per resource, metric and period and prices it, so no usage row passes through Python
and memory stays flat however many rows there are. It reads the days that are rolled
up (portal.billing.rollup) from usage_days and only the other hours from usage_records.
Amounts round once, at the line, half up to the fen: amount = quantity (unit-seconds) / 3600 × rate.
"""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, func, insert, select, text

from billing.prices import NoPriceInEffect, Rates, periods
from portal.billing.models import BillLine, BillRate, MeteredHour
from portal.billing.periods import BILLING_ZONE, HOUR, floor_hour, month_bounds
from portal.billing.prices import current_price_lists
from portal.billing.rollup import rolled_and_raw_spans
from portal.core.db import UTCDateTime, utcnow
from portal.core.errors import Conflict
from portal.incidents.availability import outages
from portal.inventory.models import LifecycleEvent

CENT = Decimal("0.01")
# quantity × rate (in millionths of a yuan) / 3600 s / 10^6 × 100 fen = … / 36,000,000
FEN_DIVISOR = 36_000_000
RATED_KINDS = ("usage", "service_fee", "sla_credit")


def rate_bills(session, bills, *, now=None):
    """(Re)rate draft bills of one month: replace their usage and service fee lines,
    keep their adjustments and credits, refresh their totals. Only flushes."""
    if not bills:
        return
    month = bills[0].month
    start, end = month_bounds(month)
    now = now or utcnow()
    if end > now:
        raise Conflict(
            _l(
                "%(month)s has not ended: its bills can be made from %(day)s.",
                month=f"{month:%Y-%m}",
                day=f"{end.astimezone(BILLING_ZONE):%Y-%m-%d}",
            )
        )
    _require_metered(session, start, end)
    price_lists = current_price_lists(session)
    try:
        pieces = periods([row.definition for row in price_lists], start, end)
    except NoPriceInEffect as gap:
        raise Conflict(
            _l(
                "No price list is in effect from %(start)s: load one first.",
                start=f"{gap.start.astimezone(BILLING_ZONE):%Y-%m-%d %H:%M}",
            )
        ) from None
    bill_ids = [bill.id for bill in bills]
    session.execute(
        delete(BillLine).where(BillLine.bill_id.in_(bill_ids), BillLine.kind.in_(RATED_KINDS))
    )
    session.execute(delete(BillRate).where(BillRate.bill_id.in_(bill_ids)))
    _write_rates(session, bills, pieces)
    _write_usage_lines(session, bill_ids, start, end, pieces, now)
    _refuse_unpriced(session, bill_ids)
    _write_service_fees(session, bills, pieces, now)
    _write_credits(session, bills, month, start, end, now)
    used = [_price_list_ref(row) for row in price_lists if _in_pieces(row, pieces)]
    for bill in bills:
        bill.price_lists = used
        bill.generated_at = now
    refresh_totals(session, bills)


def refresh_totals(session, bills):
    sums = defaultdict(lambda: defaultdict(lambda: Decimal(0)))
    for bill_id, kind, amount in session.execute(
        select(BillLine.bill_id, BillLine.kind, func.sum(BillLine.amount))
        .where(BillLine.bill_id.in_([bill.id for bill in bills]))
        .group_by(BillLine.bill_id, BillLine.kind)
    ):
        sums[bill_id][kind] = amount  # sum() keeps the column's type: Decimal yuan
    for bill in bills:
        by_kind = sums[bill.id]
        bill.usage = by_kind["usage"]
        bill.service_fee = by_kind["service_fee"]
        bill.adjustments = by_kind["adjustment"]
        bill.credits = by_kind["sla_credit"]
        bill.total = bill.usage + bill.service_fee + bill.adjustments + bill.credits
    session.flush()


def _require_metered(session, start, end):
    first = session.scalar(select(func.min(LifecycleEvent.occurred_at)))
    if first is None or first >= end:
        return
    begin = max(start, floor_hour(first))
    expected = int((end - begin) / HOUR)
    metered = session.scalar(
        select(func.count()).where(MeteredHour.hour >= begin, MeteredHour.hour < end)
    )
    if metered < expected:
        raise Conflict(
            _l(
                "%(count)s hour(s) of the month are not metered yet: run "
                "`flask --app portal billing meter --from %(start)s --to %(end)s` first.",
                count=expected - metered,
                start=f"{begin:%Y-%m-%dT%H:%MZ}",
                end=f"{end:%Y-%m-%dT%H:%MZ}",
            )
        )


def _write_rates(session, bills, pieces):
    rows = []
    for piece_start, piece_end, definition in pieces:
        rates = Rates(definition)
        keys = sorted(rates.keys())
        for bill in bills:
            agency = bill.agency
            for metric, dimension, tier in keys:
                rate = rates.rate(metric, dimension, tier, agency.kind, agency.code)
                if rate is not None:
                    rows.append(
                        {
                            "bill_id": bill.id,
                            "period_start": piece_start,
                            "period_end": piece_end,
                            "metric": metric,
                            "dimension": dimension,
                            "sla_tier": tier,
                            "rate": rate,
                        }
                    )
    if rows:
        session.execute(insert(BillRate), rows)


def _write_usage_lines(session, bill_ids, start, end, pieces, now):
    rolled, raw = rolled_and_raw_spans(session, start, end, pieces)
    params = {"now": now, "bill_ids": bill_ids}
    # The price period of a row, as a CASE over the (few) change times of the month.
    starts, ends = [], []
    for index, (piece_start, piece_end, _definition) in enumerate(pieces):
        params[f"ps{index}"], params[f"pe{index}"] = piece_start, piece_end
        # A WHEN for every piece, the last too (it ends at `end`, after every row read):
        # a CASE needs one, and most months have a single price period.
        condition = f"WHEN {{at}} < :pe{index} THEN"
        starts.append(f"{condition} :ps{index}")
        ends.append(f"{condition} :pe{index}")
    period = "CASE " + " ".join(starts) + " END AS period_start, CASE " + " ".join(ends)
    period += " END AS period_end"
    columns = "{t}.agency_id, {t}.resource_id, {t}.metric, {t}.dimension, {t}.sla_tier"
    agencies = "{t}.agency_id IN (SELECT agency_id FROM bills WHERE id IN :bill_ids)"
    branches = []
    for table, alias, at, spans in (
        ("usage_days", "d", "day_start", rolled),
        ("usage_records", "u", "hour", raw),
    ):
        if not spans:
            continue
        within = []
        for index, (span_start, span_end) in enumerate(spans):
            params[f"{alias}s{index}"], params[f"{alias}e{index}"] = span_start, span_end
            within.append(f"({alias}.{at} >= :{alias}s{index} AND {alias}.{at} < :{alias}e{index})")
        branches.append(
            f"SELECT {columns.format(t=alias)}, {period.format(at=f'{alias}.{at}')}, "  # noqa: S608
            f"{alias}.quantity FROM {table} {alias} "
            f"WHERE ({' OR '.join(within)}) AND {agencies.format(t=alias)}"
        )
    statement = text(
        f"""
        INSERT INTO bill_lines (bill_id, kind, resource_id, metric, dimension, sla_tier,
                                period_start, period_end, quantity, rate, amount, created_at)
        SELECT b.id, 'usage', g.resource_id, g.metric, g.dimension, g.sla_tier,
               g.period_start, g.period_end, g.quantity, COALESCE(r.rate, one.rate),
               COALESCE((g.quantity * COALESCE(r.rate, one.rate) + {FEN_DIVISOR // 2})
                        / {FEN_DIVISOR}, 0), :now
        FROM (
            SELECT x.agency_id, x.resource_id, x.metric, x.dimension, x.sla_tier,
                   x.period_start, x.period_end, CAST(SUM(x.quantity) AS BIGINT) AS quantity
            FROM ({" UNION ALL ".join(branches)}) x
            GROUP BY 1, 2, 3, 4, 5, 6, 7
        ) g
        JOIN bills b ON b.agency_id = g.agency_id AND b.id IN :bill_ids
        LEFT JOIN bill_rates r ON r.bill_id = b.id AND r.period_start = g.period_start
             AND r.metric = g.metric AND r.dimension = g.dimension AND r.sla_tier = g.sla_tier
        -- a dimension the list does not name takes the metric's one rate, if it has one
        -- (a volume's type, when the list prices every type alike): as Rates.rate does
        LEFT JOIN bill_rates one ON one.bill_id = b.id AND one.period_start = g.period_start
             AND one.metric = g.metric AND one.dimension = '' AND one.sla_tier = g.sla_tier
        -- ids in this order: the lines come out the same when the bill is made again
        -- (without it, a GROUP BY's rows come in whatever order the plan gives)
        ORDER BY b.id, g.resource_id, g.metric, g.dimension, g.sla_tier, g.period_start
        """  # noqa: S608 - only placeholders and constants are formatted in
    ).bindparams(
        bindparam("bill_ids", expanding=True),
        *(bindparam(name, type_=UTCDateTime) for name in params if name != "bill_ids"),
    )
    session.execute(statement, params)


def _refuse_unpriced(session, bill_ids):
    unpriced = session.execute(
        select(BillLine.metric, BillLine.dimension, BillLine.sla_tier)
        .where(BillLine.bill_id.in_(bill_ids), BillLine.kind == "usage", BillLine.rate.is_(None))
        .distinct()
        .order_by(BillLine.metric, BillLine.dimension, BillLine.sla_tier)
    ).all()
    if unpriced:
        what = ", ".join(
            f"{metric}{f' [{dimension}]' if dimension else ''} ({tier})"
            for metric, dimension, tier in unpriced
        )
        raise Conflict(
            _l("Usage that no price list prices: %(what)s. Add the rates and try again.", what=what)
        )


def _write_service_fees(session, bills, pieces, now):
    bases = {
        (bill_id, period_start): amount
        for bill_id, period_start, amount in session.execute(
            select(BillLine.bill_id, BillLine.period_start, func.sum(BillLine.amount))
            .where(BillLine.bill_id.in_([bill.id for bill in bills]), BillLine.kind == "usage")
            .group_by(BillLine.bill_id, BillLine.period_start)
        )
    }
    for piece_start, piece_end, definition in pieces:
        rates = Rates(definition)
        for bill in bills:
            base = bases.get((bill.id, piece_start), Decimal(0))
            fee = rates.service_fee(bill.agency.outsourcing_mode)
            amount = (base * fee).quantize(CENT, rounding=ROUND_HALF_UP)
            if amount:
                session.add(
                    BillLine(
                        bill_id=bill.id,
                        kind="service_fee",
                        period_start=piece_start,
                        period_end=piece_end,
                        rate=fee,
                        amount=amount,
                        created_at=now,
                    )
                )
    session.flush()


def _write_credits(session, bills, month, start, end, now):
    """An SLA credit for each resource whose month's availability broke its target: the
    credit rule's share of the resource's usage charge (quantity: its down seconds in
    service time; rate: the share; reason: achieved < target)."""
    by_agency = {bill.agency_id: bill for bill in bills}
    breached = [
        found
        for found in outages(session, month, now=now).values()
        if found.credit_share and found.agency_id in by_agency
    ]
    if not breached:
        return
    charges = dict(
        session.execute(
            select(BillLine.resource_id, func.sum(BillLine.amount))
            .where(
                BillLine.bill_id.in_([bill.id for bill in bills]),
                BillLine.kind == "usage",
                BillLine.resource_id.in_([found.resource_id for found in breached]),
            )
            .group_by(BillLine.resource_id)
        ).all()
    )
    for found in breached:
        charge = charges.get(found.resource_id, Decimal(0))
        amount = -(charge * found.credit_share).quantize(CENT, rounding=ROUND_HALF_UP)
        if amount:
            session.add(
                BillLine(
                    bill_id=by_agency[found.agency_id].id,
                    kind="sla_credit",
                    resource_id=found.resource_id,
                    metric="availability",
                    sla_tier=found.sla_tier,
                    period_start=start,
                    period_end=end,
                    quantity=found.down_seconds,
                    rate=found.credit_share,
                    amount=amount,
                    reason=_credit_reason(found),
                    created_at=now,
                )
            )
    session.flush()


def _credit_reason(found):
    """Language-neutral, as it is stored: the figures, and the contract whose terms set
    the target and the rule."""
    reason = f"{found.achieved}% < {found.target}%"
    return f"{reason} · {found.contract}" if found.contract else reason


def _price_list_ref(row):
    return {"version": row.version, "revision": row.revision, "digest": row.digest}


def _in_pieces(row, pieces):
    return any(definition["version"] == row.version for _s, _e, definition in pieces)
