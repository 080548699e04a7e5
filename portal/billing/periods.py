"""Billing months: a month is the Asia/Shanghai calendar month, stored as UTC bounds."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from portal.core.errors import InvalidInput

BILLING_ZONE = ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)
# The years billing deals in: bounds that keep every date and zone conversion valid.
FIRST_YEAR, LAST_YEAR = 2000, 2100


def month_bounds(month):
    """[start, end) of the month (a date, its first day) in UTC."""
    start = datetime(month.year, month.month, 1, tzinfo=BILLING_ZONE)
    following = next_month(month)
    end = datetime(following.year, following.month, 1, tzinfo=BILLING_ZONE)
    return start.astimezone(UTC), end.astimezone(UTC)


def month_of(moment):
    local = moment.astimezone(BILLING_ZONE)
    return date(local.year, local.month, 1)


def previous_month(month):
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def next_month(month):
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def parse_month(text):
    """'2026-10' → date(2026, 10, 1), or a clear error."""
    try:
        parsed = datetime.strptime(str(text).strip(), "%Y-%m")  # noqa: DTZ007 - a month, no time
    except ValueError:
        parsed = None
    if parsed is None or not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise InvalidInput(
            _l("%(text)s is not a month: write it as YYYY-MM (2000 to 2100).", text=str(text)[:20]),
            {"month": "YYYY-MM"},
        )
    return date(parsed.year, parsed.month, 1)


def floor_hour(moment):
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hours_between(start, end):
    hour = floor_hour(start)
    while hour < end:
        yield hour
        hour += HOUR


def day_start(moment):
    """The start (in UTC) of the billing-zone day that `moment` falls in."""
    local = moment.astimezone(BILLING_ZONE)
    return datetime(local.year, local.month, local.day, tzinfo=BILLING_ZONE).astimezone(UTC)


def day_end(start):
    """The end (in UTC) of the billing-zone day that starts at `start`."""
    local = start.astimezone(BILLING_ZONE)
    following = date.fromordinal(local.date().toordinal() + 1)
    return datetime(following.year, following.month, following.day, tzinfo=BILLING_ZONE).astimezone(
        UTC
    )
