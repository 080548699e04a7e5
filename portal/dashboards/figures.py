"""The operations overview's figures, computed by a few aggregate queries.

For the chosen month (Asia/Shanghai, as billing's): the failure rate of each resource
kind, platform-wide and per vendor, and the weakest spots over the three months ending
with it. As of now: the unresolved incidents by priority, those whose response or
resolution clock has used the SLA's escalation share or run out, and the certificates
that expire within the notice period or have lapsed while their technician can still
sign in.

Failure rate: incidents opened in the month on resources of a kind, per 100 resources of
that kind alive in the month (created before its end, not deleted before its start, not
failed at provisioning). Platform-wide every resource counts; a vendor's row counts the
incidents handled by the vendor against the resources it serves (eligibility's rule, on
the contracts in force at the month's end).

Vendor staff get their vendor's part only (permissions.vendor_scope); the clocks of the
unresolved incidents are the one thing computed per row, as their service calendars are
not SQL.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, true

from portal.billing.periods import month_bounds, next_month, previous_month
from portal.catalog.models import CatalogItem
from portal.core.db import utcnow
from portal.core.errors import Forbidden
from portal.dashboards import certificates, risks
from portal.dashboards.permissions import can_view_operations, vendor_scope
from portal.incidents.models import Incident
from portal.incidents.permissions import incident_scope
from portal.inventory.models import Resource
from portal.inventory.states import ResourceState
from portal.tenancy.models import Agency
from portal.vendors.eligibility import contracts_in_force, responsibility, today
from portal.vendors.models import Vendor

AT_RISK_SHOWN = 20
WEAK_MONTHS = 3
WEAK_SHOWN = 10
CENT = Decimal("0.01")


@dataclass(frozen=True)
class FailureRate:
    """One kind's month (kind None: all kinds) platform-wide (vendor None) or a vendor's."""

    kind: str | None
    incidents: int
    resources: int
    vendor: Vendor | None = None

    @property
    def vendor_id(self):
        return self.vendor.id if self.vendor is not None else None

    @property
    def rate(self):
        """Incidents per 100 resources, to two places; None when none was alive."""
        if not self.resources:
            return None
        return (Decimal(100) * self.incidents / self.resources).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Count:
    """Incidents of the weakness window on one kind, catalog item or resource."""

    subject: object  # a kind (str), a CatalogItem or a Resource
    incidents: int


@dataclass(frozen=True)
class Dashboard:
    month: date
    vendor_id: int | None  # None: the whole platform
    kind_rates: list  # [FailureRate] platform-wide per kind; empty for vendor staff
    vendor_rates: list  # [FailureRate] per vendor and kind
    vendor_totals: list  # [FailureRate] per vendor, all kinds
    open_by_priority: dict  # priority → unresolved incidents
    at_risk: list  # [AtRisk], most urgent first, at most AT_RISK_SHOWN
    at_risk_total: int
    breached_total: int
    expiring: list  # [Certificate] expiring within the notice period, soonest first
    lapsed: list  # [Lapsed]
    weak_from: date  # the weakness window: the WEAK_MONTHS months from this one to `month`
    weak_since: datetime  # its bounds in UTC
    weak_until: datetime
    weak_kinds: list  # [Count]
    weak_items: list
    weak_resources: list

    @property
    def open_total(self):
        return sum(self.open_by_priority.values())


def operations_dashboard(session, actor, month, now=None):
    """The overview for `month` (a date, its first day) as `actor` may see it."""
    if not can_view_operations(actor):
        raise Forbidden(_l("The operations overview is for the platform team and vendors."))
    now = now or utcnow()
    vendor_id = vendor_scope(actor)
    start, end = month_bounds(month)
    scope = incident_scope(actor, Incident)
    kind_rates, vendor_rates, vendor_totals = _failure_rates(
        session, month, start, end, scope, vendor_id
    )
    at_risk = risks.at_risk(session, scope, now)
    first = month
    for _ in range(WEAK_MONTHS - 1):
        first = previous_month(first)
    weak_since = month_bounds(first)[0]
    weak = _weakest(session, scope, weak_since, end)
    day = today(now)
    return Dashboard(
        month=month,
        vendor_id=vendor_id,
        kind_rates=kind_rates,
        vendor_rates=vendor_rates,
        vendor_totals=vendor_totals,
        open_by_priority=risks.open_by_priority(session, scope),
        at_risk=at_risk[:AT_RISK_SHOWN],
        at_risk_total=len(at_risk),
        breached_total=sum(1 for risk in at_risk if risk.state.breached),
        expiring=certificates.expiring(session, vendor_id, day),
        lapsed=certificates.lapsed(session, vendor_id, day),
        weak_from=first,
        weak_since=weak_since,
        weak_until=end,
        **weak,
    )


# ------------------------------------------------------------------ failure rates


def _alive(start, end):
    return and_(
        Resource.created_at < end,
        or_(Resource.deleted_at.is_(None), Resource.deleted_at >= start),
        Resource.state != ResourceState.FAILED,
    )


def _failure_rates(session, month, start, end, scope, vendor_id):
    incidents = {}  # (vendor id or None, kind) → incidents opened in the month
    for vendor, kind, count in session.execute(
        select(Incident.vendor_id, Resource.kind, func.count(Incident.id))
        .join(Resource, Resource.id == Incident.resource_id)
        .where(Incident.opened_at >= start, Incident.opened_at < end, scope)
        .group_by(Incident.vendor_id, Resource.kind)
    ):
        incidents[vendor, kind] = count
    kind_rates = _kind_rates(session, start, end, incidents) if vendor_id is None else []
    vendors = session.scalars(
        select(Vendor)
        .where(true() if vendor_id is None else Vendor.id == vendor_id)
        .order_by(Vendor.code)
    ).all()
    served = _served(session, month, start, end)
    vendor_rates, vendor_totals = [], []
    for vendor in vendors:
        kinds = sorted(
            {kind for (v, kind) in served if v == vendor.id}
            | {kind for (v, kind) in incidents if v == vendor.id}
        )
        rows = [
            FailureRate(
                kind,
                incidents.get((vendor.id, kind), 0),
                served.get((vendor.id, kind), 0),
                vendor,
            )
            for kind in kinds
        ]
        vendor_rates.extend(rows)
        vendor_totals.append(
            FailureRate(
                None,
                sum(row.incidents for row in rows),
                sum(row.resources for row in rows),
                vendor,
            )
        )
    return kind_rates, vendor_rates, _worst_first(vendor_totals)


def _kind_rates(session, start, end, incidents):
    """Platform-wide: every incident of the month against every resource in service."""
    alive = dict(
        session.execute(
            select(Resource.kind, func.count(Resource.id))
            .where(_alive(start, end))
            .group_by(Resource.kind)
        ).all()
    )
    by_kind = {}
    for (_vendor, kind), count in incidents.items():
        by_kind[kind] = by_kind.get(kind, 0) + count
    return _worst_first(
        FailureRate(kind, by_kind.get(kind, 0), alive.get(kind, 0))
        for kind in set(alive) | set(by_kind)
    )


def _worst_first(rates):
    return sorted(rates, key=lambda r: (-(r.rate or 0), -r.incidents, r.kind or ""))


def _served(session, month, start, end):
    """(vendor id, kind) → resources alive in the month that a vendor serves under the
    contracts in force on the month's last day (today, for the current month): the
    resources are counted per agency and service in SQL, and each count goes to whoever
    eligibility.responsibility says operates that agency's service."""
    day = min(_last_day(month), today())
    contracts = contracts_in_force(session, day)
    if not contracts:
        return {}
    agencies = {agency.id: agency for agency in session.scalars(select(Agency))}
    served = {}
    for agency_id, service, kind, count in session.execute(
        select(Resource.agency_id, CatalogItem.key, Resource.kind, func.count(Resource.id))
        .join(CatalogItem, CatalogItem.id == Resource.item_id)
        .where(_alive(start, end))
        .group_by(Resource.agency_id, CatalogItem.key, Resource.kind)
    ):
        vendor = responsibility(contracts, agencies[agency_id], service).vendor
        if vendor is not None:
            served[vendor.id, kind] = served.get((vendor.id, kind), 0) + count
    return served


def _last_day(month):
    return next_month(month) - timedelta(days=1)


# ------------------------------------------------------------------ weakest spots


def _weakest(session, scope, start, end):
    """The kinds, catalog items and resources with the most incidents opened in the
    window, most first."""
    window = and_(
        Incident.opened_at >= start, Incident.opened_at < end, Incident.resource_id.isnot(None)
    )
    count = func.count(Incident.id).label("incidents")

    def counted(column, limit=None):
        query = (
            select(column, count)
            .join(Resource, Resource.id == Incident.resource_id)
            .where(window, scope)
            .group_by(column)
            .order_by(count.desc(), column)
        )
        return session.execute(query.limit(limit) if limit else query).all()

    kinds = [Count(kind, n) for kind, n in counted(Resource.kind)]
    by_item = counted(Resource.item_id)
    items = _by_id(session, CatalogItem, [item_id for item_id, _ in by_item])
    by_resource = counted(Resource.id, WEAK_SHOWN)
    resources = _by_id(session, Resource, [resource_id for resource_id, _ in by_resource])
    return {
        "weak_kinds": kinds,
        "weak_items": [Count(items[item_id], n) for item_id, n in by_item],
        "weak_resources": [Count(resources[rid], n) for rid, n in by_resource],
    }


def _by_id(session, model, ids):
    if not ids:
        return {}
    return {row.id: row for row in session.scalars(select(model).where(model.id.in_(ids)))}
