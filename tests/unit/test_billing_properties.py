"""Property tests over random lifecycles and a price change inside the month: the bill
bills exactly the time each resource spent in a billable state, each bill's total is
the sum of its lines, the month is the sum of its bills, nothing is counted twice, and
making the bills again gives the same bills."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from billing.metrics import accrual_rates
from billing.prices import Rates
from portal.billing.models import (
    Bill,
    BillLine,
    MeteredHour,
    RolledDay,
    UsageDay,
    UsageRecord,
)
from portal.billing.prices import current_price_lists, sync_price_lists
from portal.billing.service import current_bills, generate_bills
from portal.inventory.models import LifecycleEvent, Resource
from portal.orders.models import Order
from tests.billing_factories import (
    AFTER,
    OCTOBER,
    OCTOBER_END,
    OCTOBER_LIST,
    make_resource,
    meter,
    write_price_lists,
)

START = datetime(2026, 10, 30, tzinfo=UTC)  # 40 hours before the month ends
CHANGE = datetime(2026, 10, 30, 16, tzinfo=UTC)  # T3 takes over: 2026-10-31T00:00+08:00
LATE_LIST = (
    OCTOBER_LIST.replace('"T2"', '"T3"')
    .replace("2026-10-16T00:00:00+08:00", "2026-10-31T00:00:00+08:00")
    .replace('"0.0007"', '"0.0009"')
    .replace('standard: "0.18"', 'standard: "0.21"')
)
SIZES = {
    "vm": st.builds(
        lambda flavour, disk: {"cloud_flavor": flavour, "root_disk_gb": disk},
        st.sampled_from(["jy.small", "jy.medium", "jy.large"]),
        st.integers(20, 200),
    ),
    "volume": st.builds(lambda size: {"size_gb": size}, st.integers(1, 2000)),
    "postgresql": st.builds(lambda size: {"storage_gb": size}, st.integers(5, 1000)),
}
STATES = st.sampled_from(["active", "stopped", "active", "missing", "deleted"])


@st.composite
def resource_histories(draw):
    item = draw(st.sampled_from(sorted(SIZES)))
    offsets = sorted(
        draw(st.lists(st.integers(0, 40 * 3600 - 1), min_size=1, max_size=6, unique=True))
    )
    history = []
    for index, offset in enumerate(offsets):
        state = "active" if index == 0 else draw(STATES)
        at = START + timedelta(seconds=offset, microseconds=draw(st.integers(0, 999_999)))
        history.append((at, "created" if index == 0 else "changed", state, draw(SIZES[item])))
        if state == "deleted":
            break
    return (
        draw(st.sampled_from(["a", "b", "c", "t"])),
        item,
        draw(st.sampled_from(["standard", "important", "critical"])),
        history,
    )


def line_rows(session, bill_id):
    return session.execute(
        select(
            BillLine.kind,
            BillLine.resource_id,
            BillLine.metric,
            BillLine.dimension,
            BillLine.period_start,
            BillLine.quantity,
            BillLine.rate,
            BillLine.amount,
        )
        .where(BillLine.bill_id == bill_id)
        .order_by(BillLine.id)
    ).all()


def expected_usage(session, world, resources):
    """Each agency's usage priced from the events directly, the bill's way: per resource,
    metric and price period, rounded half up to the fen."""
    rates = {row.version: Rates(row.definition) for row in current_price_lists(session)}
    kinds = {"a": "bureau", "b": "bureau", "c": "community", "t": "town"}
    totals = defaultdict(Decimal)
    for code, item, tier, history in resources:
        kind = "vm" if item == "vm" else ("volume" if item == "volume" else "database")
        seconds = defaultdict(int)  # (metric, dimension, version) → unit-seconds
        marks = [*(at.replace(microsecond=0) for at, *_ in history), OCTOBER_END]
        for (_at, _kind, state, size), begin, end in zip(history, marks, marks[1:], strict=False):
            for (metric, dimension), units in accrual_rates(kind, item, state, size).items():
                for version, piece_start, piece_end in (
                    ("T2", START, CHANGE),
                    ("T3", CHANGE, OCTOBER_END),
                ):
                    overlap = (min(end, piece_end) - max(begin, piece_start)).total_seconds()
                    if overlap > 0:
                        seconds[metric, dimension, version] += units * int(overlap)
        for (metric, dimension, version), quantity in seconds.items():
            rate = rates[version].rate(metric, dimension, tier, kinds[code], code)
            amount = (Decimal(quantity) * rate / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP)
            totals[world.agencies[code]] += amount
    return totals


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(resource_histories(), min_size=1, max_size=5), st.booleans())
def test_bills_bill_exactly_the_billable_time(session, user, world, tmp_path, resources, rolled):
    prices = tmp_path / "prices"
    if not prices.exists():
        sync_price_lists(session, None, write_price_lists(prices, LATE_LIST))
        session.commit()  # kept for every example; each example's own rows are removed
    try:
        for code, item, tier, history in resources:
            make_resource(session, world.agencies[code], item, history, sla_tier=tier)
        meter(session, START, OCTOBER_END, roll_up=rolled)  # days from usage_days, or hours
        finance = user("finance")
        generate_bills(session, finance, OCTOBER, now=AFTER)
        bills = current_bills(session, OCTOBER)
        lines = {bill.id: line_rows(session, bill.id) for bill in bills}
        expected = expected_usage(session, world, resources)
        for bill in bills:
            assert bill.total == sum((line.amount for line in lines[bill.id]), Decimal(0))
            assert bill.usage == expected.get(bill.agency_id, Decimal(0))
            keys = [line[:5] for line in lines[bill.id] if line.kind == "usage"]
            assert len(keys) == len(set(keys))  # nothing counted twice
        month_total = sum((bill.total for bill in bills), Decimal(0))
        assert month_total == sum(
            session.scalars(
                select(BillLine.amount).where(BillLine.bill_id.in_([bill.id for bill in bills]))
            ),
            Decimal(0),
        )
        totals = {bill.id: bill.total for bill in bills}
        generate_bills(session, finance, OCTOBER, now=AFTER)
        for bill in current_bills(session, OCTOBER):
            again = line_rows(session, bill.id)
            assert again == lines[bill.id] and bill.total == totals[bill.id]
    finally:
        session.rollback()
        for model in (
            BillLine,
            Bill,
            UsageDay,
            RolledDay,
            UsageRecord,
            MeteredHour,
            LifecycleEvent,
        ):
            session.execute(delete(model))
        session.execute(delete(Resource))
        session.execute(delete(Order))
        session.commit()
