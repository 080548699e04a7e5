"""Service calendars: what counts as service time.

Response and resolution targets ("4 service hours") count *service time*: the time inside the
calendar's opening hours, skipping public holidays and counting China's make-up working days
(调休). Pure standard-library math, so the SLA clocks, reports and tests share one definition
of it.

Conventions:

- A service window is ``(opens, closes)`` in local wall-clock time, half-open. ``closes ==
  time(0)`` (also spelled ``END_OF_DAY``) means 24:00: a window cannot close at the midnight it
  opens from, so the value is unambiguous and stays a plain ``datetime.time``. Windows do not
  cross midnight; split a night shift into two days' windows.
- An instant is in service when its local wall-clock time lies in a window of its local date,
  like the clock on the office wall: a window inside a DST gap is shorter, a repeated hour is
  served twice. Each local day is converted to UTC on its own, so long spans cost one cached
  step per day, never per hour.
- Durations are whole seconds, rounded down; instants are returned in UTC.

Calendars in their stored form (SLA definitions) are read by ``calendar_spec``; the clocks
that run on a calendar (pauses, elapsed time, deadlines) are in ``clock``.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

END_OF_DAY = time(0)
"""As a window's ``closes``: 24:00, the end of the day (see the module docstring)."""

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ROUND_THE_CLOCK_SPECS = ("24x7", "7x24")

Window = tuple[time, time]
Interval = tuple[datetime, datetime]

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)
WHOLE_DAY: tuple[Window, ...] = ((time(0), END_OF_DAY),)
# Days are memoised per calendar; the cap only guards a calendar kept for years of queries.
_DAY_CACHE_LIMIT = 50_000


@dataclass(frozen=True)
class ServiceCalendar:
    """When the service desk is open, as local weekly hours plus dated exceptions.

    ``weekly`` maps weekday (0 = Monday .. 6 = Sunday) to sorted, non-overlapping windows; a
    missing day has no service. ``holidays`` close a local date; ``workdays`` open one
    (调休) with ``workday_hours``, or Monday's hours when those are empty. ``always`` is 7x24:
    every second counts and the dated exceptions are ignored.
    """

    zone: ZoneInfo
    weekly: Mapping[int, tuple[Window, ...]] = field(hash=False)
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    workday_hours: tuple[Window, ...] = ()
    always: bool = False
    _days: dict[date, tuple[tuple[Interval, ...], timedelta]] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if not isinstance(self.zone, tzinfo):
            raise ValueError(
                f"zone must be a tzinfo such as ZoneInfo('Asia/Shanghai'), got {self.zone!r}"
            )
        weekly: dict[int, tuple[Window, ...]] = {}
        for weekday, windows in self.weekly.items():
            if weekday not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
            weekly[weekday] = _checked_windows(windows, DAY_NAMES[weekday])
        holidays = _checked_dates(self.holidays, "holidays")
        workdays = _checked_dates(self.workdays, "workdays")
        if clash := holidays & workdays:
            listed = ", ".join(sorted(day.isoformat() for day in clash))
            raise ValueError(f"dates cannot be both holidays and make-up workdays: {listed}")
        workday_hours = _checked_windows(self.workday_hours, "workday hours")
        if not self.always:
            if not any(weekly.values()):
                raise ValueError("a calendar needs service hours on some weekday (or always=True)")
            if workdays and not (workday_hours or weekly.get(0)):
                raise ValueError("make-up workdays need workday_hours when Monday has no service")
        object.__setattr__(self, "weekly", MappingProxyType(weekly))
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "workdays", workdays)
        object.__setattr__(self, "workday_hours", workday_hours)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickle (for caches and job queues) rebuilds from the fields; the memo is not state.
        fields = (self.zone, dict(self.weekly), self.holidays, self.workdays, self.workday_hours)
        return (type(self), (*fields, self.always))

    @classmethod
    def round_the_clock(cls, zone: ZoneInfo | str) -> "ServiceCalendar":
        """A 7x24 calendar: service time is wall time."""
        zone = zone_named(zone) if isinstance(zone, str) else zone
        return cls(zone=zone, weekly=dict.fromkeys(range(7), WHOLE_DAY), always=True)

    def hours_on(self, day: date) -> tuple[Window, ...]:
        """The windows served on a local date: holidays close it, make-up workdays open it."""
        if self.always:
            return WHOLE_DAY
        if day in self.holidays:
            return ()
        if day in self.workdays:
            return self.workday_hours or self.weekly.get(0, ())
        return self.weekly.get(day.weekday(), ())

    def service_time(self, start: datetime, end: datetime) -> timedelta:
        """Exact service time in ``[start, end)``, for callers that round once, at the end."""
        start, end = as_utc(start, "start"), as_utc(end, "end")
        if end <= start:
            return _ZERO
        if self.always:
            return end - start
        total = _ZERO
        for day in self._days_between(start, end):
            intervals, day_total = self._served(day)
            if not intervals:
                continue
            if intervals[0][0] >= start and intervals[-1][1] <= end:
                total += day_total
                continue
            for opens, closes in intervals:
                lo, hi = max(opens, start), min(closes, end)
                if lo < hi:
                    total += hi - lo
        return total

    def service_seconds(self, start: datetime, end: datetime) -> int:
        """Whole seconds of service time in ``[start, end)``; 0 when ``end <= start``."""
        return whole_seconds(self.service_time(start, end))

    def advance(self, start: datetime, amount: timedelta) -> datetime:
        """The earliest instant at which ``amount`` of service time has passed since ``start``.

        Exact, for callers that round once, at the end; ``add`` takes whole seconds.
        """
        if not isinstance(amount, timedelta) or amount < _ZERO:
            raise ValueError(f"amount must be a timedelta >= 0, got {amount!r}")
        start = as_utc(start, "start")
        if amount == _ZERO or self.always:
            return start + amount
        day = self._local_date(start) - _ONE_DAY
        # Terminates: every week has some service hours and holidays are finitely many.
        while True:
            intervals, day_total = self._served(day)
            day += _ONE_DAY
            if not intervals or intervals[-1][1] <= start:
                continue
            if intervals[0][0] >= start and day_total < amount:
                amount -= day_total
                continue
            for opens, closes in intervals:
                lo = max(opens, start)
                if lo >= closes:
                    continue
                if closes - lo >= amount:
                    return lo + amount
                amount -= closes - lo

    def add(self, start: datetime, seconds: int) -> datetime:
        """The earliest instant at which ``seconds`` of service time have passed since ``start``.

        ``add(start, 0)`` is ``start`` itself (in UTC), even outside service hours: nothing
        has to pass, so nothing waits for the desk to open.
        """
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise ValueError(f"seconds must be a whole number >= 0, got {seconds!r}")
        return self.advance(start, timedelta(seconds=seconds))

    def windows(self, start: datetime, end: datetime) -> Iterator[Interval]:
        """The service intervals meeting ``[start, end)``, clipped, in UTC and in order.

        Touching intervals (a window to 24:00 and the next day's from 00:00) come out as one.
        """
        return self._clipped_windows(as_utc(start, "start"), as_utc(end, "end"))

    def _clipped_windows(self, start: datetime, end: datetime) -> Iterator[Interval]:
        if end <= start:
            return
        if self.always:
            yield start, end
            return
        pending: Interval | None = None
        for day in self._days_between(start, end):
            for opens, closes in self._served(day)[0]:
                lo, hi = max(opens, start), min(closes, end)
                if lo >= hi:
                    continue
                if pending is not None and pending[1] == lo:
                    pending = (pending[0], hi)
                    continue
                if pending is not None:
                    yield pending
                pending = (lo, hi)
        if pending is not None:
            yield pending

    def _days_between(self, start: datetime, end: datetime) -> Iterator[date]:
        # One day of margin each side: a local date's windows can reach past its UTC midnight.
        day, last = self._local_date(start) - _ONE_DAY, self._local_date(end) + _ONE_DAY
        while day <= last:
            yield day
            day += _ONE_DAY

    def _local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def _served(self, day: date) -> tuple[tuple[Interval, ...], timedelta]:
        """A local date's service intervals in UTC and their total, memoised."""
        served = self._days.get(day)
        if served is None:
            if len(self._days) >= _DAY_CACHE_LIMIT:
                self._days.clear()
            intervals = self._utc_intervals(day)
            served = (intervals, sum((hi - lo for lo, hi in intervals), _ZERO))
            self._days[day] = served
        return served

    def _utc_intervals(self, day: date) -> tuple[Interval, ...]:
        """The UTC instants whose local wall time on ``day`` falls in a window.

        Within each stretch of constant UTC offset the wall clock is ``utc + offset``, so a
        window's instants are ``[opens - offset, closes - offset)`` cut to that stretch; the
        stretches around ``day`` are found once (a DST change splits them in two).
        """
        hours = self.hours_on(day)
        if not hours:
            return ()
        midnight = datetime.combine(day, time(0))
        pieces: list[Interval] = []
        for offset, valid_from, valid_until in self._offsets_around(midnight):
            for opens, closes in hours:
                wall_from = midnight + since_midnight(opens)
                wall_to = midnight + since_midnight(closes, closing=True)
                lo = max((wall_from - offset).replace(tzinfo=UTC), valid_from)
                hi = min((wall_to - offset).replace(tzinfo=UTC), valid_until)
                if lo < hi:
                    pieces.append((lo, hi))
        pieces.sort()
        merged: list[Interval] = []
        for lo, hi in pieces:
            if merged and merged[-1][1] == lo:
                merged[-1] = (merged[-1][0], hi)
            else:
                merged.append((lo, hi))
        return tuple(merged)

    def _offsets_around(self, midnight: datetime) -> list[tuple[timedelta, datetime, datetime]]:
        """UTC offsets in force from a day before to two days after a local midnight.

        Assumes at most one offset change in those three days, true of real time zones.
        """
        before = (midnight - _ONE_DAY).replace(tzinfo=UTC)
        after = (midnight + 2 * _ONE_DAY).replace(tzinfo=UTC)
        offset_before = _offset_at(before, self.zone)
        offset_after = _offset_at(after, self.zone)
        if offset_before == offset_after:
            return [(offset_before, _EARLIEST, _LATEST)]
        lo, hi = int(before.timestamp()), int(after.timestamp())
        while hi - lo > 1:  # zone changes happen on whole seconds
            middle = (lo + hi) // 2
            if _offset_at(datetime.fromtimestamp(middle, UTC), self.zone) == offset_before:
                lo = middle
            else:
                hi = middle
        change = datetime.fromtimestamp(hi, UTC)
        return [(offset_before, _EARLIEST, change), (offset_after, change, _LATEST)]


def as_utc(value: datetime, name: str) -> datetime:
    """``value`` in UTC, refusing anything but an aware datetime (``name`` says which argument).

    UTC so that arithmetic is on real time: same-zone aware arithmetic is wall-clock.
    """
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def whole_seconds(duration: timedelta) -> int:
    """A duration as whole seconds, rounded down (the convention of calendars and clocks)."""
    return duration // _ONE_SECOND


def _offset_at(instant: datetime, zone: tzinfo) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None  # an aware conversion always has one
    return offset


def since_midnight(moment: time, *, closing: bool = False) -> timedelta:
    if closing and moment == END_OF_DAY:
        return _ONE_DAY
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


def _checked_windows(windows: Iterable[Window], label: str) -> tuple[Window, ...]:
    checked = tuple(tuple(window) for window in windows)
    previous_close = _ZERO
    for window in checked:
        if len(window) != 2 or not all(
            isinstance(bound, time) and bound.tzinfo is None for bound in window
        ):
            raise ValueError(f"{label}: a window is a pair of naive times, got {window!r}")
        opens, closes = window
        opening, closing = since_midnight(opens), since_midnight(closes, closing=True)
        if opening >= closing:
            raise ValueError(
                f"{label}: window {_shown(opens)}-{_shown(closes, closing=True)} "
                "must open before it closes"
            )
        if opening < previous_close:
            raise ValueError(f"{label}: windows must be in order and must not overlap")
        previous_close = closing
    return checked


def _checked_dates(days: Iterable[date], label: str) -> frozenset[date]:
    checked = frozenset(days)
    for day in checked:
        if not isinstance(day, date) or isinstance(day, datetime):
            raise ValueError(f"{label} must be dates, got {day!r}")
    return checked


def _shown(moment: time, *, closing: bool = False) -> str:
    return "24:00" if closing and moment == END_OF_DAY else moment.strftime("%H:%M")


def zone_named(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValueError(f'calendar "zone" must be a time zone name, got {name!r}')
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None
