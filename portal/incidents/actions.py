"""The moves of an incident as the pages offer them: the service function behind each
POST, and which forms a viewer is shown now. The forms follow the service's own rules
(who may work on it, who is the agency, who assigns, which state allows the move); the
service still decides every POST."""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.accounts.roles import Role
from portal.incidents import service
from portal.incidents.permissions import can_assign, is_agency_side
from portal.incidents.states import TRANSITIONS, UNRESOLVED, IncidentState

OPEN, WORKING = IncidentState.OPEN, IncidentState.ACKNOWLEDGED
WAITING, RESOLVED = IncidentState.WAITING, IncidentState.RESOLVED


@dataclass(frozen=True)
class Move:
    run: Callable  # service function(session, actor, incident_id, note)
    source: IncidentState | None  # the state it leaves, as the service's _move; None: any
    target: IncidentState | None
    done: str
    needs_note: bool = True  # shown as required; the service is the one that refuses


MOVES = {
    "respond": Move(
        service.respond, OPEN, WORKING, _l("You responded: the response clock stopped."), False
    ),
    "wait": Move(
        service.wait_on_agency,
        WORKING,
        WAITING,
        _l("The agency was asked: the resolution clock stands still until it answers."),
    ),
    "resume": Move(
        service.resume, WAITING, WORKING, _l("Recorded: the resolution clock runs again.")
    ),
    "resolve": Move(
        service.resolve,
        WORKING,
        RESOLVED,
        _l("The incident is resolved: the agency is asked to confirm it."),
    ),
    "close": Move(
        service.close,
        RESOLVED,
        IncidentState.CLOSED,
        _l("The resolution was confirmed: the incident is closed."),
        False,
    ),
    "reopen": Move(
        service.reopen, RESOLVED, WORKING, _l("The incident was reopened: its clock counts on.")
    ),
    "comment": Move(service.comment, None, None, _l("Your comment was added.")),
}


def may_open_incidents(user):
    """The service's rule: agency staff on what they see, the platform team on anything."""
    return user.is_agency_user or user.has_role(Role.PLATFORM_OPERATOR)


def offered(session, user, incident, now=None):
    """The names of the moves, and "assign", whose forms the user is shown now."""
    works = service.may_work(session, user, incident, now)[0]
    agency = is_agency_side(user, incident)
    assigns = can_assign(user, incident)
    allowed = {
        "respond": works,
        "wait": works,
        "resolve": works,
        "resume": agency or works,
        "close": agency or user.has_role(Role.PLATFORM_OPERATOR),
        "reopen": agency,
        "comment": agency or assigns or works,
    }
    names = {name for name, ok in allowed.items() if ok and _movable(incident, MOVES[name])}
    # The service would also re-assign a finished incident; the page does not offer it.
    if assigns and incident.vendor_id is not None and incident.state in UNRESOLVED:
        names.add("assign")
    return names


def _movable(incident, move):
    if move.source is None:
        return True
    return incident.state == move.source and move.target in TRANSITIONS[move.source]
