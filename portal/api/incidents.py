"""Incidents: list, open, read with their SLA clocks, and act on them."""

from portal.api.base import Blueprint, actor, authenticate_request
from portal.api.incident_schemas import (
    AssignIn,
    CorrectionIn,
    IncidentDetailOut,
    IncidentIn,
    IncidentListArgs,
    IncidentPage,
    NoteIn,
    PeriodArgs,
    SlaLineOut,
)
from portal.extensions import db
from portal.incidents import service
from portal.incidents.corrections import correct_clock
from portal.incidents.reports import sla_report
from portal.vendors.scorecards import parse_period

blp = Blueprint(
    "api_incidents",
    __name__,
    url_prefix="/api/v1/incidents",
    description="Incidents under SLA clocks",
)
blp.before_request(authenticate_request)


@blp.get("")
@blp.arguments(IncidentListArgs, location="query")
@blp.response(200, IncidentPage)
def incidents(args):
    rows, total = service.list_incidents(
        db.session, actor(), state=args["state"], page=args["page"], per_page=args["per_page"]
    )
    return {"total": total, "page": args["page"], "incidents": rows}


@blp.get("/sla-report")
@blp.arguments(PeriodArgs, location="query")
@blp.response(200, SlaLineOut(many=True))
def report(args):
    """Per vendor, agency and SLA tier: incidents, targets met, availability, breaches
    for a month (2026-10), a quarter (2026-Q4) or a year (2026)."""
    return sla_report(db.session, actor(), parse_period(args["period"]))


@blp.post("")
@blp.arguments(IncidentIn)
@blp.response(201, IncidentDetailOut)
def open_incident(data):
    return service.open_incident(db.session, actor(), **data)


@blp.get("/<int:incident_id>")
@blp.response(200, IncidentDetailOut)
def incident(incident_id):
    return service.get_incident(db.session, actor(), incident_id)


@blp.post("/<int:incident_id>/assign")
@blp.arguments(AssignIn)
@blp.response(200, IncidentDetailOut)
def assign(data, incident_id):
    """Name the technician (the vendor's manager or the platform team)."""
    return service.assign(db.session, actor(), incident_id, data["technician_id"])


@blp.post("/<int:incident_id>/correct-time")
@blp.arguments(CorrectionIn)
@blp.response(200, IncidentDetailOut)
def correct_time(data, incident_id):
    """Correct when the response or the resolution really happened (the platform team,
    with the reason); the breach is judged again."""
    return correct_clock(db.session, actor(), incident_id, **data)


def _action(name, function, doc):
    """POST /<id>/<name> {"note": …}: one of the incident's moves."""

    def act(data, incident_id):
        return function(db.session, actor(), incident_id, data["note"])

    act.__doc__ = doc
    route = blp.post(f"/<int:incident_id>/{name}", endpoint=name)
    route(blp.arguments(NoteIn)(blp.response(200, IncidentDetailOut)(act)))


_action("respond", service.respond, "The first response: the response clock stops.")
_action("wait", service.wait_on_agency, "Wait on the agency: the resolution clock stops.")
_action("resume", service.resume, "The agency answered: the resolution clock runs again.")
_action("resolve", service.resolve, "Resolved, with a note the agency reads.")
_action("close", service.close, "The agency confirms the resolution.")
_action("reopen", service.reopen, "The agency reopens an incident whose fix did not hold.")
_action("comment", service.comment, "A comment on the timeline.")
