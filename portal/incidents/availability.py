"""A month's availability per resource, in the service hours of its SLA tier.

A resource is down while a P1 incident on it is unresolved, and while reconciliation
finds it missing from the cloud; the two overlap and are merged. Availability is the
share of the resource's service time in the month (from its creation to its deletion)
that it was not down; below its tier's target it is a breach, and the SLA's credit rule
gives the share of the month's charge credited to the agency. Target, calendar and credit
rule are the tier's as the contract of the vendor serving the resource (on the last day
of the month it lived) sets them.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from sqlalchemy import or_, select

from portal.billing.periods import month_bounds, month_of, previous_month
from portal.core.db import utcnow
from portal.core.errors import Conflict
from portal.incidents.clock import Pause, elapsed
from portal.incidents.models import Incident
from portal.incidents.sla import calendar_for, sla_in_effect, terms_for
from portal.inventory.models import LifecycleEvent, Resource
from portal.inventory.states import ResourceState
from portal.vendors.eligibility import contracts_in_force, responsibility, today

POINT = Decimal("0.1")  # credits count whole tenths of a percentage point
PLACES = Decimal("0.001")


@dataclass(frozen=True)
class Availability:
    resource_id: int
    agency_id: int
    sla_tier: str
    contract: str | None  # the number of the contract whose terms apply
    target: Decimal  # percent
    achieved: Decimal  # percent, rounded down to 3 places
    down_seconds: int  # service seconds
    service_seconds: int
    credit_share: Decimal  # of the month's charge; 0 when the target is met

    @property
    def breached(self):
        return self.achieved < self.target


def outages(session, month, resource_ids=None, now=None):
    """The month's availability of every resource that was down in it (those not
    listed were up all month). Only resources in `resource_ids`, when given."""
    start, end = month_bounds(month)
    end = min(end, now or utcnow())
    spans = _down_spans(session, start, end, resource_ids)
    if not spans:
        return {}
    definition = sla_in_effect(session, start)
    serving = _ServingContracts(session)
    results = {}
    for resource in session.scalars(select(Resource).where(Resource.id.in_(spans))):
        life_start = max(start, resource.created_at)
        life_end = min(end, resource.deleted_at or end)
        if life_end <= life_start:
            continue
        contract = serving.number(resource, today(life_end - timedelta(microseconds=1)))
        tier = terms_for(definition, resource.sla_tier, contract)
        calendar = calendar_for(definition, resource.sla_tier, contract)
        total = elapsed(calendar, life_start, life_end)
        # Down time is the service time of the month's life less what is left when the
        # down spans are taken out as pauses: overlapping spans count once.
        pauses = tuple(Pause(a, b) for a, b in spans[resource.id])
        down = total - elapsed(calendar, life_start, life_end, pauses)
        target = Decimal(tier["availability"])
        achieved = (
            (Decimal(100) * (total - down) / total).quantize(PLACES, ROUND_DOWN)
            if total
            else Decimal(100)
        )
        results[resource.id] = Availability(
            resource_id=resource.id,
            agency_id=resource.agency_id,
            sla_tier=resource.sla_tier,
            contract=contract,
            target=target,
            achieved=achieved,
            down_seconds=down,
            service_seconds=total,
            credit_share=_credit(tier["credit"], target, achieved),
        )
    return results


@dataclass(frozen=True)
class MonthAvailability:
    month: date  # its first day
    target: Decimal  # percent
    achieved: Decimal
    down_seconds: int  # service seconds
    credit_share: Decimal

    @property
    def breached(self):
        return self.achieved < self.target


def monthly_availability(session, resource, count=6, now=None):
    """[MonthAvailability] of the resource's last `count` months, this month so far
    first, back to its creation or to the first SLA definition."""
    now = now or utcnow()
    rows, month = [], month_of(now)
    for _ in range(count):
        start, end = month_bounds(month)
        if end <= resource.created_at:
            break
        try:
            definition = sla_in_effect(session, start)
        except Conflict:
            break  # before the first SLA definition nothing was promised
        if resource.deleted_at is None or resource.deleted_at > start:
            rows.append(_month_row(session, resource, month, definition, min(end, now), now))
        month = previous_month(month)
    return rows


def _month_row(session, resource, month, definition, until, now):
    found = outages(session, month, [resource.id], now).get(resource.id)
    if found is not None:
        return MonthAvailability(
            month, found.target, found.achieved, found.down_seconds, found.credit_share
        )
    contract = _ServingContracts(session).number(resource, today(until - timedelta(microseconds=1)))
    target = Decimal(terms_for(definition, resource.sla_tier, contract)["availability"])
    return MonthAvailability(month, target, Decimal(100), 0, Decimal(0))


class _ServingContracts:
    """The number of the contract under which a vendor serves a resource on a day (None:
    the platform team), with each day's contracts read once."""

    def __init__(self, session):
        self.session, self.by_day = session, {}

    def number(self, resource, day):
        if day not in self.by_day:
            self.by_day[day] = contracts_in_force(self.session, day)
        found = responsibility(self.by_day[day], resource.agency, resource.item.key)
        return found.contract.number if found.vendor is not None else None


def _credit(rule, target, achieved):
    if achieved >= target:
        return Decimal(0)
    points = ((target - achieved) / POINT).to_integral_value(ROUND_DOWN)
    return min(Decimal(rule["cap"]), Decimal(rule["per_point"]) * points)


def _down_spans(session, start, end, resource_ids):
    """resource id → [(from, to)] of P1 incidents and missing spans touching [start, end)."""
    spans = {}
    incidents = select(Incident.resource_id, Incident.opened_at, Incident.resolved_at).where(
        Incident.priority == "P1",
        Incident.resource_id.isnot(None),
        Incident.opened_at < end,
        or_(Incident.resolved_at.is_(None), Incident.resolved_at > start),
    )
    if resource_ids is not None:
        incidents = incidents.where(Incident.resource_id.in_(resource_ids))
    for resource_id, opened, resolved in session.execute(incidents):
        spans.setdefault(resource_id, []).append((max(opened, start), min(resolved or end, end)))
    for resource_id, began, ended in _missing_spans(session, start, end, resource_ids):
        spans.setdefault(resource_id, []).append((began, ended))
    return spans


def _missing_spans(session, start, end, resource_ids):
    """Spans between a `missing` lifecycle event and the resource's next event."""
    missing = select(LifecycleEvent.resource_id).where(
        LifecycleEvent.state == ResourceState.MISSING, LifecycleEvent.occurred_at < end
    )
    if resource_ids is not None:
        missing = missing.where(LifecycleEvent.resource_id.in_(resource_ids))
    events = session.execute(
        select(LifecycleEvent.resource_id, LifecycleEvent.occurred_at, LifecycleEvent.state)
        .where(LifecycleEvent.resource_id.in_(missing.distinct()))
        .order_by(LifecycleEvent.resource_id, LifecycleEvent.occurred_at, LifecycleEvent.id)
    ).all()
    for index, (resource_id, at, state) in enumerate(events):
        if state != ResourceState.MISSING:
            continue
        following = events[index + 1] if index + 1 < len(events) else None
        back = following[1] if following and following[0] == resource_id else end
        if back > start:
            yield resource_id, max(at, start), min(back, end)
