"""The API's shapes for vendors, contracts, technicians and certificates."""

from marshmallow import Schema, fields, validate

from portal.core.inputs import MAX_ID
from portal.tenancy.vocabulary import BUSINESS_DOMAINS
from portal.vendors.vocabulary import SKILLS

DOMAIN = fields.String(validate=validate.OneOf(sorted(BUSINESS_DOMAINS)))
SKILL = fields.String(validate=validate.OneOf(sorted(SKILLS)))


class ContractOut(Schema):
    id = fields.Integer()
    number = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    domains = fields.List(fields.String())
    hybrid_services = fields.List(fields.String())
    note = fields.String(allow_none=True)


class CertificateOut(Schema):
    id = fields.Integer()
    number = fields.String()
    domains = fields.List(fields.String())
    skills = fields.List(fields.String())
    exam_score = fields.Integer()
    issued_on = fields.Date()
    expires_on = fields.Date()
    revoked_at = fields.AwareDateTime(allow_none=True)
    revoked_reason = fields.String(allow_none=True)


class TechnicianOut(Schema):
    id = fields.Integer()
    vendor_id = fields.Integer()
    staff_number = fields.String()
    name = fields.String()
    username = fields.String(attribute="user.username", allow_none=True)
    certificates = fields.List(fields.Nested(CertificateOut))


class VendorOut(Schema):
    id = fields.Integer()
    code = fields.String()
    name_zh = fields.String()
    name_en = fields.String()
    contact = fields.String(allow_none=True)


class VendorDetailOut(VendorOut):
    contracts = fields.List(fields.Nested(ContractOut))
    technicians = fields.List(fields.Nested(TechnicianOut))


class VendorIn(Schema):
    code = fields.String(required=True, validate=validate.Length(max=40))
    name_zh = fields.String(required=True, validate=validate.Length(min=1, max=120))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=160))
    contact = fields.String(load_default=None, validate=validate.Length(max=500))


class ContractIn(Schema):
    number = fields.String(required=True, validate=validate.Length(max=60))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    domains = fields.List(DOMAIN, required=True, validate=validate.Length(min=1))
    hybrid_services = fields.List(
        fields.String(validate=validate.Length(max=60)), load_default=list
    )
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class TechnicianIn(Schema):
    staff_number = fields.String(required=True, validate=validate.Length(max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    username = fields.String(load_default=None, validate=validate.Length(max=80))


class CertificateIn(Schema):
    number = fields.String(required=True, validate=validate.Length(max=60))
    domains = fields.List(DOMAIN, required=True, validate=validate.Length(min=1))
    skills = fields.List(SKILL, required=True, validate=validate.Length(min=1))
    exam_score = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    issued_on = fields.Date(required=True)
    expires_on = fields.Date(required=True)


class RevokeIn(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class EligibilityQuery(Schema):
    agency_id = fields.Integer(required=True, validate=validate.Range(1, MAX_ID))
    skill = fields.String(load_default=None, validate=validate.OneOf(sorted(SKILLS)))
    service = fields.String(load_default=None, validate=validate.Length(max=60))


class EligibilityOut(Schema):
    allowed = fields.Boolean()
    reason = fields.Function(lambda result: str(result.reason))
    certificate = fields.String(attribute="certificate.number", allow_none=True)


class NotPassedOut(Schema):
    line = fields.Integer()
    vendor = fields.String()
    staff_number = fields.String()
    exam_score = fields.Integer()


class ImportReportOut(Schema):
    issued = fields.List(fields.Nested(CertificateOut))
    registered = fields.List(fields.Nested(TechnicianOut))
    not_passed = fields.Function(
        lambda report: [
            {"line": line, "vendor": vendor, "staff_number": number, "exam_score": score}
            for line, vendor, number, score in report.not_passed
        ]
    )


class PeriodQuery(Schema):
    period = fields.String(
        required=True,
        metadata={"description": "2026-10 (month), 2026-Q4 or 2026", "example": "2026-10"},
    )


class ScorecardOut(Schema):
    rank = fields.Integer()
    vendor = fields.String(attribute="vendor.code")
    vendor_name = fields.String(attribute="vendor.name_zh")
    incidents = fields.Integer()
    response_breaches = fields.Integer()
    resolution_breaches = fields.Integer()
    availability_breaches = fields.Integer()
    sla_compliance = fields.Decimal(as_string=True, metadata={"description": "percent"})
    mean_resolution_hours = fields.Decimal(as_string=True, allow_none=True)
    surveys = fields.Integer()
    satisfaction = fields.Decimal(as_string=True, allow_none=True)
    expert = fields.Integer(allow_none=True)
    penalty = fields.Decimal(as_string=True)
    score = fields.Decimal(as_string=True)


class ExpertReviewIn(Schema):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    note = fields.String(load_default=None, validate=validate.Length(max=2000))


class ExpertReviewOut(Schema):
    vendor_id = fields.Integer()
    period = fields.String()
    score = fields.Integer()
    note = fields.String(allow_none=True)
    reviewed_at = fields.AwareDateTime()


class SurveyIn(Schema):
    order_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    incident_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID))
    score = fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    comment = fields.String(load_default=None, validate=validate.Length(max=2000))


class SurveyOut(Schema):
    id = fields.Integer()
    order_id = fields.Integer(allow_none=True)
    incident_id = fields.Integer(allow_none=True)
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()


class SurveyResultsOut(Schema):
    count = fields.Integer()
    average = fields.Float(allow_none=True)
    distribution = fields.Dict(keys=fields.String(), values=fields.Integer())
    comments = fields.Function(
        lambda results: [
            {"at": at.isoformat(), "score": score, "comment": comment, "rated_by_id": who}
            for at, score, comment, who in results.comments
        ]
    )
