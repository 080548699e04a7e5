"""Vendors and contracts; who operates an agency's resources; technicians, their
certificates and whether a technician may work on an agency's resources today."""

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.catalog.models import CatalogItem
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.tenancy.vocabulary import BUSINESS_DOMAINS
from portal.vendors.models import Certificate, Contract, Technician, Vendor
from portal.vendors.permissions import (
    can_browse_vendors,
    can_certify,
    can_manage_vendors,
    can_register_technicians,
    can_view_vendor,
)
from portal.vendors.vocabulary import PASS_MARK, SKILLS

CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,59}$")


def require_vendor_access(user):
    if not can_browse_vendors(user):
        raise Forbidden(_l("Vendors are seen by the platform team and the vendors' own staff."))


def visible_vendors(session, user):
    require_vendor_access(user)
    query = select(Vendor).order_by(Vendor.code)
    if not user.sees_all_agencies:
        query = query.where(Vendor.id == user.vendor_id)
    return session.scalars(query).all()


def get_vendor(session, user, vendor_id):
    require_vendor_access(user)
    vendor = session.get(Vendor, vendor_id)
    if vendor is None or not can_view_vendor(user, vendor):
        raise NotFound(_l("No such vendor."))
    return vendor


def create_vendor(session, actor, *, code, name_zh, name_en, contact=None):
    if not can_manage_vendors(actor):
        raise Forbidden(_l("Only the platform team registers vendors."))
    errors = {}
    code = (code or "").strip()
    if not CODE.match(code):
        errors["code"] = _l("2 to 40 lower-case letters, digits or hyphens.")
    elif session.scalar(select(Vendor.id).where(Vendor.code == code)):
        errors["code"] = _l("This code is taken.")
    for field, value in (("name_zh", name_zh), ("name_en", name_en)):
        if not (value or "").strip():
            errors[field] = _l("Required.")
    if errors:
        raise InvalidInput(_l("The vendor cannot be registered."), errors)
    vendor = Vendor(
        code=code, name_zh=name_zh.strip(), name_en=name_en.strip(), contact=contact or None
    )
    session.add(vendor)
    audit.record(session, actor, "vendor.create", "vendor", vendor, after=_vendor_view(vendor))
    session.flush()
    return vendor


def add_contract(
    session,
    actor,
    vendor_id,
    *,
    number,
    starts_on,
    ends_on,
    domains,
    hybrid_services=(),
    note=None,
):
    """A contract for business domains over [starts_on, ends_on]. A domain has one
    designated vendor at a time: a contract overlapping another for the same domain is
    refused."""
    vendor = get_vendor(session, actor, vendor_id)
    if not can_manage_vendors(actor):
        raise Forbidden(_l("Only the platform team records contracts."))
    errors = {}
    number = (number or "").strip()
    if not NUMBER.match(number):
        errors["number"] = _l("Letters, digits and / _ . - only, at most 60.")
    elif session.scalar(select(Contract.id).where(Contract.number == number)):
        errors["number"] = _l("A contract with this number exists.")
    if not isinstance(starts_on, date) or not isinstance(ends_on, date):
        errors["ends_on"] = _l("Give both dates.")
    elif ends_on < starts_on:
        errors["ends_on"] = _l("The contract cannot end before it starts.")
    domains = sorted(set(domains or ()))
    if not domains:
        errors["domains"] = _l("Name at least one business domain.")
    elif unknown := [domain for domain in domains if domain not in BUSINESS_DOMAINS]:
        errors["domains"] = _l("Unknown business domain: %(names)s.", names=", ".join(unknown))
    hybrid_services = sorted(set(hybrid_services or ()))
    known = set(session.scalars(select(CatalogItem.key)))
    if unknown := [key for key in hybrid_services if key not in known]:
        errors["hybrid_services"] = _l("Unknown catalog item: %(names)s.", names=", ".join(unknown))
    if errors:
        raise InvalidInput(_l("The contract cannot be recorded."), errors)
    for other in session.scalars(
        select(Contract).where(Contract.starts_on <= ends_on, Contract.ends_on >= starts_on)
    ):
        if shared := sorted(set(other.domains) & set(domains)):
            raise Conflict(
                _l(
                    "Contract %(number)s of %(vendor)s already covers %(domains)s from "
                    "%(start)s to %(end)s: a business domain has one designated vendor at "
                    "a time.",
                    number=other.number,
                    vendor=other.vendor.name_zh,
                    domains=", ".join(str(BUSINESS_DOMAINS[d]) for d in shared),
                    start=other.starts_on.isoformat(),
                    end=other.ends_on.isoformat(),
                ),
                {"domains": _l("Overlaps contract %(number)s.", number=other.number)},
            )
    contract = Contract(
        vendor=vendor,
        number=number,
        starts_on=starts_on,
        ends_on=ends_on,
        domains=domains,
        hybrid_services=hybrid_services,
        note=note or None,
        created_by_id=actor.id,
    )
    session.add(contract)
    audit.record(
        session, actor, "contract.create", "contract", contract, after=_contract_view(contract)
    )
    session.flush()
    return contract


def register_technician(session, actor, vendor_id, *, staff_number, name, username=None):
    vendor = get_vendor(session, actor, vendor_id)
    if not can_register_technicians(actor, vendor):
        raise Forbidden(_l("Only the vendor's manager or the platform team registers its staff."))
    errors = {}
    staff_number = (staff_number or "").strip()
    if not NUMBER.match(staff_number) or len(staff_number) > 40:
        errors["staff_number"] = _l("Letters, digits and / _ . - only, at most 40.")
    elif technician_by_number(session, vendor.id, staff_number) is not None:
        errors["staff_number"] = _l("The vendor has a technician with this staff number.")
    if not (name or "").strip():
        errors["name"] = _l("Required.")
    user = None
    if username:
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None or not user.has_role(Role.VENDOR_TECHNICIAN):
            errors["username"] = _l("No technician account has this user name.")
        elif user.vendor_id != vendor.id:
            errors["username"] = _l("This account belongs to another vendor.")
        elif session.scalar(select(Technician.id).where(Technician.user_id == user.id)):
            errors["username"] = _l("This account is another technician's.")
    if errors:
        raise InvalidInput(_l("The technician cannot be registered."), errors)
    technician = Technician(vendor=vendor, staff_number=staff_number, name=name.strip(), user=user)
    session.add(technician)
    audit.record(
        session,
        actor,
        "technician.register",
        "technician",
        technician,
        after={"vendor": vendor.code, "staff_number": staff_number, "name": technician.name},
    )
    session.flush()
    return technician


def technicians_of(session, vendor):
    return session.scalars(
        select(Technician)
        .where(Technician.vendor_id == vendor.id)
        .order_by(Technician.staff_number)
    ).all()


def get_technician(session, user, technician_id):
    require_vendor_access(user)
    technician = session.get(Technician, technician_id)
    if technician is None or not can_view_vendor(user, technician.vendor):
        raise NotFound(_l("No such technician."))
    return technician


def issue_certificate(
    session,
    actor,
    technician_id,
    *,
    number,
    domains,
    skills,
    exam_score,
    issued_on,
    expires_on,
):
    technician = get_technician(session, actor, technician_id)
    if not can_certify(actor):
        raise Forbidden(_l("Certificates are issued by the platform team, after the exam."))
    errors = certificate_errors(session, number, domains, skills, exam_score, issued_on, expires_on)
    if errors:
        raise InvalidInput(_l("The certificate cannot be recorded."), errors)
    return record_certificate(
        session,
        actor,
        technician,
        number=number.strip(),
        domains=sorted(set(domains)),
        skills=sorted(set(skills)),
        exam_score=exam_score,
        issued_on=issued_on,
        expires_on=expires_on,
    )


def certificate_errors(session, number, domains, skills, exam_score, issued_on, expires_on):
    """Field errors of a certificate's values (the form, the API and the CSV import)."""
    errors = {}
    number = (number or "").strip()
    if not NUMBER.match(number):
        errors["number"] = _l("Letters, digits and / _ . - only, at most 60.")
    elif session.scalar(select(Certificate.id).where(Certificate.number == number)):
        errors["number"] = _l("A certificate with this number exists.")
    if not domains:
        errors["domains"] = _l("Name at least one business domain.")
    elif unknown := sorted(set(domains) - set(BUSINESS_DOMAINS)):
        errors["domains"] = _l("Unknown business domain: %(names)s.", names=", ".join(unknown))
    if not skills:
        errors["skills"] = _l("Name at least one skill.")
    elif unknown := sorted(set(skills) - set(SKILLS)):
        errors["skills"] = _l("Unknown skill: %(names)s.", names=", ".join(unknown))
    if (
        not isinstance(exam_score, int)
        or isinstance(exam_score, bool)
        or not 0 <= exam_score <= 100
    ):
        errors["exam_score"] = _l("A whole number from 0 to 100.")
    elif exam_score < PASS_MARK:
        errors["exam_score"] = _l(
            "Below the pass mark of %(mark)s: no certificate is issued.", mark=PASS_MARK
        )
    if not isinstance(issued_on, date) or not isinstance(expires_on, date):
        errors["expires_on"] = _l("Give both dates.")
    elif expires_on < issued_on:
        errors["expires_on"] = _l("A certificate cannot expire before it is issued.")
    return errors


def record_certificate(session, actor, technician, **values):
    """Add a certificate whose values passed certificate_errors. Only flushes."""
    certificate = Certificate(technician=technician, created_by_id=actor.id, **values)
    session.add(certificate)
    audit.record(
        session,
        actor,
        "certificate.issue",
        "certificate",
        certificate,
        after={"technician": technician.staff_number, "vendor": technician.vendor.code, **values},
    )
    session.flush()
    return certificate


def get_certificate(session, user, certificate_id):
    require_vendor_access(user)
    certificate = session.get(Certificate, certificate_id)
    if certificate is None or not can_view_vendor(user, certificate.technician.vendor):
        raise NotFound(_l("No such certificate."))
    return certificate


def revoke_certificate(session, actor, certificate_id, reason):
    certificate = get_certificate(session, actor, certificate_id)
    if not can_certify(actor):
        raise Forbidden(_l("Certificates are revoked by the platform team."))
    if not (reason or "").strip():
        raise InvalidInput(_l("Say why the certificate is revoked."), {"reason": _l("Required.")})
    if certificate.revoked_at is not None:
        raise Conflict(_l("This certificate is revoked already."))
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason.strip()
    audit.record(
        session,
        actor,
        "certificate.revoke",
        "certificate",
        certificate.id,
        before={"revoked": False},
        after={"revoked": True},
        note=certificate.revoked_reason,
    )
    session.flush()
    return certificate


def technician_by_number(session, vendor_id, staff_number):
    return session.scalar(
        select(Technician).where(
            Technician.vendor_id == vendor_id, Technician.staff_number == staff_number
        )
    )


def _vendor_view(vendor):
    return {"code": vendor.code, "name_zh": vendor.name_zh, "name_en": vendor.name_en}


def _contract_view(contract):
    return {
        "vendor": contract.vendor.code,
        "number": contract.number,
        "starts_on": contract.starts_on.isoformat(),
        "ends_on": contract.ends_on.isoformat(),
        "domains": contract.domains,
        "hybrid_services": contract.hybrid_services,
    }
