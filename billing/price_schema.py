"""The schema of a price list file (marshmallow), and the checks against the vocabularies
(metrics, SLA tiers, agency kinds, outsourcing modes) that the caller passes in."""

import re
from decimal import Decimal

from marshmallow import ValidationError, fields, validate, validates_schema

from catalog.schema import LocalizedText, Moment, Strict

PLACES = 6  # a GB-hour costs fractions of a fen: keep six places, round only at the bill line
_PLAIN_DECIMAL = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
VERSION = validate.Regexp(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$", error="use letters, digits, . _ -")


def parse_amount(value, *, below=None):
    """A Decimal >= 0 with at most six places, from a YAML string or integer."""
    if isinstance(value, float):
        # YAML reads 0.09 as a binary float: 0.0899999… is not what finance wrote.
        raise ValidationError(f'write it in quotes ("{value}"): a YAML float is not exact')
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationError('not a decimal number (write it in quotes, e.g. "0.09")')
    text = str(value).strip()
    if not _PLAIN_DECIMAL.match(text):
        raise ValidationError(f"'{text}' is not a decimal number (e.g. \"0.09\")")
    amount = Decimal(text)
    if amount < 0:
        raise ValidationError("cannot be negative")
    if -amount.as_tuple().exponent > PLACES:
        raise ValidationError(f"at most {PLACES} decimal places")
    if below is not None and amount >= below:
        raise ValidationError(f"must be from 0 up to (not including) {below}")
    return amount


class Amount(fields.Field):
    """A decimal amount kept as its string: exact, and JSON can hold it."""

    def __init__(self, *, below=None, **kwargs):
        super().__init__(**kwargs)
        self.below = below

    def _deserialize(self, value, attr, data, **kwargs):
        return str(parse_amount(value, below=self.below))


def fraction(**kwargs):
    """A share such as a discount or a fee: from 0 up to (not including) 1."""
    return Amount(below=1, **kwargs)


class KindTerms(Strict):
    discount = fraction(required=True)


class AgencyTerms(Strict):
    discount = fraction()
    rates = fields.Dict(keys=fields.Raw(), values=fields.Raw())  # checked by check_terms

    @validates_schema
    def _some_terms(self, data, **_kwargs):
        if not data:
            raise ValidationError("give a discount, rates or both")


class PriceListSchema(Strict):
    version = fields.String(
        required=True,
        validate=VERSION,
        error_messages={"invalid": 'write it in quotes, e.g. "2026.01"'},
    )
    effective_from = Moment(required=True)
    reason = fields.Nested(LocalizedText, required=True)
    # The keys and shapes depend on the vocabularies: check_terms checks them.
    rates = fields.Dict(keys=fields.Raw(), values=fields.Raw(), required=True)
    service_fee = fields.Dict(keys=fields.Raw(), values=fraction(), required=True)
    agency_kinds = fields.Dict(
        keys=fields.Raw(), values=fields.Nested(KindTerms), load_default=dict
    )
    agencies = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 40)),
        values=fields.Nested(AgencyTerms),
        load_default=dict,
    )


def _known(names):
    return f"known: {', '.join(sorted(names))}"


def _amount(value, where, errors):
    try:
        return str(parse_amount(value))
    except ValidationError as exc:
        errors.append((where, exc.messages[0]))
        return None


def _tiered(value, where, tiers, errors, complete):
    """{tier: amount}; one value stands for every tier."""
    if not isinstance(value, dict):
        amount = _amount(value, where, errors)
        return {} if amount is None else dict.fromkeys(sorted(tiers), amount)
    result = {}
    for tier, amount in value.items():
        if tier not in tiers:
            errors.append((f"{where}.{tier}", f"unknown SLA tier ({_known(tiers)})"))
        elif (amount := _amount(amount, f"{where}.{tier}", errors)) is not None:
            result[tier] = amount
    missing = sorted(tiers - value.keys())
    if complete and missing:
        errors.append((where, f"no rate for {', '.join(missing)}: give every tier, or one value"))
    return result


def _one_rate(value, tiers):
    """Whether a rate is one for every dimension: an amount, or amounts by tier."""
    return not isinstance(value, dict) or (bool(value) and value.keys() <= tiers)


def _rates(rates, path, metrics, tiers, errors, complete):
    """Rates as {metric: {tier: amount}} or {metric: {dimension: {tier: amount}}}.
    metrics: {metric: its dimension rule (billing.metrics.Metric.dimension_rule)}.
    complete: the list's own rates price every metric and tier; an agency's override some."""
    normalized = {}
    for metric, value in rates.items():
        where = f"{path}.{metric}"
        if metric not in metrics:
            errors.append((where, f"unknown metric ({_known(metrics)})"))
        elif not metrics[metric] or (metrics[metric] == "optional" and _one_rate(value, tiers)):
            normalized[metric] = _tiered(value, where, tiers, errors, complete)
        elif not isinstance(value, dict) or not value:
            errors.append((where, 'give a rate per dimension, e.g. {jy.small: "0.20"}'))
        else:
            normalized[metric] = {}
            for dimension, tiered in value.items():
                if (
                    not isinstance(dimension, str)
                    or not dimension
                    or dimension != dimension.strip()
                ):
                    errors.append((f"{where}.{dimension!r}", "a dimension is a non-empty name"))
                    continue
                normalized[metric][dimension] = _tiered(
                    tiered, f"{where}.{dimension}", tiers, errors, complete
                )
    if complete:
        for metric in sorted(metrics.keys() - rates.keys()):
            errors.append((f"{path}.{metric}", "no rate: a price list prices every metric"))
    return normalized


def check_terms(definition, *, metrics, tiers, agency_kinds, outsourcing_modes):
    """[(field, reason)] against the vocabularies, for the sections present (so a file
    with schema errors still hears about the rest); spreads a single rate over every tier
    (in place) so a stored definition means the same whatever the tiers become."""
    errors = []
    if "rates" in definition:
        definition["rates"] = _rates(definition["rates"], "rates", metrics, tiers, errors, True)
    for code, terms in definition.get("agencies", {}).items():
        if "rates" in terms:
            where = f"agencies.{code}.rates"
            terms["rates"] = _rates(terms["rates"], where, metrics, tiers, errors, False)
    if "service_fee" in definition:
        fees = definition["service_fee"]
        for mode in fees:
            if mode not in outsourcing_modes:
                known = _known(outsourcing_modes)
                errors.append((f"service_fee.{mode}", f"unknown outsourcing mode ({known})"))
        missing = sorted(outsourcing_modes - fees.keys())
        if missing:
            errors.append(("service_fee", f'no fee for {", ".join(missing)} (write "0" for none)'))
    for kind in definition.get("agency_kinds", {}):
        if kind not in agency_kinds:
            errors.append((f"agency_kinds.{kind}", f"unknown agency kind ({_known(agency_kinds)})"))
    return errors
