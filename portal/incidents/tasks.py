"""The SLA clock sweep for Celery beat, under its lock: a clock that ran out is a
breach, recorded once; an incident whose clock passed the SLA's warning share is
escalated to the vendor's managers and the platform team, once."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User, UserRole
from portal.accounts.roles import Role
from portal.core.db import utcnow
from portal.core.locks import locked
from portal.extensions import celery, db
from portal.incidents.clocks import clocks_of
from portal.incidents.models import Incident, IncidentEvent
from portal.incidents.notices import handlers
from portal.incidents.states import UNRESOLVED, IncidentState
from portal.notifications.service import notify

SWEEP = "portal.incidents.sweep"
BREACHED = _l("Incident %(number)s breached its %(clock)s target: %(title)s")
ESCALATED = _l("Incident %(number)s has used %(share)s%% of its %(clock)s time: %(title)s")
CLOCK_NAMES = {"response": _l("response"), "resolution": _l("resolution")}


def sweep_clocks(session, now=None):
    """Returns [(incident number, what happened)]. Only flushes."""
    now = now or utcnow()
    happened = []
    for incident in session.scalars(select(Incident).where(Incident.state.in_(UNRESOLVED))):
        clocks = clocks_of(incident, now)
        running = {"resolution": clocks.resolution}
        if incident.state == IncidentState.OPEN:
            running["response"] = clocks.response
        for name, clock in running.items():
            flag = f"{name}_breached"
            if clock.breached and not getattr(incident, flag):
                setattr(incident, flag, True)
                _tell(session, incident, now, f"{name}_breached", BREACHED, name)
                happened.append((incident.number, f"{name} breached"))
        warned = [name for name, clock in running.items() if clock.warning]
        if warned and incident.escalated_at is None:
            incident.escalated_at = now
            share = round(getattr(clocks, warned[0]).fraction * 100)
            _tell(session, incident, now, "escalated", ESCALATED, warned[0], share=share)
            happened.append((incident.number, "escalated"))
    session.flush()
    return happened


def _tell(session, incident, now, action, message, clock, **params):
    incident.events.append(
        IncidentEvent(occurred_at=now, action=action, state=incident.state, note=clock)
    )
    operators = select(UserRole.user_id).where(UserRole.role == Role.PLATFORM_OPERATOR)
    people = {user.id: user for user in handlers(session, incident)}
    people.update(
        (user.id, user)
        for user in session.scalars(select(User).where(User.is_enabled, User.id.in_(operators)))
    )
    notify(
        session,
        people.values(),
        message,
        link=f"/incidents/{incident.id}",
        number=incident.number,
        clock=CLOCK_NAMES[clock],
        title=incident.title,
        **params,
    )


@locked("incidents", ttl=timedelta(minutes=10))
def sweep_now(session):
    happened = sweep_clocks(session)
    session.commit()
    return happened


@celery.task(name=SWEEP, soft_time_limit=240, time_limit=300)
def sweep_task():
    try:
        return sweep_now(db.session)
    finally:
        db.session.remove()
