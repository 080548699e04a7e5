"""The SLA report of a period: per vendor (or the platform team), agency and SLA tier,
the incidents opened, how many met their response and resolution targets, and the
availability target against the lowest availability any resource achieved, with the
breaches. Incident figures are one GROUP BY; availability comes from the resources that
were down (portal.incidents.availability), every other resource being at 100%. A line's
target is its tier's as the vendor's contract sets it."""

from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from portal.billing.periods import month_bounds
from portal.core.errors import Forbidden
from portal.incidents.availability import outages
from portal.incidents.models import Incident
from portal.incidents.sla import sla_in_effect, terms_for
from portal.inventory.models import Resource
from portal.vendors.eligibility import contracts_in_force, today
from portal.vendors.permissions import can_read_scorecards


@dataclass
class SlaLine:
    vendor_id: int | None  # None: the platform team
    agency_id: int
    sla_tier: str
    incidents: int = 0
    response_met: int = 0
    resolution_met: int = 0
    availability_target: Decimal | None = None
    lowest_availability: Decimal = Decimal(100)
    availability_breaches: int = 0
    resources_down: list = field(default_factory=list)  # resource ids

    @property
    def breaches(self):
        return (
            (self.incidents - self.response_met)
            + (self.incidents - self.resolution_met)
            + self.availability_breaches
        )


def sla_report(session, actor, period, now=None):
    """[SlaLine] for the period (a portal.vendors.scorecards.Period), by vendor, agency
    and tier; vendor staff see their vendor's lines only."""
    if not (actor.sees_all_agencies or can_read_scorecards(actor, actor.vendor_id)):
        raise Forbidden(_l("SLA reports are for the platform team and each vendor's staff."))
    lines = {}

    def line(vendor_id, agency_id, tier):
        key = (vendor_id, agency_id, tier)
        if key not in lines:
            lines[key] = SlaLine(vendor_id, agency_id, tier)
        return lines[key]

    for vendor_id, agency_id, tier, total, response, resolution in session.execute(
        select(
            Incident.vendor_id,
            Incident.agency_id,
            Incident.sla_tier,
            func.count(),
            func.sum(case((Incident.response_breached, 0), else_=1)),
            func.sum(case((Incident.resolution_breached, 0), else_=1)),
        )
        .where(Incident.opened_at >= period.start, Incident.opened_at < period.end)
        .group_by(Incident.vendor_id, Incident.agency_id, Incident.sla_tier)
    ):
        found = line(vendor_id, agency_id, tier)
        found.incidents, found.response_met, found.resolution_met = (
            total,
            int(response),
            int(resolution),
        )
    _add_availability(session, period, now, line)
    definition = sla_in_effect(session, period.start)
    contracts = {
        contract.vendor_id: contract.number
        for contract in contracts_in_force(session, today(period.start))
    }
    for found in lines.values():
        if found.availability_target is None:
            terms = terms_for(definition, found.sla_tier, contracts.get(found.vendor_id))
            found.availability_target = Decimal(terms["availability"])
    rows = sorted(
        lines.values(),
        key=lambda found: (found.vendor_id or 0, found.agency_id, found.sla_tier),
    )
    if not actor.sees_all_agencies:
        rows = [found for found in rows if found.vendor_id == actor.vendor_id]
    return rows


def _add_availability(session, period, now, line):
    """Each month's down resources, held against the vendor of their P1 incidents."""
    for month in period.months:
        down = outages(session, month, now=now)
        if not down:
            continue
        start, end = month_bounds(month)
        handlers = dict(
            session.execute(
                select(Incident.resource_id, func.max(Incident.vendor_id))
                .where(
                    Incident.resource_id.in_(down),
                    Incident.priority == "P1",
                    Incident.opened_at < end,
                    (Incident.resolved_at.is_(None)) | (Incident.resolved_at > start),
                )
                .group_by(Incident.resource_id)
            ).all()
        )
        tiers = dict(
            session.execute(
                select(Resource.id, Resource.sla_tier).where(Resource.id.in_(down))
            ).all()
        )
        for resource_id, found in down.items():
            target = line(handlers.get(resource_id), found.agency_id, tiers[resource_id])
            target.availability_target = found.target
            target.lowest_availability = min(target.lowest_availability, found.achieved)
            target.resources_down.append(resource_id)
            if found.breached:
                target.availability_breaches += 1
