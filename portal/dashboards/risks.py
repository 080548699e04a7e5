"""Unresolved incidents as of now: how many per priority, and those whose response or
resolution clock has used the SLA's escalation share or run out (the clock sweep's rule,
incidents.tasks), most urgent first. The clocks are computed per incident, as their
service calendars are not SQL; only the unresolved incidents are read."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.incidents.clocks import clocks_of
from portal.incidents.models import Incident
from portal.incidents.states import PRIORITIES, UNRESOLVED


@dataclass(frozen=True)
class AtRisk:
    """An unresolved incident and its most pressed clock: `clock` names it, `state` is
    its ClockState (breached, or warning at or past the escalation share)."""

    incident: Incident
    clock: str  # response | resolution
    state: object

    @property
    def urgency(self):
        # Seconds left on the clock, negative once over: the most overdue come first.
        return self.state.remaining


def open_by_priority(session, scope):
    counts = dict(
        session.execute(
            select(Incident.priority, func.count(Incident.id))
            .where(Incident.state.in_(UNRESOLVED), scope)
            .group_by(Incident.priority)
        ).all()
    )
    return {priority: counts.get(priority, 0) for priority in PRIORITIES}


def at_risk(session, scope, now):
    """Every unresolved incident with a running clock at or past the escalation share,
    the most overdue first, then the least time left."""
    found = []
    for incident in session.scalars(
        select(Incident)
        .options(
            selectinload(Incident.pauses),
            selectinload(Incident.agency),
            selectinload(Incident.vendor),
            selectinload(Incident.resource),
        )
        .where(Incident.state.in_(UNRESOLVED), scope)
    ):
        clocks = clocks_of(incident, now)
        running = [("resolution", clocks.resolution)]
        if incident.responded_at is None:
            running.append(("response", clocks.response))
        pressed = [(name, clock) for name, clock in running if clock.breached or clock.warning]
        if pressed:
            name, clock = min(pressed, key=lambda pair: pair[1].remaining)
            found.append(AtRisk(incident, name, clock))
    found.sort(key=lambda risk: (risk.urgency, risk.incident.priority, risk.incident.id))
    return found
