"""Daily rollups of usage: once every hour of a billing-zone day is metered, the day's
usage records are summed per resource, metric, dimension, SLA tier and agency into
usage_days, in one INSERT … SELECT. Rating then reads whole days from there, and from
usage_records only the hours of days not rolled up yet or cut by a price change.
"""

from collections import Counter

from sqlalchemy import delete, func, insert, literal, select

from portal.billing.models import MeteredHour, RolledDay, UsageDay, UsageRecord
from portal.billing.periods import HOUR, day_end, day_start, floor_hour
from portal.core.db import UTCDateTime, utcnow
from portal.inventory.models import LifecycleEvent

_GROUPS = (
    UsageRecord.resource_id,
    UsageRecord.metric,
    UsageRecord.dimension,
    UsageRecord.sla_tier,
    UsageRecord.agency_id,
)


def roll_up_day(session, start, *, now=None):
    """(Re)build the usage_days of the day that starts at `start`; returns how many
    rows it has. Only flushes."""
    forget_day(session, start)
    summed = (
        select(literal(start, UTCDateTime), *_GROUPS, func.sum(UsageRecord.quantity))
        .where(UsageRecord.hour >= start, UsageRecord.hour < day_end(start))
        .group_by(*_GROUPS)
    )
    columns = ["day_start", "resource_id", "metric", "dimension", "sla_tier", "agency_id"]
    session.execute(insert(UsageDay).from_select([*columns, "quantity"], summed))
    # Counted: with psycopg, SQLAlchemy reports a rowcount of -1 for INSERT … SELECT.
    written = session.scalar(select(func.count()).where(UsageDay.day_start == start))
    session.add(RolledDay(day_start=start, rolled_at=now or utcnow(), records=written))
    session.flush()
    return written


def forget_day(session, start):
    """Drop the rollup of a day whose hours are about to change. Only flushes."""
    session.execute(delete(UsageDay).where(UsageDay.day_start == start))
    session.execute(delete(RolledDay).where(RolledDay.day_start == start))
    session.flush()


def rolled_and_raw_spans(session, start, end, pieces):
    """The [from, to) spans of [start, end) to read from usage_days, and those to read
    from usage_records: a rolled-up day is read whole unless a change of price
    (`pieces`: the price periods, as billing.prices.periods gives them) falls inside it.
    `start` is the start of a billing-zone day."""
    cuts = [piece_start for piece_start, _end, _definition in pieces[1:]]
    rolled_days = set(
        session.scalars(
            select(RolledDay.day_start).where(
                RolledDay.day_start >= start, RolledDay.day_start < end
            )
        )
    )
    rolled, raw = [], []
    day = start
    while day < end:
        whole_day = day_end(day)
        following = min(whole_day, end)
        whole = day in rolled_days and following == whole_day
        whole = whole and not any(day < cut < following for cut in cuts)
        spans = rolled if whole else raw
        if spans and spans[-1][1] == day:
            spans[-1] = (spans[-1][0], following)
        else:
            spans.append((day, following))
        day = following
    return rolled, raw


def pending_days(session, now=None):
    """The starts of the days that have ended and are metered but not rolled up,
    oldest first. A day counts from the first lifecycle event's hour, as metering does."""
    first = session.scalar(select(func.min(LifecycleEvent.occurred_at)))
    if first is None:
        return []
    first_hour = floor_hour(first)
    ended = floor_hour(now or utcnow())  # the end of the last hour that has ended
    rolled = set(session.scalars(select(RolledDay.day_start)))
    days = []
    start = day_start(first)
    while (end := day_end(start)) <= ended:
        if start not in rolled:
            days.append(start)
        start = end
    if not days:
        return []
    metered = Counter(
        day_start(hour)
        for hour in session.scalars(
            select(MeteredHour.hour).where(
                MeteredHour.hour >= max(days[0], first_hour),
                MeteredHour.hour < day_end(days[-1]),
            )
        )
    )
    return [
        start
        for start in days
        if metered[start] == (day_end(start) - max(start, first_hour)) // HOUR
    ]
