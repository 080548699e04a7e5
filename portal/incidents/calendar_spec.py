"""Service calendars from their stored form: the mapping kept in SLA definitions.

``{"zone": "Asia/Shanghai", "hours": "24x7" | {"mon": [...], ...}, "holidays": [...],
"workdays": [...], "workday_hours": [...]}``. A window is written ``"08:30-17:30"`` or, as
catalog/sla.py loads it, ``{"start": "08:30", "end": "17:30"}``; both may share a list.
Anything ambiguous is refused with the reason, so a calendar is either right or not built.
"""

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from portal.incidents.service_calendar import (
    DAY_NAMES,
    END_OF_DAY,
    ROUND_THE_CLOCK_SPECS,
    WHOLE_DAY,
    ServiceCalendar,
    Window,
    since_midnight,
    zone_named,
)

_SPEC_KEYS = frozenset({"zone", "hours", "holidays", "workdays", "workday_hours"})
_WINDOW_KEYS = frozenset({"start", "end"})
_WINDOW_TEXT = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")
_TEXT_EXAMPLE = '"08:30-17:30"'
_MAPPING_EXAMPLE = '{"start": "08:30", "end": "17:30"}'


def calendar_from_spec(spec: Mapping[str, Any]) -> ServiceCalendar:
    """Build a calendar from its stored form, refusing anything ambiguous.

    ``{"zone": "Asia/Shanghai", "hours": "24x7" | {"mon": ["08:30-17:30"], ...},
    "holidays": ["2026-10-01", ...], "workdays": ["2026-10-10", ...],
    "workday_hours": ["08:30-17:30"]}``; a window may also be ``{"start": "08:30", "end":
    "17:30"}``. Missing days (or ``[]``) have no service, "24:00" may end a window, and
    "holidays" / "workdays" / "workday_hours" are optional.
    """
    if not isinstance(spec, Mapping):
        raise ValueError(f"calendar spec must be a mapping, got {type(spec).__name__}")
    if unknown := set(spec) - _SPEC_KEYS:
        raise ValueError(f"unknown calendar spec keys: {', '.join(sorted(map(str, unknown)))}")
    if "zone" not in spec or "hours" not in spec:
        raise ValueError('calendar spec needs "zone" and "hours"')
    zone = zone_named(spec["zone"])
    holidays = frozenset(_parse_date(text, "holidays") for text in _listed(spec, "holidays"))
    workdays = frozenset(_parse_date(text, "workdays") for text in _listed(spec, "workdays"))
    workday_hours = _parse_windows(_listed(spec, "workday_hours"), "workday_hours")
    hours = spec["hours"]
    if isinstance(hours, str) and hours.strip().lower() in ROUND_THE_CLOCK_SPECS:
        weekly: dict[int, tuple[Window, ...]] = dict.fromkeys(range(7), WHOLE_DAY)
        always = True
    elif isinstance(hours, Mapping):
        weekly = {}
        for name, windows in hours.items():
            weekday = _weekday(name)
            if weekday in weekly:
                raise ValueError(f"calendar hours name {DAY_NAMES[weekday]!r} twice")
            weekly[weekday] = _parse_windows(windows, DAY_NAMES[weekday])
        always = False
    else:
        raise ValueError(
            'calendar "hours" must be "24x7" or map day names to windows, '
            'e.g. {"mon": ["08:30-17:30"]}'
        )
    return ServiceCalendar(
        zone=zone,
        weekly=weekly,
        holidays=holidays,
        workdays=workdays,
        workday_hours=workday_hours,
        always=always,
    )


def _weekday(name: object) -> int:
    key = name.strip().lower() if isinstance(name, str) else name
    if key not in DAY_NAMES:
        raise ValueError(f"unknown day {name!r} in calendar hours; use {', '.join(DAY_NAMES)}")
    return DAY_NAMES.index(key)


def _listed(spec: Mapping[str, Any], key: str) -> list[Any]:
    values = spec.get(key, ())
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValueError(f'calendar "{key}" must be a list, got {values!r}')
    return list(values)


def _parse_date(text: object, label: str) -> date:
    if isinstance(text, date) and not isinstance(text, datetime):
        return text
    if isinstance(text, str) and _DATE_TEXT.fullmatch(text.strip()):
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            pass
    raise ValueError(f"{label}: {text!r} is not a date like 2026-10-01")


def _parse_windows(windows: object, label: str) -> tuple[Window, ...]:
    # A lone mapping is one window, not a list of them (iterating it would yield its keys).
    if isinstance(windows, str | Mapping) or not isinstance(windows, Iterable):
        raise ValueError(f'{label}: windows must be a list like ["08:30-17:30"], got {windows!r}')
    return tuple(sorted(_parse_window(window, label) for window in windows))


def _window_text(window: object) -> str | None:
    """``"08:30-17:30"`` as it is, ``{"start": "08:30", "end": "17:30"}`` as that text."""
    if isinstance(window, str):
        return window
    if isinstance(window, Mapping) and set(window) == _WINDOW_KEYS:
        start, end = window["start"], window["end"]
        if isinstance(start, str) and isinstance(end, str):
            return f"{start}-{end}"
    return None


def _parse_window(window: object, label: str) -> Window:
    text = _window_text(window)
    match = _WINDOW_TEXT.fullmatch(text.strip()) if text is not None else None
    if text is None or match is None:
        example = _MAPPING_EXAMPLE if isinstance(window, Mapping) else _TEXT_EXAMPLE
        raise ValueError(f"{label}: {window!r} is not a window like {example}")
    open_hour, open_minute, close_hour, close_minute = map(int, match.groups())
    if (close_hour, close_minute) == (24, 0):
        closes = END_OF_DAY
    elif close_hour < 24 and close_minute < 60:
        closes = time(close_hour, close_minute)
    else:
        raise ValueError(f"{label}: {text!r} has an invalid closing time")
    if open_hour >= 24 or open_minute >= 60:
        raise ValueError(f"{label}: {text!r} has an invalid opening time (24:00 only closes)")
    opens = time(open_hour, open_minute)
    if since_midnight(opens) >= since_midnight(closes, closing=True):
        raise ValueError(f"{label}: window {text.strip()!r} must open before it closes")
    return opens, closes
