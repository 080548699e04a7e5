"""The API's shapes for incidents and their SLA clocks."""

from marshmallow import Schema, fields, validate

from portal.core.inputs import MAX_ID, MAX_PAGE
from portal.incidents.clocks import clocks_of
from portal.incidents.states import PRIORITIES, IncidentState


class ClockOut(Schema):
    elapsed_seconds = fields.Integer(attribute="elapsed")
    target_seconds = fields.Integer(attribute="target")
    remaining_seconds = fields.Integer(attribute="remaining")
    breached = fields.Boolean()
    warning = fields.Boolean()
    paused = fields.Boolean()
    due = fields.AwareDateTime(allow_none=True)


class IncidentEventOut(Schema):
    occurred_at = fields.AwareDateTime()
    actor = fields.String(attribute="actor.username", allow_none=True)
    action = fields.String()
    state = fields.String()
    note = fields.String(
        allow_none=True,
        metadata={
            "description": "the text written; for `opened`, who handles it and why: "
            "contract (the incident's contract_number), self_operated, hybrid_retained "
            "or uncovered; for the clock sweep's events, the clock"
        },
    )


class IncidentOut(Schema):
    id = fields.Integer()
    number = fields.String()
    agency_id = fields.Integer()
    resource_id = fields.Integer(allow_none=True)
    source = fields.String()
    priority = fields.String()
    title = fields.String()
    state = fields.String()
    vendor = fields.String(attribute="vendor.code", allow_none=True)
    contract_number = fields.String(
        allow_none=True, metadata={"description": "the vendor's contract whose SLA terms apply"}
    )
    technician = fields.String(attribute="technician.staff_number", allow_none=True)
    sla_tier = fields.String()
    sla_version = fields.String(attribute="sla_definition.version")
    opened_at = fields.AwareDateTime()
    responded_at = fields.AwareDateTime(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    response_due_at = fields.AwareDateTime(allow_none=True)
    resolution_due_at = fields.AwareDateTime(allow_none=True)
    response_breached = fields.Boolean()
    resolution_breached = fields.Boolean()


class ClocksOut(Schema):
    response = fields.Nested(ClockOut)
    resolution = fields.Nested(ClockOut)


class IncidentDetailOut(IncidentOut):
    description = fields.String()
    resolution_note = fields.String(allow_none=True)
    clocks = fields.Function(
        lambda incident: ClocksOut().dump(clocks_of(incident)),
        metadata={"description": "the response and resolution clocks, as of now"},
    )
    events = fields.List(fields.Nested(IncidentEventOut))


class IncidentPage(Schema):
    total = fields.Integer()
    page = fields.Integer()
    incidents = fields.List(fields.Nested(IncidentOut))


class IncidentListArgs(Schema):
    state = fields.String(
        load_default=None, validate=validate.OneOf([s.value for s in IncidentState])
    )
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class IncidentIn(Schema):
    """On a resource, or on an agency's service as a whole (then agency_id; agency staff
    may leave both out for their own agency)."""

    resource_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    agency_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    priority = fields.String(required=True, validate=validate.OneOf(sorted(PRIORITIES)))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=10_000))


class NoteIn(Schema):
    note = fields.String(load_default=None, validate=validate.Length(max=10_000))


class AssignIn(Schema):
    technician_id = fields.Integer(required=True, validate=validate.Range(1, MAX_ID))


class CorrectionIn(Schema):
    clock = fields.String(required=True, validate=validate.OneOf(["response", "resolution"]))
    at = fields.AwareDateTime(
        required=True, metadata={"description": "when it really stopped, with its offset"}
    )
    note = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class SlaLineOut(Schema):
    vendor_id = fields.Integer(allow_none=True, metadata={"description": "null: the platform team"})
    agency_id = fields.Integer()
    sla_tier = fields.String()
    incidents = fields.Integer()
    response_met = fields.Integer()
    resolution_met = fields.Integer()
    availability_target = fields.Decimal(as_string=True, allow_none=True)
    lowest_availability = fields.Decimal(as_string=True)
    availability_breaches = fields.Integer()
    breaches = fields.Integer()


class PeriodArgs(Schema):
    period = fields.String(required=True, metadata={"example": "2026-10"})
