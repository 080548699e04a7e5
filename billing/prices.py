"""Price lists: yuan per unit-hour by metric, dimension and SLA tier, the operations
service fee by outsourcing mode, and discounts or rates negotiated by agency kind or agency.

Each file in billing/prices/ is one version, in effect from its effective_from until the
next version's. Loading is like the catalog's: every error of every file is reported with
its file, field and reason, and nothing is handed back when anything is wrong.
"""

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml
from marshmallow import ValidationError

from billing.price_schema import PriceListSchema, check_terms
from catalog.loader import (
    digest,  # noqa: F401 - the same fingerprint as catalog items
    error_paths,
)

PRICES_DIR = Path(__file__).parent / "prices"
QUANTUM = Decimal("0.000001")


class PriceListError(Exception):
    pass


class PriceListInvalid(PriceListError):
    """errors: one "file: field: reason" string per problem."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


class NoPriceInEffect(PriceListError):
    """[start, end) is before the first price list: nothing prices it."""

    def __init__(self, start, end):
        super().__init__(
            f"no price list is in effect from {start.isoformat()} to {end.isoformat()}"
        )
        self.start = start
        self.end = end


def load_file(path, *, metrics, tiers, agency_kinds, outsourcing_modes):
    """Return (definition, ["file: field: reason"]) for one file."""
    name = Path(path).name
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return None, [f"{name}: (file): not valid YAML: {exc}"]
    if not isinstance(raw, dict):
        return None, [f"{name}: (file): the file must hold one mapping (a price list)"]
    problems = []
    try:
        definition = PriceListSchema().load(raw)
    except ValidationError as exc:
        # Check the sections that passed too: every error of the file in one go.
        definition = {k: v for k, v in exc.valid_data.items() if k not in exc.messages}
        problems = list(error_paths(exc.messages))
    problems += check_terms(
        definition,
        metrics=metrics,
        tiers=set(tiers),
        agency_kinds=set(agency_kinds),
        outsourcing_modes=set(outsourcing_modes),
    )
    errors = [f"{name}: {field}: {reason}" for field, reason in problems]
    return (None if errors else definition), errors


def load_price_lists(directory, *, metrics, tiers, agency_kinds, outsourcing_modes):
    """Every price list of a directory, validated and sorted by effective_from (plain
    JSON-ready dicts); raises PriceListInvalid listing every error."""
    directory = Path(directory)
    if not directory.is_dir():
        raise PriceListInvalid([f"{directory}: (directory): no such directory"])
    paths = sorted(directory.glob("*.yaml"))
    if not paths:
        # An empty directory is a mistake, not an order to withdraw every price.
        raise PriceListInvalid([f"{directory}: (directory): no price list files (*.yaml)"])
    loaded, errors = [], []
    for path in paths:
        definition, file_errors = load_file(
            path,
            metrics=metrics,
            tiers=tiers,
            agency_kinds=agency_kinds,
            outsourcing_modes=outsourcing_modes,
        )
        errors += file_errors
        if definition is not None:
            loaded.append((path.name, definition))
    versions, moments = {}, {}
    for name, definition in loaded:
        version, moment = definition["version"], _effective_from(definition)
        if version in versions:
            errors.append(
                f"{name}: version: '{version}' is also the version of {versions[version]}"
            )
        if moment in moments:
            errors.append(
                f"{name}: effective_from: the same moment as {moments[moment]}: "
                "one price list is in effect at a time"
            )
        versions.setdefault(version, name)
        moments.setdefault(moment, name)
    if errors:
        raise PriceListInvalid(errors)
    return sorted((definition for _name, definition in loaded), key=_effective_from)


def _effective_from(definition):
    return datetime.fromisoformat(definition["effective_from"]).astimezone(UTC)


def _flat(rates):
    """{(metric, dimension, tier): Decimal} from a definition's normalized rates."""
    flat = {}
    for metric, value in rates.items():
        by_dimension = {"": value} if all(isinstance(v, str) for v in value.values()) else value
        for dimension, by_tier in by_dimension.items():
            for tier, amount in by_tier.items():
                flat[metric, dimension, tier] = Decimal(amount)
    return flat


class Rates:
    """One price list, ready for looking up rates."""

    def __init__(self, definition):
        self.version = definition["version"]
        self.effective_from = _effective_from(definition)
        self._base = _flat(definition["rates"])
        self._fees = {mode: Decimal(fee) for mode, fee in definition["service_fee"].items()}
        self._kind_discounts = {
            kind: Decimal(terms["discount"])
            for kind, terms in definition.get("agency_kinds", {}).items()
        }
        self._agencies = {
            code: (
                Decimal(terms["discount"]) if "discount" in terms else None,
                _flat(terms.get("rates", {})),
            )
            for code, terms in definition.get("agencies", {}).items()
        }

    def rate(self, metric, dimension, tier, agency_kind=None, agency_code=None):
        """Yuan per unit-hour for an agency, or None when this list does not price it.

        The agency's own rate replaces the list's; then one discount applies, the
        agency's own if it has one, else its kind's (never both). A rate given for
        every dimension of a metric prices a dimension not named on its own.
        """
        discount, own = self._agencies.get(agency_code, (None, {}))
        key = (metric, dimension or "", tier)
        # A dimension the list does not name takes the metric's one rate, if it has one.
        one_rate = (metric, "", tier)
        base = next(
            (rates[k] for rates in (own, self._base) for k in (key, one_rate) if k in rates),
            None,
        )
        if base is None:
            return None
        if discount is None:
            discount = self._kind_discounts.get(agency_kind, Decimal(0))
        return (base * (1 - discount)).quantize(QUANTUM, rounding=ROUND_HALF_UP)

    def service_fee(self, outsourcing_mode):
        """The fee as a fraction of usage; KeyError for an unknown mode."""
        return self._fees[outsourcing_mode]

    def agency_codes(self):
        return set(self._agencies)

    def keys(self):
        """Every (metric, dimension, tier) the list or an agency's terms price."""
        keys = set(self._base)
        for _discount, own in self._agencies.values():
            keys |= own.keys()
        return keys


def _aware_utc(moment, name):
    if moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(UTC)


def periods(definitions, start, end):
    """[(start, end, definition)]: the pieces of [start, end) by the version in effect,
    in UTC; raises NoPriceInEffect when part of it is before the first version."""
    start, end = _aware_utc(start, "start"), _aware_utc(end, "end")
    if start >= end:
        return []
    ordered = sorted(definitions, key=_effective_from)
    first = _effective_from(ordered[0]) if ordered else end
    if start < first:
        raise NoPriceInEffect(start, min(end, first))
    pieces = []
    for index, definition in enumerate(ordered):
        begins = max(start, _effective_from(definition))
        ends = end
        if index + 1 < len(ordered):
            ends = min(end, _effective_from(ordered[index + 1]))
        if begins < ends:
            pieces.append((begins, ends, definition))
    return pieces
