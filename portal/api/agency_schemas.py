"""What the platform team sends to add an agency or change its profile. Values are
checked by the tenancy service, which names the field and the reason."""

from marshmallow import Schema, fields, validate

from portal.tenancy.vocabulary import AGENCY_KINDS, BUSINESS_DOMAINS, OUTSOURCING_MODES


class AgencyChangeIn(Schema):
    name_zh = fields.String(validate=validate.Length(1, 120))
    name_en = fields.String(validate=validate.Length(1, 160))
    domain = fields.String(metadata={"enum": list(BUSINESS_DOMAINS)})
    outsourcing_mode = fields.String(metadata={"enum": list(OUTSOURCING_MODES)})


class AgencyIn(AgencyChangeIn):
    parent_id = fields.Integer(
        allow_none=True, metadata={"description": "none for the district itself"}
    )
    code = fields.String(
        required=True, metadata={"description": "lowercase letters, digits, hyphens; fixed"}
    )
    kind = fields.String(required=True, metadata={"enum": list(AGENCY_KINDS)})
    name_zh = fields.String(required=True, validate=validate.Length(1, 120))
    name_en = fields.String(required=True, validate=validate.Length(1, 160))
    domain = fields.String(required=True, metadata={"enum": list(BUSINESS_DOMAINS)})
    outsourcing_mode = fields.String(required=True, metadata={"enum": list(OUTSOURCING_MODES)})
