"""The schema of a catalog item file (marshmallow), with the checks across fields."""

import re
from datetime import UTC, datetime

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from billing.metrics import DEFAULT_STOPPED_METRICS, METRICS

NAME = validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$", error="use a-z, 0-9 and _ (start with a letter)")
FIELD_TYPES = ("integer", "string", "choice", "boolean")
ITEM_KINDS = ("vm", "volume", "database")
APPROVER_ROLES = ("agency_manager", "platform_operator")
# What a provisioning plan may ask of the provisioning engine.
STEP_ACTIONS = (
    "cloud.create_server",
    "cloud.create_volume",
    "cloud.attach_volume",
    "ansible.playbook",
)


class Strict(Schema):
    class Meta:
        unknown = RAISE


class LocalizedText(Strict):
    zh_CN = fields.String(required=True, validate=validate.Length(1, 300))
    en = fields.String(required=True, validate=validate.Length(1, 300))


class Option(Strict):
    value = fields.String(required=True, validate=validate.Length(1, 60))
    label = fields.Nested(LocalizedText, required=True)
    sets = fields.Dict(keys=fields.String(validate=NAME), values=fields.Raw(), load_default=dict)


class FormField(Strict):
    name = fields.String(required=True, validate=NAME)
    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    label = fields.Nested(LocalizedText, required=True)
    help = fields.Nested(LocalizedText)
    default = fields.Raw()
    required = fields.Boolean(load_default=True)
    min = fields.Integer()
    max = fields.Integer()
    max_length = fields.Integer(validate=validate.Range(1, 1000))
    pattern = fields.String()
    options = fields.List(fields.Nested(Option))
    # Shown and validated only when each named earlier field has one of the values.
    when = fields.Dict(keys=fields.String(validate=NAME), values=fields.Raw())

    @validates_schema
    def _consistent(self, data, **_kwargs):
        kind = data["type"]
        if kind == "choice" and not data.get("options"):
            raise ValidationError("a choice field needs options", "options")
        if kind != "choice" and "options" in data:
            raise ValidationError("only a choice field has options", "options")
        if kind != "integer" and ("min" in data or "max" in data):
            raise ValidationError("only an integer field has min and max", "min")
        if "min" in data and "max" in data and data["min"] > data["max"]:
            raise ValidationError("min is greater than max", "min")
        if "pattern" in data:
            try:
                re.compile(data["pattern"])
            except re.error as exc:
                raise ValidationError(f"not a regular expression: {exc}", "pattern") from exc
        if kind == "choice":
            values = [option["value"] for option in data["options"]]
            if len(values) != len(set(values)):
                raise ValidationError("option values repeat", "options")


class AutoApprove(Strict):
    within = fields.Dict(
        keys=fields.String(), values=fields.Integer(validate=validate.Range(0)), required=True
    )


class Approval(Strict):
    chain = fields.List(
        fields.String(validate=validate.OneOf(APPROVER_ROLES)),
        validate=validate.Length(0, 4),
        required=True,
    )
    auto_approve = fields.Nested(AutoApprove)


class SlaTier(Strict):
    key = fields.String(required=True, validate=NAME)
    label = fields.Nested(LocalizedText, required=True)
    availability = fields.Decimal(required=True, as_string=True, validate=validate.Range(90, 100))
    response_minutes = fields.Integer(required=True, validate=validate.Range(1, 10080))
    resolution_hours = fields.Integer(required=True, validate=validate.Range(1, 720))

    @post_load
    def _plain(self, data, **_kwargs):
        data["availability"] = str(data["availability"])  # exact, and JSON can hold it
        return data


class Step(Strict):
    name = fields.String(required=True, validate=NAME)
    action = fields.String(required=True, validate=validate.OneOf(STEP_ACTIONS))
    playbook = fields.String(validate=validate.Regexp(r"^[a-z0-9_/]+\.yml$"))
    only_if = fields.String(validate=NAME)  # run only when this spec value is truthy
    # cloud.create_volume: the spec value that gives the size, and what to add to the name.
    size_from = fields.String(validate=NAME)
    name_suffix = fields.String(validate=validate.Regexp(r"^[a-z0-9-]{1,20}$"))

    @validates_schema
    def _playbook(self, data, **_kwargs):
        if (data["action"] == "ansible.playbook") != ("playbook" in data):
            raise ValidationError(
                "ansible.playbook steps, and only they, name a playbook", "playbook"
            )


class Provisioning(Strict):
    # The spec value that names the resource (host name, volume or database name).
    name_from = fields.String(required=True, validate=NAME)
    steps = fields.List(fields.Nested(Step), required=True, validate=validate.Length(1, 20))


class Lease(Strict):
    """Resources of the item are lent for a while: warned before, retired after."""

    days = fields.Integer(required=True, validate=validate.Range(1, 3650))
    warn_days = fields.Integer(load_default=7, validate=validate.Range(1, 90))
    grace_days = fields.Integer(load_default=7, validate=validate.Range(0, 90))


class BillingPolicy(Strict):
    """What the item's resources cost while stopped, and what an order over the
    agency's budget does: blocked, or sent to the platform for approval."""

    stopped_metrics = fields.List(
        fields.String(validate=validate.OneOf(sorted(METRICS))),
        load_default=list(DEFAULT_STOPPED_METRICS),
    )
    over_budget = fields.String(
        load_default="approval", validate=validate.OneOf(("block", "approval"))
    )


class ItemSchema(Strict):
    key = fields.String(required=True, validate=NAME)
    kind = fields.String(required=True, validate=validate.OneOf(ITEM_KINDS))
    name = fields.Nested(LocalizedText, required=True)
    description = fields.Nested(LocalizedText, required=True)
    fields_ = fields.List(
        fields.Nested(FormField), data_key="fields", required=True, validate=validate.Length(1, 40)
    )
    quota_cost = fields.Dict(keys=fields.String(), values=fields.Raw(), required=True)
    approval = fields.Nested(Approval, required=True)
    sla_tiers = fields.List(fields.Nested(SlaTier), required=True, validate=validate.Length(1, 5))
    provisioning = fields.Nested(Provisioning, required=True)
    lease = fields.Nested(Lease)
    billing = fields.Nested(BillingPolicy, load_default=lambda: BillingPolicy().load({}))

    @post_load
    def _field_key(self, data, **_kwargs):
        data["fields"] = data.pop("fields_")
        return data


class Moment(fields.Field):
    """An aware date and time on the hour, kept as ISO 8601: price lists and SLA
    definitions take effect on an hour, as usage is metered by the hour."""

    def _deserialize(self, value, attr, data, **kwargs):
        example = "e.g. 2026-01-01T00:00:00+08:00"
        if isinstance(value, datetime):  # YAML reads an unquoted timestamp itself
            moment = value
        elif isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                raise ValidationError(f"not a date and time ({example})") from None
        else:
            raise ValidationError(f"give a date and time with its timezone ({example})")
        if moment.utcoffset() is None:
            raise ValidationError(f"give the timezone ({example}): a naive time is ambiguous")
        utc = moment.astimezone(UTC)
        if utc.minute or utc.second or utc.microsecond:
            raise ValidationError("must be on the hour: usage is metered by the hour")
        return moment.isoformat()
