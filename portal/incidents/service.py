"""Incidents: opened on an agency's resource, handled by the responsible vendor's
certified technicians (or the platform team) under the SLA clocks of the resource's
tier, resolved with a note, confirmed or reopened by the agency."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.accounts.roles import Role
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.core.paging import page_of
from portal.incidents.clocks import refresh_due
from portal.incidents.models import Incident, IncidentEvent, IncidentPause
from portal.incidents.notices import handlers, reporters
from portal.incidents.permissions import (
    can_assign,
    can_view_incident,
    incident_scope,
    is_agency_side,
)
from portal.incidents.sla import sla_in_effect
from portal.incidents.states import PRIORITIES, TRANSITIONS, UNRESOLVED, IncidentState
from portal.inventory.models import Resource
from portal.inventory.permissions import can
from portal.notifications.service import notify
from portal.tenancy.models import Agency
from portal.tenancy.permissions import can_view_agency
from portal.vendors.eligibility import Eligibility, licensed, responsible_vendor, today
from portal.vendors.models import Technician

DEFAULT_TIER = "standard"  # an incident on no particular resource
MAX_TITLE = 200


def list_incidents(session, actor, *, state=None, page=1, per_page=50):
    """The incidents the user may see, newest first, and how many there are."""
    conditions = [incident_scope(actor, Incident)]
    if state is not None:
        conditions.append(Incident.state == state)
    total = session.scalar(select(func.count()).select_from(Incident).where(*conditions))
    rows = session.scalars(
        page_of(
            select(Incident)
            .where(*conditions)
            .order_by(Incident.opened_at.desc(), Incident.id.desc()),
            page,
            per_page,
        )
    ).all()
    return rows, total


def get_incident(session, actor, incident_id):
    incident = session.get(Incident, incident_id)
    if incident is None or not can_view_incident(actor, incident):
        raise NotFound(_l("No such incident."))
    return incident


def open_incident(
    session,
    actor,
    *,
    priority,
    title,
    description="",
    resource_id=None,
    agency_id=None,
    now=None,
):
    """Agency staff open incidents on their resources (or their agency), the platform
    team on any; `actor` None is the reconciler. Only flushes."""
    now = now or utcnow()
    resource, agency = _subject(session, actor, resource_id, agency_id)
    errors = {}
    if priority not in PRIORITIES:
        errors["priority"] = _l("Choose P1, P2, P3 or P4.")
    title = (title or "").strip()
    if not title or len(title) > MAX_TITLE:
        errors["title"] = _l("Say what is wrong, in at most 200 characters.")
    if errors:
        raise InvalidInput(_l("The incident cannot be opened."), errors)
    service = resource.item.key if resource is not None else None
    responsible = responsible_vendor(session, agency, service, today(now))
    incident = Incident(
        agency=agency,
        resource=resource,
        source=_source(actor),
        priority=priority,
        title=title,
        description=(description or "").strip(),
        state=IncidentState.OPEN,
        vendor=responsible.vendor,
        contract=responsible.contract if responsible.vendor is not None else None,
        sla_tier=resource.sla_tier if resource is not None else DEFAULT_TIER,
        sla_definition=sla_in_effect(session, now),
        opened_by_id=actor.id if actor is not None else None,
        opened_at=now,
    )
    session.add(incident)
    refresh_due(incident)
    _event(incident, actor, "opened", now, note=responsible.basis)
    audit.record(
        session,
        actor,
        "incident.open",
        "incident",
        incident,
        agency_id=agency.id,
        after={"priority": priority, "title": title, "vendor_id": incident.vendor_id},
    )
    session.flush()
    notify(
        session,
        handlers(session, incident),
        _l("New incident %(number)s (%(priority)s): %(title)s"),
        link=f"/incidents/{incident.id}",
        number=incident.number,
        priority=priority,
        title=title,
    )
    return incident


def assign(session, actor, incident_id, technician_id, now=None):
    """A vendor's manager (or the platform team) names the technician; only one
    licensed to work on this agency's resources may be named."""
    now = now or utcnow()
    incident = get_incident(session, actor, incident_id)
    if not can_assign(actor, incident):
        raise Forbidden(_l("Only the vendor's manager or the platform team assigns work."))
    if incident.vendor_id is None:
        raise Conflict(_l("The platform team handles this incident itself."))
    if incident.state not in UNRESOLVED:
        raise Conflict(_l("The incident is resolved: there is nothing left to assign."))
    technician = session.get(Technician, technician_id)
    if technician is None or technician.vendor_id != incident.vendor_id:
        raise InvalidInput(
            _l("Choose a technician of the responsible vendor."),
            {"technician_id": _l("Not one of the vendor's technicians.")},
        )
    allowed = _eligibility(session, technician, incident, now)
    if not allowed.allowed:
        raise InvalidInput(
            _l("%(name)s cannot be assigned: %(why)s", name=technician.name, why=allowed.reason),
            {"technician_id": allowed.reason},
        )
    before = incident.technician_id
    incident.technician = technician
    _event(incident, actor, "assigned", now, note=technician.name)
    _audit(
        session,
        actor,
        incident,
        "assign",
        {"technician_id": before},
        {"technician_id": technician.id},
    )
    if technician.user is not None:
        notify(
            session,
            [technician.user],
            _l("Incident %(number)s is assigned to you: %(title)s"),
            link=f"/incidents/{incident.id}",
            number=incident.number,
            title=incident.title,
        )
    session.flush()
    return incident


def respond(session, actor, incident_id, note=None, now=None):
    """The first response: the response clock stops, the resolution clock runs on."""
    now = now or utcnow()
    incident = _for_worker(session, actor, incident_id, now)
    _move(incident, IncidentState.ACKNOWLEDGED, IncidentState.OPEN)
    incident.responded_at = now
    incident.response_breached = incident.response_due_at < now
    _claim(session, actor, incident)
    return _changed(session, actor, incident, "respond", now, note)


def wait_on_agency(session, actor, incident_id, note, now=None):
    """The resolution clock stands still until the agency answers."""
    now = now or utcnow()
    incident = _for_worker(session, actor, incident_id, now)
    _required(note, _l("Say what the agency must provide."))
    _move(incident, IncidentState.WAITING, IncidentState.ACKNOWLEDGED)
    incident.pauses.append(IncidentPause(started_at=now, reason="waiting"))
    _changed(session, actor, incident, "wait", now, note)
    notify(
        session,
        reporters(session, incident),
        _l("Incident %(number)s waits on you: %(note)s"),
        link=f"/incidents/{incident.id}",
        number=incident.number,
        note=note.strip(),
    )
    return incident


def resume(session, actor, incident_id, note, now=None):
    """The agency answered (or the technician goes on): the resolution clock runs again."""
    now = now or utcnow()
    incident = get_incident(session, actor, incident_id)
    if not is_agency_side(actor, incident):
        incident = _for_worker(session, actor, incident_id, now)
    _required(note, _l("Give the answer the incident waited for."))
    _move(incident, IncidentState.ACKNOWLEDGED, IncidentState.WAITING)
    incident.pauses[-1].ended_at = now
    return _changed(session, actor, incident, "resume", now, note)


def resolve(session, actor, incident_id, note, now=None):
    now = now or utcnow()
    incident = _for_worker(session, actor, incident_id, now)
    _required(note, _l("Say what was wrong and what was done: the agency reads it."))
    _move(incident, IncidentState.RESOLVED, IncidentState.ACKNOWLEDGED)
    incident.resolved_at = now
    incident.resolution_note = note.strip()
    incident.resolution_breached = incident.resolution_breached or (
        incident.resolution_due_at is not None and incident.resolution_due_at < now
    )
    _changed(session, actor, incident, "resolve", now, note)
    notify(
        session,
        reporters(session, incident),
        _l("Incident %(number)s is resolved: please confirm or reopen it"),
        link=f"/incidents/{incident.id}",
        number=incident.number,
    )
    return incident


def close(session, actor, incident_id, note=None, now=None):
    """The agency confirms the resolution (or the platform team closes it for them)."""
    now = now or utcnow()
    incident = get_incident(session, actor, incident_id)
    if not (is_agency_side(actor, incident) or actor.has_role(Role.PLATFORM_OPERATOR)):
        raise Forbidden(_l("The agency confirms a resolution, or the platform team."))
    _move(incident, IncidentState.CLOSED, IncidentState.RESOLVED)
    incident.closed_at = now
    return _changed(session, actor, incident, "close", now, note)


def reopen(session, actor, incident_id, note, now=None):
    """The fix did not hold: back to work, the clock counting on from where it stopped."""
    now = now or utcnow()
    incident = get_incident(session, actor, incident_id)
    if not is_agency_side(actor, incident):
        raise Forbidden(_l("The agency that reported the incident reopens it."))
    _required(note, _l("Say what is still wrong."))
    _move(incident, IncidentState.ACKNOWLEDGED, IncidentState.RESOLVED)
    incident.pauses.append(
        IncidentPause(started_at=incident.resolved_at, ended_at=now, reason="reopened")
    )
    incident.resolved_at = None
    _changed(session, actor, incident, "reopen", now, note)
    notify(
        session,
        handlers(session, incident),
        _l("Incident %(number)s was reopened: %(note)s"),
        link=f"/incidents/{incident.id}",
        number=incident.number,
        note=note.strip(),
    )
    return incident


def comment(session, actor, incident_id, note, now=None):
    """The agency, those who work on or assign the incident, and the platform team
    write on its timeline; read-only roles only read it."""
    incident = get_incident(session, actor, incident_id)
    involved = (
        is_agency_side(actor, incident)
        or can_assign(actor, incident)
        or may_work(session, actor, incident, now)[0]
    )
    if not involved:
        raise Forbidden(_l("Only those involved in the incident comment on it."))
    if incident.state == IncidentState.CLOSED:
        raise Conflict(_l("The incident is closed: open a new one if the fault is back."))
    _required(note, _l("Write the comment."))
    _event(incident, actor, "comment", now or utcnow(), note=note.strip())
    session.flush()
    return incident


def may_work(session, user, incident, now=None):
    """(allowed, reason): the platform team works on what it operates itself; a
    vendor's incident only its technicians licensed for this agency today."""
    if incident.vendor_id is None:
        if user.has_role(Role.PLATFORM_OPERATOR):
            return True, None
        return False, _l("The platform team handles this incident.")
    technician = session.scalar(select(Technician).where(Technician.user_id == user.id))
    if technician is None or technician.vendor_id != incident.vendor_id:
        return False, _l("Only the responsible vendor's technicians work on this incident.")
    allowed = _eligibility(session, technician, incident, now or utcnow())
    return allowed.allowed, allowed.reason


def _for_worker(session, actor, incident_id, now):
    incident = get_incident(session, actor, incident_id)
    allowed, reason = may_work(session, actor, incident, now)
    if not allowed:
        raise Forbidden(reason)
    return incident


def _eligibility(session, technician, incident, now):
    """The incident stays with the vendor it was given to, even if a contract changes
    meanwhile: its technician needs that vendor and a valid certificate."""
    if technician.vendor_id != incident.vendor_id:
        return Eligibility(
            False, _l("Only the responsible vendor's technicians work on this incident.")
        )
    return licensed(technician, incident.agency, day=today(now))


def _claim(session, actor, incident):
    """A technician who responds to an unassigned incident takes it."""
    if incident.technician_id is None and incident.vendor_id is not None:
        incident.technician = session.scalar(
            select(Technician).where(Technician.user_id == actor.id)
        )


def _subject(session, actor, resource_id, agency_id):
    if actor is not None and not (actor.is_agency_user or actor.has_role(Role.PLATFORM_OPERATOR)):
        raise Forbidden(_l("Incidents are opened by agency staff and the platform team."))
    if resource_id is not None:
        resource = session.get(Resource, resource_id)
        if resource is None or (actor is not None and not can(actor, resource, "view")):
            raise NotFound(_l("No such resource."))
        return resource, resource.agency
    agency = session.get(Agency, agency_id) if agency_id is not None else None
    if agency is None and actor is not None and actor.is_agency_user:
        agency = actor.agency
    if agency is None or (actor is not None and not can_view_agency(actor, agency)):
        raise NotFound(_l("No such agency."))
    return None, agency


def _source(actor):
    if actor is None:
        return "reconciler"
    return "agency" if actor.is_agency_user else "platform"


def _move(incident, target, source):
    if incident.state != source or target not in TRANSITIONS[IncidentState(source)]:
        raise Conflict(
            _l(
                "The incident is %(state)s: this cannot be done now. Reload the page.",
                state=incident.incident_state.label,
            )
        )
    incident.state = target


def _required(note, message):
    if not (note or "").strip():
        raise InvalidInput(message, {"note": _l("Required.")})


def _changed(session, actor, incident, action, now, note):
    before = {"state": incident.state}
    refresh_due(incident)
    _event(incident, actor, action, now, note=(note or "").strip() or None)
    _audit(session, actor, incident, action, before, {"state": incident.state})
    session.flush()
    return incident


def _event(incident, actor, action, now, note=None):
    incident.events.append(
        IncidentEvent(
            occurred_at=now,
            actor_id=actor.id if actor is not None else None,
            action=action,
            state=incident.state,
            note=note,
        )
    )


def _audit(session, actor, incident, action, before, after):
    audit.record(
        session,
        actor,
        f"incident.{action}",
        "incident",
        incident.id,
        agency_id=incident.agency_id,
        before=before,
        after=after,
    )
