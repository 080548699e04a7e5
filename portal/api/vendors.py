"""Vendors, their contracts, technicians and certificates; the exam's results; whether a
technician may work on an agency's resources."""

from flask import request
from flask_babel import lazy_gettext as _l

from portal.api.base import Blueprint, actor, authenticate_request
from portal.api.vendor_schemas import (
    CertificateIn,
    CertificateOut,
    ContractIn,
    ContractOut,
    EligibilityOut,
    EligibilityQuery,
    ExpertReviewIn,
    ExpertReviewOut,
    ImportReportOut,
    PeriodQuery,
    RevokeIn,
    ScorecardOut,
    SurveyIn,
    SurveyOut,
    SurveyResultsOut,
    TechnicianIn,
    TechnicianOut,
    VendorDetailOut,
    VendorIn,
    VendorOut,
)
from portal.core.errors import NotFound
from portal.extensions import db
from portal.tenancy.models import Agency
from portal.vendors import eligibility as rules
from portal.vendors import service
from portal.vendors.exam_import import import_exam_results
from portal.vendors.scorecards import parse_period, scorecards, set_expert_review
from portal.vendors.surveys import rate, survey_results

blp = Blueprint(
    "api_vendors",
    __name__,
    url_prefix="/api/v1/vendors",
    description="Vendors, contracts, technicians and their certificates",
)
blp.before_request(authenticate_request)


@blp.get("")
@blp.response(200, VendorOut(many=True))
def vendors():
    """Every vendor for the platform-wide roles; vendor staff see their own."""
    return service.visible_vendors(db.session, actor())


@blp.post("")
@blp.arguments(VendorIn)
@blp.response(201, VendorOut)
def create_vendor(values):
    return service.create_vendor(db.session, actor(), **values)


@blp.get("/scorecards")
@blp.arguments(PeriodQuery, location="query")
@blp.response(200, ScorecardOut(many=True))
def vendor_scorecards(query):
    """Every vendor's scorecard for a month, quarter or year, best first (vendor staff:
    their own vendor's)."""
    return scorecards(db.session, actor(), parse_period(query["period"]))


@blp.put("/<int:vendor_id>/reviews/<period>")
@blp.arguments(ExpertReviewIn)
@blp.response(200, ExpertReviewOut)
def expert_review(values, vendor_id, period):
    """The expert review score (0-100) of a vendor for a period (the platform team)."""
    return set_expert_review(db.session, actor(), vendor_id, period, **values)


@blp.get("/<int:vendor_id>/surveys")
@blp.arguments(PeriodQuery, location="query")
@blp.response(200, SurveyResultsOut)
def surveys(query, vendor_id):
    """The agencies' ratings of a vendor's service in a period."""
    period = parse_period(query["period"])
    return survey_results(db.session, actor(), vendor_id, period.start, period.end)


@blp.get("/platform/surveys")
@blp.arguments(PeriodQuery, location="query")
@blp.response(200, SurveyResultsOut)
def platform_surveys(query):
    """The agencies' ratings of the platform team's own service in a period: fulfilled
    requests, and incidents of self-operated agencies."""
    period = parse_period(query["period"])
    return survey_results(db.session, actor(), None, period.start, period.end)


@blp.post("/surveys")
@blp.arguments(SurveyIn)
@blp.response(201, SurveyOut)
def rate_service(values):
    """Rate a fulfilled request or a resolved incident of your agency, 1 to 5, once."""
    return rate(db.session, actor(), **values)


@blp.get("/<int:vendor_id>")
@blp.response(200, VendorDetailOut)
def vendor(vendor_id):
    found = service.get_vendor(db.session, actor(), vendor_id)
    return {
        **VendorOut().dump(found),
        "contracts": found.contracts,
        "technicians": service.technicians_of(db.session, found),
    }


@blp.post("/<int:vendor_id>/contracts")
@blp.arguments(ContractIn)
@blp.response(201, ContractOut)
def add_contract(values, vendor_id):
    """A contract for business domains over a period; one designated vendor per domain."""
    return service.add_contract(db.session, actor(), vendor_id, **values)


@blp.post("/<int:vendor_id>/technicians")
@blp.arguments(TechnicianIn)
@blp.response(201, TechnicianOut)
def register_technician(values, vendor_id):
    return service.register_technician(db.session, actor(), vendor_id, **values)


@blp.get("/technicians/<int:technician_id>")
@blp.response(200, TechnicianOut)
def technician(technician_id):
    return service.get_technician(db.session, actor(), technician_id)


@blp.post("/technicians/<int:technician_id>/certificates")
@blp.arguments(CertificateIn)
@blp.response(201, CertificateOut)
def issue_certificate(values, technician_id):
    """Record a certificate from the yearly exam (the platform team)."""
    return service.issue_certificate(db.session, actor(), technician_id, **values)


@blp.post("/certificates/<int:certificate_id>/revoke")
@blp.arguments(RevokeIn)
@blp.response(200, CertificateOut)
def revoke_certificate(values, certificate_id):
    return service.revoke_certificate(db.session, actor(), certificate_id, values["reason"])


@blp.get("/technicians/<int:technician_id>/eligibility")
@blp.arguments(EligibilityQuery, location="query")
@blp.response(200, EligibilityOut)
def eligibility(query, technician_id):
    """May the technician work on the agency's resources today, and why (not)."""
    found = service.get_technician(db.session, actor(), technician_id)
    agency = db.session.get(Agency, query["agency_id"])
    if agency is None:
        raise NotFound(_l("No such agency."))
    return rules.eligibility(
        db.session, found, agency, skill=query["skill"], service=query["service"]
    )


@blp.post("/exam-results")
@blp.response(201, ImportReportOut)
def exam_results():
    """The yearly exam's CSV as the request body (text/csv; UTF-8 or GB18030): a
    certificate for each pass. One bad line imports nothing; 422 lists every bad line."""
    return import_exam_results(db.session, actor(), request.get_data(cache=False))
