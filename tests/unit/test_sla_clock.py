"""SLA clocks in service hours: the deadlines people rely on (weekends, the National Day week
and its make-up Saturday, waiting on the agency), and properties that keep the arithmetic
honest on any calendar, DST included: time adds up, ``add`` inverts ``service_seconds``, and a
brute-force minute count agrees."""

import pickle
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.sla import SLAS_DIR, load_sla_definitions
from portal.incidents.calendar_spec import calendar_from_spec
from portal.incidents.clock import Pause, due, elapsed, state
from portal.incidents.service_calendar import END_OF_DAY, ServiceCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = 3600
OFFICE_SPEC = {
    "zone": "Asia/Shanghai",
    "hours": {day: ["08:30-17:30"] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": [f"2026-10-0{day}" for day in range(1, 8)],
    "workdays": ["2026-09-20", "2026-10-10"],
}
OFFICE = calendar_from_spec(OFFICE_SPEC)
PROPERTIES = settings(max_examples=150, deadline=None)


def shanghai(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=SHANGHAI)


# --- deadlines people rely on --------------------------------------------------------------


def test_friday_evening_incident_is_due_monday_noon():
    opened = shanghai(2026, 9, 25, 17, 0)  # Friday, 30 minutes before closing

    deadline = due(OFFICE, opened, 4 * HOUR)

    assert deadline == shanghai(2026, 9, 28, 12, 0)
    assert deadline.tzinfo is UTC
    assert OFFICE.service_seconds(opened, deadline) == 4 * HOUR


def test_national_day_week_is_skipped_and_the_make_up_saturday_counts():
    assert OFFICE.hours_on(date(2026, 10, 1)) == ()
    assert OFFICE.hours_on(date(2026, 10, 10)) == ((time(8, 30), time(17, 30)),)
    assert OFFICE.hours_on(date(2026, 10, 17)) == ()  # an ordinary Saturday
    # Wednesday 30 September after 17:00 to Thursday 8 October opening: only half an hour.
    assert OFFICE.service_seconds(shanghai(2026, 9, 30, 17, 0), shanghai(2026, 10, 8, 8, 30)) == (
        30 * 60
    )
    # 27 h from Wednesday 09:30: 8 h that day, 9 h on the 8th and the 9th, 1 h on Saturday.
    assert due(OFFICE, shanghai(2026, 9, 30, 9, 30), 27 * HOUR) == shanghai(2026, 10, 10, 9, 30)
    # Friday 15:30 with 4 h: 2 h on Friday, 2 h on the make-up Saturday morning.
    assert due(OFFICE, shanghai(2026, 10, 9, 15, 30), 4 * HOUR) == shanghai(2026, 10, 10, 10, 30)


def test_round_the_clock_is_wall_time_even_on_holidays():
    calendar = calendar_from_spec(
        {"zone": "Asia/Shanghai", "hours": "24x7", "holidays": ["2026-10-01"]}
    )
    opened = shanghai(2026, 9, 30, 23, 15)

    assert calendar.service_seconds(opened, opened + timedelta(days=3)) == 3 * 24 * HOUR
    assert due(calendar, opened, 4 * HOUR) == opened + timedelta(hours=4)
    assert calendar.always
    assert list(calendar.windows(opened, opened + timedelta(days=2))) == [
        (opened.astimezone(UTC), (opened + timedelta(days=2)).astimezone(UTC))
    ]


def test_waiting_on_the_agency_shifts_the_deadline_by_the_paused_service_time():
    opened = shanghai(2026, 9, 21, 9, 0)  # Monday
    assert due(OFFICE, opened, 4 * HOUR) == shanghai(2026, 9, 21, 13, 0)

    morning = Pause(shanghai(2026, 9, 21, 10, 0), shanghai(2026, 9, 21, 11, 30))
    assert due(OFFICE, opened, 4 * HOUR, [morning]) == shanghai(2026, 9, 21, 14, 30)

    # Overnight: 30 min on Monday, nothing at night, 1 h on Tuesday morning = 1.5 service hours.
    late_opened = shanghai(2026, 9, 21, 15, 0)
    assert due(OFFICE, late_opened, 4 * HOUR) == shanghai(2026, 9, 22, 10, 0)
    overnight = Pause(shanghai(2026, 9, 21, 17, 0), shanghai(2026, 9, 22, 9, 30))
    assert OFFICE.service_seconds(overnight.started, overnight.ended) == 90 * 60
    assert due(OFFICE, late_opened, 4 * HOUR, [overnight]) == shanghai(2026, 9, 22, 11, 30)
    # Overlapping pauses are counted once: together they cover Monday 17:00 to Tuesday 10:00.
    tuesday = Pause(shanghai(2026, 9, 22, 9, 0), shanghai(2026, 9, 22, 10, 0))
    assert due(OFFICE, late_opened, 4 * HOUR, [tuesday, overnight]) == shanghai(2026, 9, 22, 12, 0)
    assert elapsed(OFFICE, late_opened, shanghai(2026, 9, 22, 12, 0), [overnight, tuesday]) == (
        4 * HOUR
    )


def test_an_open_pause_stops_the_clock_and_has_no_deadline():
    opened = shanghai(2026, 9, 21, 9, 0)
    waiting = Pause(shanghai(2026, 9, 21, 10, 0))

    assert due(OFFICE, opened, 4 * HOUR, [waiting]) is None
    assert elapsed(OFFICE, opened, shanghai(2026, 9, 21, 11, 0), [waiting]) == HOUR
    assert elapsed(OFFICE, opened, shanghai(2026, 9, 24, 16, 0), [waiting]) == HOUR
    clock = state(OFFICE, opened, 4 * HOUR, shanghai(2026, 9, 23, 12, 0), [waiting])
    assert (clock.elapsed, clock.paused, clock.due, clock.breached) == (HOUR, True, None, False)


def test_warning_from_80_percent_and_breach_only_past_the_target():
    opened = shanghai(2026, 9, 21, 9, 0)

    def at(hour: int, minute: int, second: int = 0):
        return state(OFFICE, opened, 4 * HOUR, shanghai(2026, 9, 21, hour, minute, second))

    assert not at(12, 11, 59).warning
    assert at(12, 12).warning  # 3 h 12 min of 4 h
    assert at(12, 12).fraction == pytest.approx(0.8)
    on_time = at(13, 0)
    assert (on_time.remaining, on_time.breached, on_time.warning) == (0, False, True)
    assert on_time.due == shanghai(2026, 9, 21, 13, 0)
    late = at(13, 0, 1)
    assert (late.remaining, late.breached, late.warning, late.paused) == (-1, True, False, False)
    assert not state(OFFICE, opened, 4 * HOUR, opened + timedelta(hours=3), warn_at=0.9).warning


def test_midnight_closing_is_written_24_00_and_windows_join_across_midnight():
    calendar = calendar_from_spec(
        {"zone": "Asia/Shanghai", "hours": {"sat": ["20:00-24:00"], "sun": ["00:00-02:00"]}}
    )
    assert calendar.weekly[5] == ((time(20, 0), END_OF_DAY),)
    start, end = shanghai(2026, 9, 26, 18, 0), shanghai(2026, 9, 27, 6, 0)

    assert calendar.service_seconds(start, end) == 6 * HOUR
    assert list(calendar.windows(start, end)) == [
        (shanghai(2026, 9, 26, 20, 0), shanghai(2026, 9, 27, 2, 0))
    ]
    assert calendar.add(shanghai(2026, 9, 26, 23, 0), 2 * HOUR) == shanghai(2026, 9, 27, 1, 0)


def test_windows_may_be_text_or_start_end_mappings_in_the_same_list():
    calendar = calendar_from_spec(
        {
            "zone": "Asia/Shanghai",
            "hours": {
                "mon": [{"start": "13:00", "end": "17:30"}, "08:30-12:00"],
                "sat": [{"start": "20:00", "end": "24:00"}],
                "sun": [],
            },
        }
    )

    assert calendar.weekly[0] == ((time(8, 30), time(12, 0)), (time(13, 0), time(17, 30)))
    assert calendar.weekly[5] == ((time(20, 0), END_OF_DAY),)
    assert calendar.weekly[6] == ()
    assert calendar == calendar_from_spec(
        {
            "zone": "Asia/Shanghai",
            "hours": {"mon": ["08:30-12:00", "13:00-17:30"], "sat": ["20:00-24:00"], "sun": []},
        }
    )


def test_daylight_saving_days_are_as_long_as_the_wall_clock_says():
    berlin = ZoneInfo("Europe/Berlin")
    calendar = ServiceCalendar(
        zone=berlin, weekly=dict.fromkeys(range(7), ((time(0), END_OF_DAY),))
    )
    night = ServiceCalendar(zone=berlin, weekly=dict.fromkeys(range(7), ((time(2), time(3)),)))

    def day(month: int, day: int) -> tuple[datetime, datetime]:
        return datetime(2026, month, day, tzinfo=berlin), datetime(
            2026, month, day + 1, tzinfo=berlin
        )

    assert calendar.service_seconds(*day(3, 29)) == 23 * HOUR
    assert calendar.service_seconds(*day(10, 25)) == 25 * HOUR
    assert night.service_seconds(*day(3, 29)) == 0  # 02:00-03:00 never happens
    assert night.service_seconds(*day(10, 25)) == 2 * HOUR  # and happens twice


def test_calendars_are_values():
    copy = pickle.loads(pickle.dumps(OFFICE))  # noqa: S301 - our own bytes

    assert copy == OFFICE
    assert hash(copy) == hash(OFFICE)
    assert copy.add(shanghai(2026, 9, 25, 17, 0), 4 * HOUR) == shanghai(2026, 9, 28, 12, 0)


def test_naive_datetimes_are_refused():
    instant = datetime.fromisoformat("2026-09-21T09:00")  # no zone: which 09:00?
    aware = shanghai(2026, 9, 21, 9, 0)
    with pytest.raises(ValueError, match="must be timezone-aware"):
        OFFICE.service_seconds(instant, aware)
    with pytest.raises(ValueError, match="must be timezone-aware"):
        OFFICE.add(instant, 60)
    with pytest.raises(ValueError, match="must be timezone-aware"):
        OFFICE.windows(aware, instant)
    with pytest.raises(ValueError, match="must be timezone-aware"):
        elapsed(OFFICE, aware, instant)
    with pytest.raises(ValueError, match="must be timezone-aware"):
        Pause(instant)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"hours": {"monday": ["08:30-17:30"]}}, "unknown day 'monday'"),
        ({"hours": {"mon": ["8:3o-17:30"]}}, "not a window like"),
        ({"hours": {"mon": ["08:30-25:00"]}}, "invalid closing time"),
        ({"hours": {"mon": ["24:00-24:00"]}}, "invalid opening time"),
        ({"hours": {"mon": ["17:30-08:30"]}}, "must open before it closes"),
        ({"hours": {"mon": ["08:00-12:00", "11:00-13:00"]}}, "must not overlap"),
        ({"hours": {"mon": "08:30-17:30"}}, "must be a list"),
        ({"hours": {"mon": [{"start": "08:30"}]}}, 'not a window like {"start"'),
        ({"hours": {"mon": [{"start": "08:30", "end": 1730}]}}, "not a window like"),
        ({"hours": {"mon": [{"start": "08:30", "end": "25:00"}]}}, "invalid closing time"),
        ({"hours": {"mon": [{"start": "17:30", "end": "08:30"}]}}, "must open before it closes"),
        ({"hours": {"mon": {"start": "08:30", "end": "17:30"}}}, "must be a list"),
        ({"hours": {"mon": ["08:30-17:30"], "Mon": []}}, "twice"),
        ({"hours": {"sat": []}}, "needs service hours"),
        ({"hours": "weekdays"}, 'must be "24x7"'),
        ({"holidays": ["2026-10-10"]}, "both holidays and make-up workdays: 2026-10-10"),
        ({"holidays": ["2026-13-01"]}, "not a date like"),
        ({"holidays": "2026-10-01"}, "must be a list"),
        ({"zone": "Asia/Beijing"}, "unknown time zone 'Asia/Beijing'"),
        ({"timezone": "UTC"}, "unknown calendar spec keys: timezone"),
    ],
)
def test_malformed_specs_are_refused_with_the_reason(change, message):
    with pytest.raises(ValueError, match=message):
        calendar_from_spec(OFFICE_SPEC | change)


def test_impossible_arguments_are_refused():
    opened = shanghai(2026, 9, 21, 9, 0)
    with pytest.raises(ValueError, match="seconds must be a whole number >= 0"):
        OFFICE.add(opened, -1)
    with pytest.raises(ValueError, match="target_seconds must be a whole number >= 1"):
        state(OFFICE, opened, 0, opened)
    with pytest.raises(ValueError, match="cannot end before it starts"):
        Pause(opened, opened - timedelta(seconds=1))


# --- the shipped SLA definitions --------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    return load_sla_definitions(SLAS_DIR, {"standard", "important", "critical"})


def test_every_tier_of_the_shipped_definitions_has_a_service_calendar(shipped):
    for definition in shipped:
        for name, tier in definition["tiers"].items():
            calendar = calendar_from_spec(definition["calendars"][tier["calendar"]])
            assert isinstance(calendar, ServiceCalendar), (definition["version"], name)


def test_a_p1_opened_on_national_day_eve_is_due_the_first_morning_back(shipped):
    (definition,) = [d for d in shipped if d["version"] == "2026.1"]
    standard = definition["tiers"]["standard"]
    office = calendar_from_spec(definition["calendars"][standard["calendar"]])
    target = standard["priorities"]["P1"]["resolution_seconds"]  # 4h in the shipped file
    opened = shanghai(2026, 9, 30, 17, 0)  # Wednesday, half an hour before closing

    # By hand: 30 min on 30 September, nothing from 1 to 7 October (holidays), then 3.5 h
    # from 08:30 on Thursday 8 October.
    assert due(office, opened, target) == shanghai(2026, 10, 8, 12, 0)


# --- properties ----------------------------------------------------------------------------

ZONES = [ZoneInfo(name) for name in ("Asia/Shanghai", "Europe/Berlin", "Australia/Lord_Howe")]
SPAN_START = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 3 * 365 * 24 * HOUR
# DST changes in 2026: Berlin (spring, autumn) and Lord Howe (a 30-minute shift).
DST_CHANGES = [
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 4, 4, 15, tzinfo=UTC),
    datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
]

instants = st.one_of(
    st.integers(0, SPAN_SECONDS).map(lambda second: SPAN_START + timedelta(seconds=second)),
    st.builds(
        lambda change, second: change + timedelta(seconds=second),
        st.sampled_from(DST_CHANGES),
        st.integers(-3 * 24 * HOUR, 3 * 24 * HOUR),
    ),
)
near_dst_minutes = st.builds(
    lambda change, minute: change + timedelta(minutes=minute),
    st.sampled_from(DST_CHANGES),
    st.integers(-36 * 60, 36 * 60),
)


@st.composite
def day_hours(draw) -> tuple[tuple[time, time], ...]:
    """Zero to two windows on minute boundaries, possibly running to 24:00."""
    bounds = sorted(draw(st.sets(st.integers(0, 24 * 60), max_size=4)))
    bounds = bounds[: len(bounds) // 2 * 2]
    as_time = [END_OF_DAY if minute == 24 * 60 else time(*divmod(minute, 60)) for minute in bounds]
    return tuple(zip(as_time[::2], as_time[1::2], strict=True))


@st.composite
def calendars(draw) -> ServiceCalendar:
    zone = draw(st.sampled_from(ZONES))
    if draw(st.integers(0, 9)) == 0:
        return ServiceCalendar.round_the_clock(zone)
    weekly = {weekday: draw(day_hours()) for weekday in range(7)}
    if not any(weekly.values()):
        weekly[2] = ((time(9), time(17)),)
    dates = st.dates(date(2025, 1, 1), date(2027, 12, 31))
    holidays = draw(st.frozensets(dates, max_size=20))
    workdays = draw(st.frozensets(dates, max_size=5)) - holidays
    workday_hours = () if weekly.get(0) else ((time(10), time(12)),)
    return ServiceCalendar(
        zone=zone,
        weekly=weekly,
        holidays=holidays,
        workdays=workdays,
        workday_hours=workday_hours,
    )


@PROPERTIES
@given(calendars(), st.lists(instants, min_size=3, max_size=3))
def test_service_time_adds_up(calendar, three):
    a, b, c = sorted(three)
    assert calendar.service_seconds(a, b) + calendar.service_seconds(b, c) == (
        calendar.service_seconds(a, c)
    )
    assert calendar.service_seconds(c, a) == 0


@PROPERTIES
@given(calendars(), instants, st.integers(0, 80 * HOUR))
def test_add_is_the_earliest_inverse_of_service_seconds(calendar, start, seconds):
    deadline = calendar.add(start, seconds)

    assert deadline >= start
    assert deadline.tzinfo is UTC
    assert calendar.service_seconds(start, deadline) == seconds
    if seconds:
        assert calendar.service_seconds(start, deadline - timedelta(seconds=1)) == seconds - 1


@PROPERTIES
@given(st.sampled_from(ZONES), instants, instants)
def test_round_the_clock_and_all_day_calendars_count_wall_seconds(zone, start, end):
    all_day = ServiceCalendar(zone=zone, weekly=dict.fromkeys(range(7), ((time(0), END_OF_DAY),)))
    wall = max(0, int((end - start).total_seconds()))

    assert ServiceCalendar.round_the_clock(zone).service_seconds(start, end) == wall
    assert all_day.service_seconds(start, end) == wall
    assert all_day.add(start, wall) == max(start, end)


@PROPERTIES
@given(calendars(), instants, instants)
def test_service_time_fits_in_wall_time_and_in_its_windows(calendar, start, end):
    served = calendar.service_seconds(start, end)
    windows = list(calendar.windows(start, end))

    assert 0 <= served <= max(0, (end - start).total_seconds())
    assert sum(int((hi - lo).total_seconds()) for lo, hi in windows) == served
    assert all(start <= lo < hi <= end for lo, hi in windows)
    assert all(earlier[1] < later[0] for earlier, later in pairwise(windows))


@settings(max_examples=60, deadline=None)
@given(calendars(), near_dst_minutes, st.integers(0, 36 * 60))
def test_service_time_matches_a_minute_by_minute_count(calendar, start, minutes):
    def in_service(minute: datetime) -> bool:
        local = minute.astimezone(calendar.zone)
        wall = local.time().replace(tzinfo=None)
        return any(
            opens <= wall and (closes == END_OF_DAY or wall < closes)
            for opens, closes in calendar.hours_on(local.date())
        )

    counted = sum(in_service(start + timedelta(minutes=minute)) for minute in range(minutes))

    assert calendar.service_seconds(start, start + timedelta(minutes=minutes)) == counted * 60


pauses = st.lists(
    st.builds(
        lambda start, length, still_open: Pause(
            start, None if still_open else start + timedelta(seconds=length)
        ),
        instants,
        st.integers(0, 5 * 24 * HOUR),
        st.booleans(),
    ),
    max_size=4,
)


@PROPERTIES
@given(calendars(), instants, instants, pauses)
def test_pauses_only_ever_hold_the_clock_back(calendar, started, now, waits):
    assert 0 <= elapsed(calendar, started, now, waits) <= elapsed(calendar, started, now)


@PROPERTIES
@given(calendars(), instants, st.integers(1, 40 * HOUR), pauses)
def test_the_clock_reads_the_target_exactly_at_the_deadline(calendar, started, target, waits):
    closed = [wait for wait in waits if wait.ended is not None]
    deadline = due(calendar, started, target, closed)

    assert elapsed(calendar, started, deadline, closed) == target
    assert elapsed(calendar, started, deadline - timedelta(seconds=1), closed) == target - 1
    assert deadline >= calendar.add(started, target)
    if len(closed) < len(waits):
        assert due(calendar, started, target, waits) is None
