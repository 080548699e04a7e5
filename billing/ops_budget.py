"""The operations budget's two methods, as pure functions of counted assets and work and
the parameters in billing/ops_budget.yaml (validated here: a bad file is refused with
each field and reason, nothing computed).

Asset-proportion coefficient method: Σ per asset class of (Σ units × unit value) ×
the class's coefficient. Workload method: (Σ incidents by priority × hours + maintenance
runs × hours + resources by kind × hours a year) × the hourly rate. Both round half up
to the yuan's fen once, per domain and method.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import yaml
from marshmallow import ValidationError, fields, validate

from billing.price_schema import Amount
from catalog.loader import error_paths
from catalog.schema import LocalizedText, Strict

PARAMETERS = Path(__file__).parent / "ops_budget.yaml"
CENT = Decimal("0.01")
UNITS = {
    "compute": {"vcpu", "ram_gb"},
    "storage": {"disk_gb"},
    "database": {"instance", "storage_gb"},
}
PRIORITIES = ("P1", "P2", "P3", "P4")
KINDS = ("vm", "volume", "database")


class OpsBudgetInvalid(Exception):
    def __init__(self, errors):
        super().__init__("; ".join(errors))
        self.errors = errors


class AssetClass(Strict):
    label = fields.Nested(LocalizedText, required=True)
    coefficient = Amount(below=1, required=True)
    unit_values = fields.Dict(keys=fields.String(), values=Amount(), required=True)


class Effort(Strict):
    incident = fields.Dict(
        keys=fields.String(validate=validate.OneOf(PRIORITIES)), values=Amount(), required=True
    )
    maintenance_run = Amount(required=True)
    resource_year = fields.Dict(
        keys=fields.String(validate=validate.OneOf(KINDS)), values=Amount(), required=True
    )


class ParametersSchema(Strict):
    reason = fields.Nested(LocalizedText, required=True)
    asset_classes = fields.Dict(
        keys=fields.String(validate=validate.OneOf(sorted(UNITS))),
        values=fields.Nested(AssetClass),
        required=True,
    )
    hourly_rate = Amount(required=True)
    unit_effort = fields.Nested(Effort, required=True)


def load_parameters(path=PARAMETERS):
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        parameters = ParametersSchema().load(raw if isinstance(raw, dict) else {})
    except yaml.YAMLError as error:
        raise OpsBudgetInvalid([f"{Path(path).name}: not valid YAML: {error}"]) from None
    except ValidationError as error:
        raise OpsBudgetInvalid(
            [
                f"{Path(path).name}: {field}: {reason}"
                for field, reason in error_paths(error.messages)
            ]
        ) from None
    problems = [
        f"{Path(path).name}: asset_classes.{name}.unit_values: unknown unit {unit}"
        for name, spec in parameters["asset_classes"].items()
        for unit in spec["unit_values"]
        if unit not in UNITS[name]
    ]
    if problems:
        raise OpsBudgetInvalid(problems)
    return parameters


@dataclass(frozen=True)
class Estimate:
    asset_value: Decimal  # the assets' value, by the unit values
    asset_amount: Decimal  # the coefficient method's budget
    hours: Decimal  # the workload method's hours
    workload_amount: Decimal  # the workload method's budget


def estimate(units, work, parameters):
    """units: {class: {unit: quantity}}; work: {"incident": {priority: n},
    "maintenance_run": n, "resource_year": {kind: n}} → Estimate."""
    value = amount = Decimal(0)
    for name, spec in parameters["asset_classes"].items():
        worth = _weighted(units.get(name, {}), spec["unit_values"])
        value += worth
        amount += worth * Decimal(spec["coefficient"])
    effort = parameters["unit_effort"]
    hours = (
        _weighted(work["incident"], effort["incident"])
        + Decimal(work["maintenance_run"]) * Decimal(effort["maintenance_run"])
        + _weighted(work["resource_year"], effort["resource_year"])
    )
    return Estimate(
        asset_value=value.quantize(CENT, ROUND_HALF_UP),
        asset_amount=amount.quantize(CENT, ROUND_HALF_UP),
        hours=hours.quantize(CENT, ROUND_HALF_UP),
        workload_amount=(hours * Decimal(parameters["hourly_rate"])).quantize(CENT, ROUND_HALF_UP),
    )


def _weighted(counts, weights):
    """Σ count × weight over the weights' keys (a missing count is 0)."""
    return sum(
        (Decimal(counts.get(key, 0)) * Decimal(weight) for key, weight in weights.items()),
        Decimal(0),
    )
