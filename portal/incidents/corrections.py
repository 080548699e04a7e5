"""Correcting when a clock stopped: the vendor answered by telephone at 10:05 but wrote
it in the portal at 10:40, or the fix was in before the note was written. Only the
platform team corrects, with the reason, and only within what happened: a clock never
moves before the incident was opened, before what came earlier (the response before a
resolution, a wait before a resolution after it), into the future, or past the closing.
The breach is judged again on the corrected time; the old and new times stay on the
timeline and in the audit log."""

from datetime import UTC, datetime

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l

from portal.accounts.roles import Role
from portal.billing.periods import BILLING_ZONE
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Forbidden, InvalidInput
from portal.incidents.models import IncidentEvent
from portal.incidents.service import get_incident

CLOCKS = {"response": "responded_at", "resolution": "resolved_at"}


def can_correct(user):
    return user.has_role(Role.PLATFORM_OPERATOR)


def correct_clock(session, actor, incident_id, clock, at, note, now=None):
    """Set when the response or the resolution happened. Only flushes."""
    now = now or utcnow()
    incident = get_incident(session, actor, incident_id)
    if not can_correct(actor):
        raise Forbidden(_l("Only the platform team corrects an incident's times."))
    if clock not in CLOCKS:
        raise InvalidInput(
            _l("Correct the response or the resolution time."), {"clock": _l("Choose one.")}
        )
    if not (note or "").strip():
        raise InvalidInput(_l("Say why the time is corrected."), {"note": _l("Required.")})
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise InvalidInput(_l("Give the date and time."), {"at": _l("Required.")})
    stamp = CLOCKS[clock]
    was = getattr(incident, stamp)
    if was is None:
        raise Conflict(
            _l("This clock has not stopped yet: there is no time to correct.")
            if clock == "response"
            else _l("The incident is not resolved: there is no resolution time to correct.")
        )
    _check_order(incident, clock, at, now)
    setattr(incident, stamp, at)
    if clock == "response":
        incident.response_breached = incident.response_due_at < at
    else:
        due = incident.resolution_due_at
        incident.resolution_breached = due is not None and due < at
    reason = note.strip()
    incident.events.append(
        IncidentEvent(
            occurred_at=now,
            actor_id=actor.id,
            action=f"correct_{clock}",
            state=incident.state,
            note=f"{_local(was)} → {_local(at)}: {reason}",
        )
    )
    audit.record(
        session,
        actor,
        f"incident.correct_{clock}",
        "incident",
        incident.id,
        agency_id=incident.agency_id,
        before={stamp: was.astimezone(UTC).isoformat()},
        after={stamp: at.astimezone(UTC).isoformat()},
        note=reason,
    )
    session.flush()
    return incident


def _check_order(incident, clock, at, now):
    """The corrected time within what came before and after it, or the reason why not."""
    earliest = [(incident.opened_at, _l("before the incident was opened"))]
    latest = [(now, _l("in the future"))]
    if clock == "response":
        if incident.resolved_at is not None:
            latest.append((incident.resolved_at, _l("after the resolution")))
        if incident.pauses:
            latest.append((incident.pauses[0].started_at, _l("after the incident first waited")))
    else:
        if incident.responded_at is not None:
            earliest.append((incident.responded_at, _l("before the response")))
        if incident.pauses and incident.pauses[-1].ended_at is not None:
            earliest.append((incident.pauses[-1].ended_at, _l("before the last wait ended")))
        if incident.closed_at is not None:
            latest.append((incident.closed_at, _l("after the incident was closed")))
    for bound, why in earliest:
        if at < bound:
            raise InvalidInput(_refused(why, bound), {"at": _refused(why, bound)})
    for bound, why in latest:
        if at > bound:
            raise InvalidInput(_refused(why, bound), {"at": _refused(why, bound)})


def _refused(why, bound):
    return _l(
        "A clock cannot be set %(why)s (%(when)s).", why=why, when=format_datetime(bound, "short")
    )


def _local(moment):
    """As the timeline keeps it for everyone: the district's time."""
    return moment.astimezone(BILLING_ZONE).strftime("%Y-%m-%d %H:%M")
