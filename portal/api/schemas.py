"""The API's shapes (marshmallow): what it answers and what it accepts."""

from marshmallow import Schema, fields, validate

from portal.core.inputs import MAX_ID, MAX_PAGE
from portal.orders.models import Order


class LocalizedText(Schema):
    zh_CN = fields.String()
    en = fields.String()


class UserOut(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    agency_id = fields.Integer(allow_none=True)
    roles = fields.Function(lambda user: sorted(role.value for role in user.roles))


class CatalogItemOut(Schema):
    key = fields.String()
    kind = fields.String()
    version = fields.Integer(attribute="current_version.number")
    name = fields.Nested(LocalizedText, attribute="current_version.definition.name")
    description = fields.Nested(LocalizedText, attribute="current_version.definition.description")


class CatalogItemDetailOut(CatalogItemOut):
    definition = fields.Dict(
        attribute="current_version.definition",
        metadata={
            "description": "fields, quota cost, approval policy, SLA tiers and provisioning plan"
        },
    )


class QuotaLine(Schema):
    resource = fields.String()
    limit = fields.Integer(allow_none=True)
    used = fields.Integer()
    remaining = fields.Integer(allow_none=True, metadata={"description": "binding limit"})


class AgencyOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    kind = fields.String()
    domain = fields.String()
    outsourcing_mode = fields.String()
    parent_id = fields.Integer(allow_none=True)


class AgencyDetailOut(AgencyOut):
    quotas = fields.List(fields.Nested(QuotaLine))


class QuotaLimitsIn(Schema):
    class Meta:
        ordered = True

    instances = fields.Integer(allow_none=True, validate=validate.Range(0, 10_000_000))
    vcpus = fields.Integer(allow_none=True, validate=validate.Range(0, 10_000_000))
    ram_gb = fields.Integer(allow_none=True, validate=validate.Range(0, 10_000_000))
    disk_gb = fields.Integer(allow_none=True, validate=validate.Range(0, 10_000_000))
    databases = fields.Integer(allow_none=True, validate=validate.Range(0, 10_000_000))


class StepOut(Schema):
    seq = fields.Integer()
    role = fields.String()
    state = fields.String()
    decided_by = fields.String(attribute="decided_by.username", allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    comment = fields.String(allow_none=True)


class EventOut(Schema):
    occurred_at = fields.AwareDateTime()
    actor = fields.String(attribute="actor.username", allow_none=True)
    kind = fields.String()
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)


class OrderOut(Schema):
    """An order in a list: what it is and where it stands; its detail has the rest."""

    id = fields.Integer()
    number = fields.String()
    agency_id = fields.Integer()
    item = fields.String(attribute="item.key")
    state = fields.String()
    version = fields.Integer(metadata={"description": "send back as expected_version"})
    sla_tier = fields.String()
    created_by = fields.String(attribute="created_by.username")
    created_at = fields.AwareDateTime()
    submitted_at = fields.AwareDateTime(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)


def order_row_out(row):
    """What OrderOut dumps, from a row of list_order_rows (the same names, plain
    values): a list page's 50 orders, without marshmallow's cost per field."""
    out = row._asdict()
    out["number"] = Order.number.fget(row)  # the model's own numbering, from the row's id
    for name in ("created_at", "submitted_at", "decided_at"):
        if out[name] is not None:
            out[name] = out[name].isoformat()  # what AwareDateTime dumps
    return out


class OrderDetailOut(OrderOut):
    purpose = fields.String(metadata={"description": "new, or lease_extension"})
    resource_id = fields.Integer(allow_none=True)
    catalog_version = fields.Integer(attribute="catalog_version.number")
    parameters = fields.Dict()
    spec = fields.Dict()
    quota_cost = fields.Dict(keys=fields.String(), values=fields.Integer())
    steps = fields.List(fields.Nested(StepOut))
    events = fields.List(fields.Nested(EventOut))


def order_detail_out(order):
    """What OrderDetailOut dumps, from an order (a new one has its costs, steps and
    events loaded). As there, a step's decider and an event's actor are left out when
    they are None."""
    out = {name: getattr(order, name) for name in _DETAIL_VALUES}
    for name in ("created_at", "submitted_at", "decided_at"):
        out[name] = _iso(out[name])
    out["item"] = order.item.key
    out["created_by"] = order.created_by.username
    out["catalog_version"] = order.catalog_version.number
    out["quota_cost"] = order.quota_cost
    out["steps"] = [_step_out(step) for step in order.steps]
    out["events"] = [_event_out(event) for event in order.events]
    return out


# The detail's fields dumped as the order holds them (times are then made ISO strings).
_DETAIL_VALUES = (
    *("id", "number", "agency_id", "state", "version", "sla_tier", "purpose", "resource_id"),
    *("created_at", "submitted_at", "decided_at", "parameters", "spec"),
)


def _iso(value):
    return value.isoformat() if value is not None else None  # what AwareDateTime dumps


def _step_out(step):
    out = {
        "seq": step.seq,
        "role": step.role,
        "state": step.state,
        "decided_at": _iso(step.decided_at),
        "comment": step.comment,
    }
    if step.decided_by is not None:
        out["decided_by"] = step.decided_by.username
    return out


def _event_out(event):
    out = {
        "occurred_at": _iso(event.occurred_at),
        "kind": event.kind,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "comment": event.comment,
    }
    if event.actor is not None:
        out["actor"] = event.actor.username
    return out


class OrderIn(Schema):
    item = fields.String(required=True, validate=validate.Length(1, 40))
    parameters = fields.Dict(keys=fields.String(), required=True)
    sla_tier = fields.String(validate=validate.Length(1, 40))
    submit = fields.Boolean(load_default=True)
    client_token = fields.String(
        validate=validate.Length(8, 64), metadata={"description": "idempotency key"}
    )
    catalog_version = fields.Integer(
        validate=validate.Range(0, MAX_ID), metadata={"description": "refuse if the item changed"}
    )


class DraftIn(Schema):
    parameters = fields.Dict(keys=fields.String(), required=True)
    sla_tier = fields.String(validate=validate.Length(1, 40))
    submit = fields.Boolean(load_default=False, metadata={"description": "submit it too"})
    expected_version = fields.Integer(
        validate=validate.Range(0, MAX_ID), metadata={"description": "refuse if the order changed"}
    )


class ActionIn(Schema):
    comment = fields.String(validate=validate.Length(max=2000))
    expected_version = fields.Integer(
        validate=validate.Range(0, MAX_ID), metadata={"description": "refuse if the order changed"}
    )


class OrderListArgs(Schema):
    state = fields.String()
    agency_id = fields.Integer(validate=validate.Range(1, MAX_ID))
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class OrderPage(Schema):
    total = fields.Integer()
    page = fields.Integer()
    orders = fields.List(fields.Nested(OrderOut))


class AuditEventOut(Schema):
    id = fields.Integer()
    occurred_at = fields.AwareDateTime()
    actor_name = fields.String()
    action = fields.String()
    object_type = fields.String()
    object_id = fields.String()
    agency_id = fields.Integer(allow_none=True)
    before = fields.Raw(allow_none=True)
    after = fields.Raw(allow_none=True)
    source_address = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    hash = fields.String()


class AuditArgs(Schema):
    after_id = fields.Integer(load_default=0, validate=validate.Range(0, MAX_ID))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 1000))


class VerifyOut(Schema):
    checked = fields.Integer()
    intact = fields.Boolean()
    first_bad_id = fields.Integer(allow_none=True)
