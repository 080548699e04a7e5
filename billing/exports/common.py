"""What every format shares: number and time rendering, subtotals, the injection guard."""

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

CENT = Decimal("0.01")
RATE_PLACES = 6

# LineDoc.kind -> the bill's summary column it adds to.
KIND_COLUMN = {
    "usage": "usage",
    "service_fee": "service_fee",
    "adjustment": "adjustments",
    "sla_credit": "credits",
}
SUM_COLUMNS = ("usage", "service_fee", "adjustments", "credits", "total")

# OWASP's list: a spreadsheet evaluates a cell starting with these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def money(value: Decimal) -> Decimal:
    # Bills round once, at the line; this only gives every amount its two places
    # ("12.5" -> "12.50"), it is not a second rounding rule.
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(value: Decimal | None) -> str:
    return "" if value is None else f"{money(value):f}"


def rate_text(value: Decimal | None) -> str:
    # Six places as a rule, but a per-hour price with more places keeps all of them:
    # a rounded rate on the document would not multiply back to the amount.
    if value is None:
        return ""
    places = max(RATE_PLACES, -value.as_tuple().exponent)
    return f"{value:.{places}f}"


def quantity_text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:f}"  # as given; never "1E+3"


def safe_text(text: str) -> str:
    """Text for CSV: a leading apostrophe keeps a spreadsheet from running it as a formula."""
    return f"'{text}" if text.startswith(FORMULA_START) else text


@lru_cache
def zone_info(zone: str) -> ZoneInfo:
    return ZoneInfo(zone)


def local(moment, zone: str):
    """An aware time as naive wall-clock time in `zone` (what spreadsheets can store)."""
    if moment is None:
        return None
    return moment.astimezone(zone_info(zone)).replace(tzinfo=None)


def local_text(moment, zone: str) -> str:
    return "" if moment is None else f"{local(moment, zone):%Y-%m-%d %H:%M}"


def change(total: Decimal, previous: Decimal | None) -> Decimal | None:
    return None if previous is None else total - previous


def subtotals(lines, key):
    """Sums per `key(line)`, as [(key, {usage, service_fee, adjustments, credits, total})].

    Ordered by key with the bill-level group ("" keys) last.
    """
    groups = defaultdict(lambda: dict.fromkeys(SUM_COLUMNS, Decimal(0)))
    for line in lines:
        sums = groups[key(line)]
        sums[KIND_COLUMN[line.kind]] += line.amount
        sums["total"] += line.amount
    return sorted(groups.items(), key=lambda item: (not any(item[0]), item[0]))


def by_resource(line):
    return (line.resource, line.application)


def by_application(line):
    return (line.application,)
