"""SLA clocks that only run in service hours.

A clock counts the service time of a ``ServiceCalendar`` (see ``service_calendar``) since it
started, against a target such as "4 service hours", and stands still while the incident waits
on the customer. Pure standard-library math, so the incidents domain, reports and tests share
one definition of "how long has this been open". As on the calendar, durations are whole
seconds, rounded down, and instants are returned in UTC.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.incidents.service_calendar import Interval, ServiceCalendar, as_utc, whole_seconds

# A deadline lies after every closed pause, so pauses are clipped to a span with no end.
_LATEST = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Pause:
    """A stretch spent waiting on the customer, when the clock stops; ``ended=None``: ongoing."""

    started: datetime
    ended: datetime | None = None

    def __post_init__(self) -> None:
        started = as_utc(self.started, "pause start")
        if self.ended is not None and as_utc(self.ended, "pause end") < started:
            raise ValueError("a pause cannot end before it starts")


@dataclass(frozen=True)
class ClockState:
    """An SLA clock as shown to people at one moment.

    ``breached`` means strictly over target: finishing exactly on the target meets it.
    ``fraction`` is for display only; decisions use the whole seconds.
    """

    elapsed: int
    target: int
    remaining: int
    fraction: float
    breached: bool
    warning: bool
    paused: bool
    due: datetime | None


def elapsed(
    calendar: ServiceCalendar, started: datetime, now: datetime, pauses: Iterable[Pause] = ()
) -> int:
    """Whole seconds the clock has run: service time in ``[started, now)`` outside pauses."""
    started, now = as_utc(started, "started"), as_utc(now, "now")
    return whole_seconds(_running_time(calendar, started, now, tuple(pauses)))


def due(
    calendar: ServiceCalendar,
    started: datetime,
    target_seconds: int,
    pauses: Iterable[Pause] = (),
) -> datetime | None:
    """When the clock reaches the target, in UTC; None while a pause is open.

    Closed pauses push the deadline out by the service time they covered; an open one stops
    the clock, so there is no deadline until the customer answers.
    """
    _check_target(target_seconds, minimum=0)
    started = as_utc(started, "started")
    pauses = tuple(pauses)
    if any(pause.ended is None for pause in pauses):
        return None
    cursor, remaining = started, timedelta(seconds=target_seconds)
    for paused_from, paused_until in _merged_pauses(pauses, started, _LATEST):
        running = calendar.service_time(cursor, paused_from)
        if running >= remaining:
            break
        remaining -= running
        cursor = paused_until
    return calendar.advance(cursor, remaining)


def state(
    calendar: ServiceCalendar,
    started: datetime,
    target_seconds: int,
    now: datetime,
    pauses: Iterable[Pause] = (),
    *,
    warn_at: float = 0.8,
) -> ClockState:
    """The clock at ``now``; pass the pauses as known at ``now``."""
    _check_target(target_seconds, minimum=1)
    if not 0 < warn_at <= 1:
        raise ValueError(f"warn_at must be a fraction in (0, 1], got {warn_at!r}")
    pauses = tuple(pauses)
    now_utc = as_utc(now, "now")
    spent = elapsed(calendar, started, now_utc, pauses)
    fraction = spent / target_seconds
    breached = spent > target_seconds
    return ClockState(
        elapsed=spent,
        target=target_seconds,
        remaining=target_seconds - spent,
        fraction=fraction,
        breached=breached,
        warning=fraction >= warn_at and not breached,
        paused=any(_covers(pause, now_utc) for pause in pauses),
        due=due(calendar, started, target_seconds, pauses),
    )


def _running_time(
    calendar: ServiceCalendar, started: datetime, now: datetime, pauses: tuple[Pause, ...]
) -> timedelta:
    total = calendar.service_time(started, now)
    for paused_from, paused_until in _merged_pauses(pauses, started, now):
        total -= calendar.service_time(paused_from, paused_until)
    return total


def _merged_pauses(pauses: tuple[Pause, ...], since: datetime, until: datetime) -> list[Interval]:
    """Pauses clipped to ``[since, until)`` and merged, so overlaps are not counted twice."""
    spans = sorted(
        (
            max(as_utc(pause.started, "pause start"), since),
            until if pause.ended is None else min(as_utc(pause.ended, "pause end"), until),
        )
        for pause in pauses
    )
    merged: list[Interval] = []
    for lo, hi in spans:
        if lo >= hi:
            continue
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _covers(pause: Pause, instant: datetime) -> bool:
    if as_utc(pause.started, "pause start") > instant:
        return False
    return pause.ended is None or as_utc(pause.ended, "pause end") > instant


def _check_target(target_seconds: int, *, minimum: int) -> None:
    if (
        isinstance(target_seconds, bool)
        or not isinstance(target_seconds, int)
        or target_seconds < minimum
    ):
        raise ValueError(
            f"target_seconds must be a whole number >= {minimum}, got {target_seconds!r}"
        )
