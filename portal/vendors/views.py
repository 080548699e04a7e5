"""Vendor pages: the vendors, one vendor with its contracts, the agencies it serves and
its technicians, one technician with certificates and an eligibility check.

Who sees what: every route first asks permissions.can_browse_vendors (anonymous: to the
login page; agency staff: 403). The platform-wide roles (operator, auditor,
administrator, finance) read every vendor; a vendor's staff read their own, and get 404
for another vendor's objects, whose existence is not confirmed. What may be changed is
the service's rule, shown as 403 on the page: the operator registers vendors and records
contracts and certificates; a vendor's manager registers its technicians too."""

from dataclasses import dataclass, replace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from portal.catalog.service import list_items
from portal.core.db import utcnow
from portal.core.errors import DomainError, InvalidInput, NotFound
from portal.core.form_errors import run_service
from portal.core.inputs import MAX_ID
from portal.extensions import db
from portal.incidents.sla import contracts_with_terms
from portal.tenancy.models import Agency
from portal.tenancy.service import visible_agencies
from portal.vendors import eligibility as rules
from portal.vendors import service
from portal.vendors.forms import (
    CertificateForm,
    ContractForm,
    RevokeForm,
    TechnicianForm,
    VendorForm,
)
from portal.vendors.overview import (
    certificate_standing,
    contract_state,
    served_agencies,
    served_by_contract,
    technician_standing,
    vendor_rows,
)
from portal.vendors.permissions import (
    can_browse_vendors,
    can_certify,
    can_manage_vendors,
    can_register_technicians,
)
from portal.vendors.vocabulary import SKILLS

bp = Blueprint("vendors", __name__, url_prefix="/vendors")


@bp.before_request
@login_required
def _vendor_readers_only():
    if not can_browse_vendors(current_user):
        abort(403)


def service_names():
    """Catalog item key → its name in the page's language."""
    return {
        item.key: item.current_version.text("name", get_locale()) for item in list_items(db.session)
    }


@bp.get("/")
def index():
    return _render_index(VendorForm(formdata=None))


def _render_index(form, error=None, status=200):
    day = rules.today()
    vendors = service.visible_vendors(db.session, current_user)
    return render_template(
        "vendors/index.html",
        rows=vendor_rows(db.session, vendors, day),
        form=form,
        error=error,
        can_manage=can_manage_vendors(current_user),
    ), status


@bp.post("/")
def create():
    form = VendorForm()
    if not form.validate_on_submit():
        return _render_index(form, status=422)
    vendor, error = run_service(
        form,
        lambda: service.create_vendor(
            db.session,
            current_user,
            code=form.code.data,
            name_zh=form.name_zh.data,
            name_en=form.name_en.data,
            contact=form.contact.data,
        ),
    )
    if error:
        return _render_index(form, error, error.status)
    flash(_l("The vendor %(code)s was registered.", code=vendor.code), "success")
    return redirect(url_for("vendors.detail", vendor_id=vendor.id))


@bp.get("/<int:vendor_id>")
def detail(vendor_id):
    return _render_vendor(service.get_vendor(db.session, current_user, vendor_id))


def _contract_form(**kwargs):
    form = ContractForm(**kwargs)
    form.hybrid_services.choices = [SelectChoice(k, n) for k, n in service_names().items()]
    return form


def _render_vendor(vendor, *, contract_form=None, technician_form=None, error=None, status=200):
    day = rules.today()
    staff = service.technicians_of(db.session, vendor)
    return render_template(
        "vendors/detail.html",
        vendor=vendor,
        contracts=[(contract, contract_state(contract, day)) for contract in vendor.contracts],
        sla_terms=contracts_with_terms(db.session, vendor.contracts, utcnow()),
        served=served_by_contract(db.session, vendor, day),
        technicians=[(t, technician_standing(t, day)) for t in staff],
        service_names=service_names(),
        contract_form=contract_form or _contract_form(formdata=None),
        technician_form=technician_form or TechnicianForm(formdata=None),
        can_manage=can_manage_vendors(current_user),
        can_register=can_register_technicians(current_user, vendor),
        error=error,
    ), status


@bp.post("/<int:vendor_id>/contracts")
def add_contract(vendor_id):
    vendor = service.get_vendor(db.session, current_user, vendor_id)
    form = _contract_form()
    if not form.validate_on_submit():
        return _render_vendor(vendor, contract_form=form, status=422)
    contract, error = run_service(
        form,
        lambda: service.add_contract(
            db.session,
            current_user,
            vendor.id,
            number=form.number.data,
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            domains=form.domains.data,
            hybrid_services=form.hybrid_services.data,
            note=form.note.data,
        ),
    )
    if error:
        vendor = service.get_vendor(db.session, current_user, vendor_id)
        return _render_vendor(vendor, contract_form=form, error=error, status=error.status)
    flash(_l("Contract %(number)s was recorded.", number=contract.number), "success")
    return redirect(url_for("vendors.detail", vendor_id=vendor_id))


@bp.post("/<int:vendor_id>/technicians")
def register_technician(vendor_id):
    vendor = service.get_vendor(db.session, current_user, vendor_id)
    form = TechnicianForm()
    if not form.validate_on_submit():
        return _render_vendor(vendor, technician_form=form, status=422)
    technician, error = run_service(
        form,
        lambda: service.register_technician(
            db.session,
            current_user,
            vendor.id,
            staff_number=form.staff_number.data,
            name=form.name.data,
            username=form.username.data or None,
        ),
    )
    if error:
        vendor = service.get_vendor(db.session, current_user, vendor_id)
        return _render_vendor(vendor, technician_form=form, error=error, status=error.status)
    flash(_l("%(name)s was registered.", name=technician.name), "success")
    return redirect(url_for("vendors.technician", technician_id=technician.id))


@dataclass(frozen=True)
class Check:
    """An eligibility check as asked (ids and codes as typed) and its answer."""

    agency_id: str = ""
    skill: str = ""
    service_key: str = ""
    agency: Agency | None = None
    result: rules.Eligibility | None = None
    error: DomainError | None = None


@bp.get("/technicians/<int:technician_id>")
def technician(technician_id):
    return _render_technician(service.get_technician(db.session, current_user, technician_id))


def _render_technician(
    technician, *, certificate_form=None, revoke_forms=None, check=None, error=None, status=200
):
    """`revoke_forms` holds the revocation form that was refused, by certificate id."""
    day = rules.today()
    certificate_form = certificate_form or CertificateForm(formdata=None, issued_on=day)
    return render_template(
        "vendors/technician.html",
        technician=technician,
        certificates=[(c, certificate_standing(c, day)) for c in technician.certificates],
        certificate_form=certificate_form,
        revoke_form=RevokeForm(formdata=None),
        revoke_forms=revoke_forms or {},
        agencies=_checkable_agencies(technician),
        service_names=service_names(),
        skills=SKILLS,
        check=check or Check(),
        can_certify=can_certify(current_user),
        error=error,
    ), status


def _checkable_agencies(technician):
    """Every agency for the platform-wide roles; for the vendor's staff those it serves."""
    if current_user.sees_all_agencies:
        return visible_agencies(db.session, current_user)
    return served_agencies(db.session, technician.vendor, rules.today())


@bp.get("/technicians/<int:technician_id>/eligibility")
def eligibility(technician_id):
    technician = service.get_technician(db.session, current_user, technician_id)
    args = request.args
    check = Check(args.get("agency_id", ""), args.get("skill", ""), args.get("service", ""))
    try:
        agency = _checked_agency(technician, check.agency_id)
        if check.skill and check.skill not in SKILLS:
            raise InvalidInput(_l("Unknown skill: %(names)s.", names=check.skill))
        if check.service_key and check.service_key not in service_names():
            raise InvalidInput(_l("Unknown catalog item: %(names)s.", names=check.service_key))
    except DomainError as error:
        return _render_technician(
            technician, check=replace(check, error=error), status=error.status
        )
    result = rules.eligibility(
        db.session,
        technician,
        agency,
        skill=check.skill or None,
        service=check.service_key or None,
    )
    return _render_technician(technician, check=replace(check, agency=agency, result=result))


def _checked_agency(technician, raw):
    if not raw:
        raise InvalidInput(_l("Choose an agency."))
    agency_id = int(raw) if raw.isdigit() and int(raw) <= MAX_ID else None
    for agency in _checkable_agencies(technician):
        if agency.id == agency_id:
            return agency
    raise NotFound(_l("No such agency."))


@bp.post("/technicians/<int:technician_id>/certificates")
def issue_certificate(technician_id):
    technician = service.get_technician(db.session, current_user, technician_id)
    form = CertificateForm()
    if not form.validate_on_submit():
        return _render_technician(technician, certificate_form=form, status=422)
    certificate, error = run_service(
        form,
        lambda: service.issue_certificate(
            db.session,
            current_user,
            technician.id,
            number=form.number.data,
            domains=form.domains.data,
            skills=form.skills.data,
            exam_score=form.exam_score.data,
            issued_on=form.issued_on.data,
            expires_on=form.expires_on.data,
        ),
    )
    if error:
        technician = service.get_technician(db.session, current_user, technician_id)
        return _render_technician(
            technician, certificate_form=form, error=error, status=error.status
        )
    flash(_l("Certificate %(number)s was recorded.", number=certificate.number), "success")
    return redirect(url_for("vendors.technician", technician_id=technician_id))


@bp.post("/certificates/<int:certificate_id>/revoke")
def revoke_certificate(certificate_id):
    certificate = service.get_certificate(db.session, current_user, certificate_id)
    technician_id, number = certificate.technician_id, certificate.number
    form = RevokeForm()
    if not form.validate_on_submit():
        technician = service.get_technician(db.session, current_user, technician_id)
        return _render_technician(technician, revoke_forms={certificate_id: form}, status=422)
    _, error = run_service(
        form,
        lambda: service.revoke_certificate(
            db.session, current_user, certificate_id, form.reason.data
        ),
    )
    if error:
        technician = service.get_technician(db.session, current_user, technician_id)
        return _render_technician(
            technician, revoke_forms={certificate_id: form}, error=error, status=error.status
        )
    flash(_l("Certificate %(number)s was revoked.", number=number), "success")
    return redirect(url_for("vendors.technician", technician_id=technician_id))
