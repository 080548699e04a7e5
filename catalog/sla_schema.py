"""The schema of an SLA definition file (marshmallow): service calendars, the targets of
each SLA tier, and the escalation point, checked against the tiers the caller passes in.

Loaded values are plain JSON (decimals and dates as strings, durations as seconds) so a
version can be stored as it was read.

Clocks: a response or resolution clock runs only within the hours of its tier's calendar
and stops on its holidays; m, h and d are 60, 3,600 and 86,400 seconds of that time, so
on a calendar of nine hours a day "1d" is 24 service hours, about 2.7 working days (write
"9h" for one working day there).

Credit: when a month's availability is below the tier's target, the resource's charge for
that month is credited per_point for every full 0.1 percentage point below the target, at
most cap: min(cap, per_point * floor((target - measured) / 0.1)).

Contracts: a vendor's contract may set its own terms for some tiers (its availability
target, calendar, clocks or credit rule), each replacing the tier's for the resources and
incidents that vendor serves under that contract; what it leaves out is the tier's.
"""

import re
import zoneinfo
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise

from marshmallow import ValidationError, fields, post_load, validate, validates_schema

from catalog.schema import NAME, LocalizedText, Moment, Strict

# The same rule as price lists: a version names a file in messages and the database.
VERSION = validate.Regexp(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$", error="use letters, digits, . _ -")
# As the portal checks a contract's number when it is recorded.
CONTRACT_NUMBER = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,59}$", error="not a contract number (letters, digits, / _ . -)"
)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS = DAYS[:5]
ROUND_THE_CLOCK = "24x7"
PRIORITIES = ("P1", "P2", "P3", "P4")
UNITS = {"m": 60, "h": 3600, "d": 86400}
_PLAIN_DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_DURATION = re.compile(r"^([0-9]+)([mhd])$")
_TIME = re.compile(r"^([01][0-9]|2[0-4]):([0-5][0-9])$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def parse_decimal(value, *, places, at_most=None, below=None):
    """A Decimal > 0 from a YAML string or integer; a float is refused as price lists do."""
    if isinstance(value, float):
        # YAML reads 99.95 as a binary float: not what the contract says.
        raise ValidationError(f'write it in quotes ("{value}"): a YAML float is not exact')
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationError('not a decimal number (write it in quotes, e.g. "0.05")')
    text = str(value).strip()
    if not _PLAIN_DECIMAL.match(text):
        raise ValidationError(f"'{text}' is not a decimal number (e.g. \"0.05\")")
    number = Decimal(text)
    if number <= 0:
        raise ValidationError("must be more than 0")
    if -number.as_tuple().exponent > places:
        raise ValidationError(f"at most {places} decimal places")
    if at_most is not None and number > at_most:
        raise ValidationError(f"must be more than 0 and at most {at_most}")
    if below is not None and number >= below:
        raise ValidationError(f"must be more than 0 and less than {below}")
    return number


class Exact(fields.Field):
    """A positive decimal kept as its string: exact, and JSON can hold it."""

    def __init__(self, *, places, at_most=None, below=None, **kwargs):
        super().__init__(**kwargs)
        self.limits = {"places": places, "at_most": at_most, "below": below}

    def _deserialize(self, value, attr, data, **kwargs):
        return str(parse_decimal(value, **self.limits))


class Duration(fields.Field):
    """A whole number of minutes, hours or days ("30m", "4h", "3d") as seconds."""

    def _deserialize(self, value, attr, data, **kwargs):
        match = _DURATION.match(value.strip()) if isinstance(value, str) else None
        if match is None:
            raise ValidationError(f"'{value}' is not a duration: write 30m, 4h or 3d")
        seconds = int(match[1]) * UNITS[match[2]]
        if not seconds:
            raise ValidationError("must be more than 0")
        return seconds


def duration_text(seconds):
    """Seconds as the largest whole unit, for messages."""
    for unit in ("d", "h", "m"):
        if seconds % UNITS[unit] == 0:
            return f"{seconds // UNITS[unit]}{unit}"
    return f"{seconds}s"


class Zone(fields.String):
    """An IANA time zone name: service hours are local hours."""

    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs)
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValidationError(
                f"'{name}' is not an IANA time zone (e.g. Asia/Shanghai)"
            ) from None
        return name


def _minutes(text):
    match = _TIME.match(text)
    if match is None or (match[1] == "24" and match[2] != "00"):
        raise ValidationError(f"'{text}' is not a time (HH:MM, 00:00 to 24:00)")
    return int(match[1]) * 60 + int(match[2])


def _windows(value):
    """[{start, end}] of one day from ["HH:MM-HH:MM", ...]: ordered, not overlapping."""
    if not isinstance(value, list) or not value:
        raise ValidationError(
            'give a list of windows, e.g. ["08:30-17:30"] (leave a closed day out)'
        )
    windows, errors, previous = [], {}, None
    for index, window in enumerate(value):
        try:
            if not isinstance(window, str) or window.count("-") != 1:
                raise ValidationError(f"write the window in quotes as HH:MM-HH:MM, not {window!r}")
            start, end = (part.strip() for part in window.split("-"))
            begins, ends = _minutes(start), _minutes(end)
            if begins == 24 * 60:
                raise ValidationError("24:00 only ends a window")
            if begins >= ends:
                raise ValidationError(f"'{window}' ends before it starts")
            if previous is not None and begins < previous[1]:
                reason = "overlaps" if ends > previous[0] else "comes before"
                raise ValidationError(
                    f"'{window}' {reason} '{previous[2]}': list windows in order, apart"
                )
        except ValidationError as exc:
            errors[index] = exc.messages
            continue
        previous = (begins, ends, window)
        windows.append({"start": start, "end": end})
    if errors:
        raise ValidationError(errors)
    return windows


class Hours(fields.Field):
    """ "24x7", or windows by day of the week; the result names every day ([] = closed)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == ROUND_THE_CLOCK:
            return value
        if not isinstance(value, dict) or not value:
            raise ValidationError(
                f'give "{ROUND_THE_CLOCK}" or windows by day, e.g. {{mon: ["08:30-17:30"]}}'
            )
        hours, errors = dict.fromkeys(DAYS, ()), {}
        for day, windows in value.items():
            if day not in DAYS:
                errors[day] = [f"not a day of the week (use {', '.join(DAYS)})"]
                continue
            try:
                hours[day] = _windows(windows)
            except ValidationError as exc:
                errors[day] = exc.messages
        if errors:
            raise ValidationError(errors)
        return {day: list(windows) for day, windows in hours.items()}


class Day(fields.Field):
    """A date as YYYY-MM-DD, quoted or not."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, date) and not isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, str) and _DATE.match(value):
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        raise ValidationError(f"'{value}' is not a date (YYYY-MM-DD)")


class Calendar(Strict):
    """When the clocks run: weekly hours in a zone, less holidays, plus make-up working days
    (调休) that are served with the weekday hours."""

    zone = Zone(required=True)
    hours = Hours(required=True)
    holidays = fields.List(Day(), load_default=list)
    workdays = fields.List(Day(), load_default=list)

    @validates_schema
    def _consistent(self, data, **_kwargs):
        for key in ("holidays", "workdays"):
            repeated = sorted({day for day in data[key] if data[key].count(day) > 1})
            if repeated:
                raise ValidationError(f"listed twice: {', '.join(repeated)}", key)
        both = sorted(set(data["holidays"]) & set(data["workdays"]))
        if both:
            raise ValidationError(f"also a holiday: {', '.join(both)}", "workdays")
        hours = data["hours"]
        if hours == ROUND_THE_CLOCK:
            for key in ("holidays", "workdays"):
                if data[key]:
                    raise ValidationError(f"a {ROUND_THE_CLOCK} calendar has no {key}", key)
            return
        if data["workdays"] and len({str(hours[day]) for day in WEEKDAYS}) != 1:
            raise ValidationError(
                "make-up working days take the weekday hours: give mon-fri the same windows",
                "workdays",
            )
        for text in data["workdays"]:
            day = DAYS[date.fromisoformat(text).weekday()]
            if hours[day]:
                raise ValidationError(f"{text} is a {day}: already served", "workdays")

    @post_load
    def _ordered(self, data, **_kwargs):
        data["holidays"].sort()
        data["workdays"].sort()
        return data


class Clock(Strict):
    response = Duration(required=True)
    resolution = Duration(required=True)

    @validates_schema
    def _order(self, data, **_kwargs):
        if data["resolution"] < data["response"]:
            raise ValidationError(
                f"shorter than the response ({duration_text(data['resolution'])} < "
                f"{duration_text(data['response'])})",
                "resolution",
            )

    @post_load
    def _seconds(self, data, **_kwargs):
        return {
            "response_seconds": data["response"],
            "resolution_seconds": data["resolution"],
        }


class Priorities(Strict):
    P1 = fields.Nested(Clock, required=True)
    P2 = fields.Nested(Clock, required=True)
    P3 = fields.Nested(Clock, required=True)
    P4 = fields.Nested(Clock, required=True)

    @validates_schema
    def _urgent_first(self, data, **_kwargs):
        for higher, lower in pairwise(PRIORITIES):
            for clock in ("response", "resolution"):
                key = f"{clock}_seconds"
                if data[lower][key] < data[higher][key]:
                    raise ValidationError(
                        f"shorter than {higher}'s ({duration_text(data[higher][key])}): "
                        "a less urgent ticket cannot be due sooner",
                        f"{lower}.{clock}",
                    )


class Credit(Strict):
    per_point = Exact(places=4, at_most=1, required=True)  # per full 0.1 pp below target
    cap = Exact(places=4, at_most=1, required=True)

    @validates_schema
    def _capped(self, data, **_kwargs):
        if Decimal(data["per_point"]) > Decimal(data["cap"]):
            raise ValidationError("more than the cap: the first point would reach it", "per_point")


class Tier(Strict):
    label = fields.Nested(LocalizedText, required=True)
    availability = Exact(places=3, at_most=100, required=True)  # percent per month
    calendar = fields.String(required=True, validate=NAME)
    priorities = fields.Nested(Priorities, required=True)
    credit = fields.Nested(Credit, required=True)


class ContractTerms(Strict):
    """A contract's own terms for one tier: any of the tier's targets, none required."""

    availability = Exact(places=3, at_most=100)
    calendar = fields.String(validate=NAME)
    priorities = fields.Nested(Priorities)
    credit = fields.Nested(Credit)

    @validates_schema
    def _not_empty(self, data, **_kwargs):
        if not data:
            raise ValidationError(
                "give the terms that differ from the tier's (availability, calendar, "
                "priorities or credit), or leave the tier out"
            )


class Escalation(Strict):
    warn_at = Exact(places=3, below=1, required=True)  # the share of a clock used up


class SlaSchema(Strict):
    version = fields.String(
        required=True,
        validate=VERSION,
        error_messages={"invalid": 'write it in quotes, e.g. "2026.1"'},
    )
    effective_from = Moment(required=True)
    reason = fields.Nested(LocalizedText, required=True)
    calendars = fields.Dict(
        keys=fields.String(validate=NAME),
        values=fields.Nested(Calendar),
        required=True,
        validate=validate.Length(min=1, error="give at least one calendar"),
    )
    # The keys depend on the catalog's tiers: check_tiers checks them.
    tiers = fields.Dict(keys=fields.Raw(), values=fields.Nested(Tier), required=True)
    escalation = fields.Nested(Escalation, required=True)
    # contract number → tier → terms; tier keys are checked by check_tiers too.
    contracts = fields.Dict(
        keys=fields.String(validate=CONTRACT_NUMBER),
        values=fields.Dict(keys=fields.Raw(), values=fields.Nested(ContractTerms)),
        load_default=dict,
    )


def check_tiers(raw, definition, tiers):
    """[(field, reason)]: every tier of the catalog defined and none else (judged on the
    file's own keys, so a broken tier is still named), contracts' terms for known tiers
    only, and calendars that exist."""
    raw_tiers = raw.get("tiers")
    if not isinstance(raw_tiers, dict):
        return []  # the schema has said so
    errors = []
    known = f"known: {', '.join(sorted(tiers))}"
    for key in raw_tiers:
        if key not in tiers:
            errors.append((f"tiers.{key}", f"unknown SLA tier ({known})"))
    missing = sorted(set(tiers) - raw_tiers.keys())
    if missing:
        errors.append(("tiers", f"no definition for {', '.join(missing)}: define every tier"))
    raw_contracts = raw.get("contracts")
    for number, terms in raw_contracts.items() if isinstance(raw_contracts, dict) else ():
        for key in terms if isinstance(terms, dict) else ():
            if key not in tiers:
                errors.append((f"contracts.{number}.{key}", f"unknown SLA tier ({known})"))
    if "calendars" in definition:
        calendars = definition["calendars"]
        names = ", ".join(sorted(calendars))
        named = [(f"tiers.{key}", tier) for key, tier in definition.get("tiers", {}).items()]
        named += [
            (f"contracts.{number}.{key}", terms)
            for number, by_tier in definition.get("contracts", {}).items()
            for key, terms in by_tier.items()
        ]
        for path, terms in named:
            if "calendar" in terms and terms["calendar"] not in calendars:
                errors.append(
                    (f"{path}.calendar", f"no calendar '{terms['calendar']}' (known: {names})")
                )
    return errors
