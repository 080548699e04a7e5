"""The API's shapes for resources and operations."""

from marshmallow import Schema, fields, validate

from portal.core.inputs import MAX_ID, MAX_PAGE
from portal.extensions import db
from portal.incidents.availability import monthly_availability
from portal.inventory.service import ACTIONS


class OperationStepOut(Schema):
    seq = fields.Integer()
    name = fields.String()
    action = fields.String()
    state = fields.String()
    attempts = fields.Integer()
    error = fields.String(allow_none=True)
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)


class OperationEventOut(Schema):
    occurred_at = fields.AwareDateTime()
    step_seq = fields.Integer(allow_none=True)
    kind = fields.String()
    message = fields.String()


class OperationOut(Schema):
    id = fields.String(metadata={"description": "the jiyun_op tag on what it made"})
    kind = fields.String()
    state = fields.String()
    agency_id = fields.Integer()
    order_id = fields.Integer(allow_none=True)
    resource_id = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    attempts = fields.Integer()
    created_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    steps = fields.List(fields.Nested(OperationStepOut))
    events = fields.List(fields.Nested(OperationEventOut))


class LifecycleEventOut(Schema):
    occurred_at = fields.AwareDateTime()
    kind = fields.String()
    state = fields.String()
    size = fields.Dict()
    operation_id = fields.String(allow_none=True)


class ResourceOut(Schema):
    id = fields.Integer()
    number = fields.String()
    agency_id = fields.Integer()
    order_id = fields.Integer()
    item = fields.String(attribute="item.key")
    catalog_version_id = fields.Integer()
    kind = fields.String()
    name = fields.String()
    state = fields.String()
    sla_tier = fields.String()
    size = fields.Dict()
    cloud = fields.Dict(metadata={"description": "cloud ids, addresses, database location"})
    quota_cost = fields.Dict(keys=fields.String(), values=fields.Integer())
    attention = fields.String(allow_none=True)
    lease_expires_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    deleted_at = fields.AwareDateTime(allow_none=True)
    has_secret = fields.Function(
        lambda resource: resource.sealed_secret is not None,
        metadata={"description": "credentials not yet shown: POST …/secret, once"},
    )


class MonthAvailabilityOut(Schema):
    month = fields.Date(metadata={"description": "the month's first day"})
    target = fields.Decimal(as_string=True, metadata={"description": "percent"})
    achieved = fields.Decimal(as_string=True, metadata={"description": "percent, so far"})
    down_seconds = fields.Integer(metadata={"description": "in the tier's service hours"})
    breached = fields.Boolean()


class ResourceDetailOut(ResourceOut):
    events = fields.List(fields.Nested(LifecycleEventOut))
    availability = fields.Function(
        lambda resource: MonthAvailabilityOut(many=True).dump(
            monthly_availability(db.session, resource)
        ),
        metadata={"description": "the last six months' availability, this month first"},
    )


class ResourceListArgs(Schema):
    state = fields.String()
    kind = fields.String()
    order_id = fields.Integer(
        validate=validate.Range(1, MAX_ID), metadata={"description": "what an order made"}
    )
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class ResourcePage(Schema):
    total = fields.Integer()
    page = fields.Integer()
    resources = fields.List(fields.Nested(ResourceOut))


class ResourceActionIn(Schema):
    action = fields.String(required=True, validate=validate.OneOf(sorted(ACTIONS)))
    flavor = fields.String(
        validate=validate.Length(1, 40), metadata={"description": "resize: the new size"}
    )
    size_gb = fields.Integer(
        validate=validate.Range(1, 16000), metadata={"description": "extend: the new size"}
    )


class SecretOut(Schema):
    password = fields.String()


class LeaseExtensionIn(Schema):
    days = fields.Integer(required=True, validate=validate.Range(1, 3650))
    reason = fields.String(validate=validate.Length(max=2000))
