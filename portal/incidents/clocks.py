"""An incident's response and resolution clocks, from its SLA revision's calendar and
targets as the contract it was opened under sets them: the response clock runs from
opening to the first response; the resolution clock from opening to resolution, standing
still while the incident waits on the agency (and between a resolution and its
reopening)."""

from dataclasses import dataclass

from portal.core.db import utcnow
from portal.incidents.clock import ClockState, Pause, due, state
from portal.incidents.sla import calendar_for, targets_for, warn_at


@dataclass(frozen=True)
class Clocks:
    response: ClockState
    resolution: ClockState


def clocks_of(incident, now=None):
    now = now or utcnow()
    definition = incident.sla_definition
    tier, contract = incident.sla_tier, incident.contract_number
    calendar = calendar_for(definition, tier, contract)
    response, resolution = targets_for(definition, tier, incident.priority, contract)
    share = warn_at(definition)
    return Clocks(
        response=state(
            calendar,
            incident.opened_at,
            response,
            min(incident.responded_at or now, now),
            warn_at=share,
        ),
        resolution=state(
            calendar,
            incident.opened_at,
            resolution,
            min(incident.resolved_at or now, now),
            _pauses(incident),
            warn_at=share,
        ),
    )


def refresh_due(incident):
    """Set when each clock runs out; the resolution's is None while a pause is open."""
    definition = incident.sla_definition
    tier, contract = incident.sla_tier, incident.contract_number
    calendar = calendar_for(definition, tier, contract)
    response, resolution = targets_for(definition, tier, incident.priority, contract)
    incident.response_due_at = due(calendar, incident.opened_at, response)
    incident.resolution_due_at = due(calendar, incident.opened_at, resolution, _pauses(incident))


def _pauses(incident):
    return tuple(Pause(pause.started_at, pause.ended_at) for pause in incident.pauses)
