"""The API's shapes for maintenance playbooks and runs."""

from marshmallow import Schema, fields, validate

from portal.core.inputs import MAX_ID, MAX_PAGE
from portal.maintenance.catalog import MAX_TARGETS
from portal.maintenance.states import RunState


class ParameterOut(Schema):
    name = fields.String()
    type = fields.String()
    label = fields.Dict()
    required = fields.Boolean()
    default = fields.Raw(allow_none=True)
    min = fields.Integer(attribute="minimum", allow_none=True)
    max = fields.Integer(attribute="maximum", allow_none=True)
    choices = fields.Dict(allow_none=True)


class PlaybookOut(Schema):
    key = fields.String()
    name = fields.Dict()
    description = fields.Dict()
    kinds = fields.List(fields.String())
    items = fields.List(fields.String())
    risk = fields.String()
    skill = fields.String()
    check_mode = fields.Boolean()
    max_targets = fields.Integer()
    timeout_minutes = fields.Integer()
    parameters = fields.List(fields.Nested(ParameterOut))


class TargetOut(Schema):
    resource_id = fields.Integer()
    agency_id = fields.Integer()
    name = fields.String(attribute="resource.name")


class RunOut(Schema):
    id = fields.Integer()
    number = fields.String()
    uuid = fields.String()
    playbook = fields.String()
    mode = fields.String()
    state = fields.String()
    risk = fields.String()
    needs_approval = fields.Boolean()
    parameters = fields.Dict()
    targets = fields.List(fields.Nested(TargetOut))
    vendor = fields.String(attribute="vendor.code")
    technician = fields.String(attribute="technician.staff_number")
    requested_by = fields.String(attribute="requested_by.username")
    incident_id = fields.Integer(allow_none=True)
    check_run_id = fields.Integer(allow_none=True)
    decided_by = fields.String(attribute="decided_by.username", allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    decision_note = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    started_at = fields.AwareDateTime(allow_none=True)
    finished_at = fields.AwareDateTime(allow_none=True)
    summary = fields.String(allow_none=True)
    result = fields.Raw(allow_none=True, metadata={"description": "what the playbook published"})
    artifact_path = fields.String(allow_none=True)


class RunPage(Schema):
    total = fields.Integer()
    page = fields.Integer()
    runs = fields.List(fields.Nested(RunOut))


class RunListArgs(Schema):
    state = fields.String(load_default=None, validate=validate.OneOf([s.value for s in RunState]))
    resource_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    page = fields.Integer(load_default=1, validate=validate.Range(1, MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class RunIn(Schema):
    """A check run by default; a real run needs a succeeded check run with the same
    playbook, parameters and targets (or a playbook without check mode)."""

    playbook = fields.String(required=True, validate=validate.Length(min=1, max=40))
    resource_ids = fields.List(
        fields.Integer(validate=validate.Range(1, MAX_ID)),
        required=True,
        validate=validate.Length(min=1, max=MAX_TARGETS),
    )
    parameters = fields.Dict(keys=fields.String(), load_default=dict)
    mode = fields.String(load_default="check", validate=validate.OneOf(["check", "apply"]))
    incident_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))


class OutputLineOut(Schema):
    id = fields.Integer()
    occurred_at = fields.AwareDateTime()
    kind = fields.String()
    task = fields.String(allow_none=True)
    message = fields.String()


class OutputArgs(Schema):
    after = fields.Integer(
        load_default=0,
        validate=validate.Range(0, 2**63 - 1),
        metadata={"description": "the last line id already read: only newer lines come"},
    )


class OutputOut(Schema):
    state = fields.String()
    finished = fields.Boolean()
    lines = fields.List(fields.Nested(OutputLineOut))


class RunNoteIn(Schema):
    note = fields.String(load_default=None, validate=validate.Length(max=2000))
