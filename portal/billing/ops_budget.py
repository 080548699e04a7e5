"""Next year's operations budget per business domain: the assets held now and the work
counted last year (incidents, succeeded maintenance runs, resources held), through
billing.ops_budget's two methods, side by side, for finance."""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from billing.ops_budget import Estimate, OpsBudgetInvalid, estimate, load_parameters
from portal.accounts.roles import Role
from portal.billing.periods import BILLING_ZONE, FIRST_YEAR, LAST_YEAR
from portal.core.errors import Conflict, Forbidden, InvalidInput
from portal.incidents.models import Incident
from portal.inventory.models import Resource
from portal.maintenance.models import MaintenanceRun, MaintenanceTarget
from portal.maintenance.states import RunState
from portal.tenancy.models import Agency
from portal.tenancy.vocabulary import BUSINESS_DOMAINS


@dataclass(frozen=True)
class DomainBudget:
    domain: str
    units: dict  # asset class → unit → quantity
    work: dict  # incident (by priority), maintenance_run, resource_year (by kind)
    estimate: Estimate


def can_view_ops_budget(user):
    return user.has_role(Role.FINANCE_OFFICER, Role.PLATFORM_OPERATOR, Role.AUDITOR, Role.ADMIN)


def ops_budget(session, actor, year):
    """(parameters, [DomainBudget] for every business domain) for `year`, from the assets
    held now and the work counted in the year before."""
    if not can_view_ops_budget(actor):
        raise Forbidden(_l("The operations budget is for finance and the platform team."))
    if not isinstance(year, int) or not FIRST_YEAR < year <= LAST_YEAR:
        raise InvalidInput(_l("Choose a year."), {"year": f"{FIRST_YEAR + 1}-{LAST_YEAR}"})
    try:
        parameters = load_parameters(current_app.config["OPS_BUDGET_FILE"])
    except OpsBudgetInvalid as invalid:
        raise Conflict(
            _l("The budget parameters are invalid: %(errors)s", errors="; ".join(invalid.errors))
        ) from None
    start = datetime(year - 1, 1, 1, tzinfo=BILLING_ZONE)
    end = datetime(year, 1, 1, tzinfo=BILLING_ZONE)
    units, held = _assets(session)
    incidents = _incidents(session, start, end)
    runs = _maintenance_runs(session, start, end)
    rows = []
    for domain in BUSINESS_DOMAINS:
        work = {
            "incident": incidents.get(domain, {}),
            "maintenance_run": runs.get(domain, 0),
            "resource_year": held.get(domain, {}),
        }
        domain_units = units.get(domain, {})
        rows.append(
            DomainBudget(domain, domain_units, work, estimate(domain_units, work, parameters))
        )
    return parameters, rows


def _assets(session):
    """domain → asset class → unit → quantity, and domain → kind → resources held."""
    units, held = {}, {}
    for domain, kind, size in session.execute(
        select(Agency.domain, Resource.kind, Resource.size)
        .join(Agency, Agency.id == Resource.agency_id)
        .where(Resource.deleted_at.is_(None))
    ):
        classes = units.setdefault(domain, {})
        for asset_class, unit, quantity in _units(kind, size):
            per_class = classes.setdefault(asset_class, {})
            per_class[unit] = per_class.get(unit, 0) + quantity
        kinds = held.setdefault(domain, {})
        kinds[kind] = kinds.get(kind, 0) + 1
    return units, held


def _units(kind, size):
    if kind == "vm":
        yield "compute", "vcpu", int(size.get("vcpus") or 0)
        yield "compute", "ram_gb", int(size.get("ram_gb") or 0)
        disk = int(size.get("root_disk_gb") or 0) + int(size.get("data_volume_gb") or 0)
        yield "storage", "disk_gb", disk
    elif kind == "volume":
        yield "storage", "disk_gb", int(size.get("size_gb") or 0)
    elif kind == "database":
        yield "database", "instance", 1
        yield "database", "storage_gb", int(size.get("storage_gb") or 0)


def _incidents(session, start, end):
    counted = {}
    for domain, priority, count in session.execute(
        select(Agency.domain, Incident.priority, func.count())
        .join(Agency, Agency.id == Incident.agency_id)
        .where(Incident.opened_at >= start, Incident.opened_at < end)
        .group_by(Agency.domain, Incident.priority)
    ):
        counted.setdefault(domain, {})[priority] = count
    return counted


def _maintenance_runs(session, start, end):
    """Succeeded runs for real (not their check runs), once per domain they touched."""
    return dict(
        session.execute(
            select(Agency.domain, func.count(func.distinct(MaintenanceRun.id)))
            .join(MaintenanceTarget, MaintenanceTarget.run_id == MaintenanceRun.id)
            .join(Agency, Agency.id == MaintenanceTarget.agency_id)
            .where(
                MaintenanceRun.mode == "apply",
                MaintenanceRun.state == RunState.SUCCEEDED,
                MaintenanceRun.finished_at >= start,
                MaintenanceRun.finished_at < end,
            )
            .group_by(Agency.domain)
        ).all()
    )
