"""The API's shapes for the operations overview. Rates are strings of percent with two
places ("12.50"), or null where no resource was in service."""

from marshmallow import Schema, fields

from portal.api.billing_schemas import Month
from portal.api.incident_schemas import ClockOut


class OverviewArgs(Schema):
    month = Month(metadata={"description": "the month of the failure rates; default: this one"})


def _rate(**kwargs):
    return fields.Decimal(
        places=2,
        as_string=True,
        allow_none=True,
        metadata={"type": "string", "format": "decimal", "example": "12.50", **kwargs},
    )


class FailureRateOut(Schema):
    kind = fields.String(allow_none=True, metadata={"description": "null: every kind"})
    vendor = fields.String(attribute="vendor.code", allow_none=True)
    vendor_id = fields.Integer(allow_none=True)
    resources = fields.Integer(metadata={"description": "in service in the month"})
    incidents = fields.Integer(metadata={"description": "opened in the month on them"})
    rate = _rate(description="incidents per 100 resources")


class FailureRatesOut(Schema):
    by_kind = fields.List(fields.Nested(FailureRateOut), attribute="kind_rates")
    by_vendor_and_kind = fields.List(fields.Nested(FailureRateOut), attribute="vendor_rates")
    by_vendor = fields.List(fields.Nested(FailureRateOut), attribute="vendor_totals")


class AtRiskOut(Schema):
    id = fields.Integer(attribute="incident.id")
    number = fields.String(attribute="incident.number")
    priority = fields.String(attribute="incident.priority")
    title = fields.String(attribute="incident.title")
    state = fields.String(attribute="incident.state")
    agency_id = fields.Integer(attribute="incident.agency_id")
    resource_id = fields.Integer(attribute="incident.resource_id", allow_none=True)
    vendor = fields.String(attribute="incident.vendor.code", allow_none=True)
    clock_name = fields.String(attribute="clock", metadata={"description": "response, resolution"})
    clock = fields.Nested(ClockOut, attribute="state")


class ExpiringCertificateOut(Schema):
    id = fields.Integer()
    number = fields.String()
    expires_on = fields.Date()
    technician_id = fields.Integer()
    technician = fields.String(attribute="technician.name")
    staff_number = fields.String(attribute="technician.staff_number")
    vendor = fields.String(attribute="technician.vendor.code")


class LapsedOut(Schema):
    technician_id = fields.Integer(attribute="technician.id")
    technician = fields.String(attribute="technician.name")
    staff_number = fields.String(attribute="technician.staff_number")
    vendor = fields.String(attribute="technician.vendor.code")
    expired_on = fields.Date()


class KindCountOut(Schema):
    kind = fields.String(attribute="subject")
    incidents = fields.Integer()


class ItemCountOut(Schema):
    item = fields.String(attribute="subject.key")
    incidents = fields.Integer()


class ResourceCountOut(Schema):
    resource_id = fields.Integer(attribute="subject.id")
    name = fields.String(attribute="subject.name")
    kind = fields.String(attribute="subject.kind")
    agency_id = fields.Integer(attribute="subject.agency_id")
    incidents = fields.Integer()


class OverviewOut(Schema):
    month = Month()
    vendor_id = fields.Integer(
        allow_none=True, metadata={"description": "null: the whole platform; else your vendor"}
    )
    failure_rates = fields.Function(lambda board: FailureRatesOut().dump(board))
    open_incidents = fields.Dict(attribute="open_by_priority", metadata={"example": {"P1": 0}})
    at_risk_total = fields.Integer()
    breached_total = fields.Integer()
    at_risk = fields.List(fields.Nested(AtRiskOut), metadata={"description": "most urgent first"})
    expiring_certificates = fields.List(fields.Nested(ExpiringCertificateOut), attribute="expiring")
    lapsed_technicians = fields.List(fields.Nested(LapsedOut), attribute="lapsed")
    weak_since = fields.AwareDateTime()
    weak_until = fields.AwareDateTime()
    weak_kinds = fields.List(fields.Nested(KindCountOut))
    weak_items = fields.List(fields.Nested(ItemCountOut))
    weak_resources = fields.List(fields.Nested(ResourceCountOut))
