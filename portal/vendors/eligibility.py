"""Who operates an agency's services, and whether a technician may work on an agency's
resources on a day: the responsible vendor, and a valid certificate covering the
agency's business domain (and the skill, when one is named)."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.billing.periods import BILLING_ZONE
from portal.core.db import utcnow
from portal.tenancy.vocabulary import BUSINESS_DOMAINS
from portal.vendors.models import Certificate, Contract, Vendor
from portal.vendors.vocabulary import SKILLS


def today(now=None):
    """The local date in the district: contracts and certificates run by local dates."""
    return (now or utcnow()).astimezone(BILLING_ZONE).date()


# Why someone operates an agency's service, as a token kept with what it decided (an
# incident's opening): shown in the reader's language by responsibility_text.
BASES = {
    "self_operated": _l("The agency is self-operated."),
    "hybrid_retained": _l("Hybrid outsourcing: this service stays with the platform team."),
    "uncovered": _l("No vendor's contract covers this business domain on that day."),
}
CONTRACT = "contract"


def responsibility_text(basis, contract_number=None):
    if basis == CONTRACT:
        return _l("Contract %(n)s.", n=contract_number or "?")
    return BASES[basis]


@dataclass(frozen=True)
class Responsibility:
    """Who operates an agency's service on a day: a vendor under a contract, or the
    platform team (vendor None), and on what basis (BASES, or CONTRACT)."""

    vendor: Vendor | None
    contract: Contract | None
    basis: str

    @property
    def reason(self):
        return responsibility_text(self.basis, self.contract.number if self.contract else None)


def responsible_vendor(session, agency, service=None, day=None):
    """Self-operated agencies are the platform team's; fully outsourced ones their
    domain's vendor's; hybrid ones the vendor's only for the services its contract names."""
    return responsibility(contracts_in_force(session, day or today()), agency, service)


def contracts_in_force(session, day):
    return session.scalars(
        select(Contract).where(Contract.starts_on <= day, Contract.ends_on >= day)
    ).all()


def responsibility(contracts, agency, service=None):
    """responsible_vendor among the contracts in force on the day, for callers that ask
    about many agencies at once."""
    if agency.outsourcing_mode == "self_operated":
        return Responsibility(None, None, "self_operated")
    for contract in contracts:
        if agency.domain not in contract.domains:
            continue
        if agency.outsourcing_mode == "hybrid" and service not in contract.hybrid_services:
            return Responsibility(None, contract, "hybrid_retained")
        return Responsibility(contract.vendor, contract, CONTRACT)
    return Responsibility(None, None, "uncovered")


@dataclass(frozen=True)
class Eligibility:
    allowed: bool
    reason: str
    certificate: Certificate | None = None


def eligibility(session, technician, agency, skill=None, service=None, day=None):
    """May this technician work on this agency's resources today? Only for the vendor
    responsible for the agency, and only while holding a valid certificate whose scope
    covers the agency's business domain (and the skill, when one is named)."""
    day = day or today()
    responsible = responsible_vendor(session, agency, service, day)
    if responsible.vendor is None or responsible.vendor.id != technician.vendor_id:
        return Eligibility(
            False,
            _l(
                "%(vendor)s is not responsible for %(agency)s: %(why)s",
                vendor=technician.vendor.name_zh,
                agency=agency.name_zh,
                why=responsible.reason,
            ),
        )
    return licensed(technician, agency, skill, day)


def licensed(technician, agency, skill=None, day=None):
    """The certificate half of eligibility: a certificate valid on the day whose scope
    covers the agency's business domain (and the skill, when one is named)."""
    day = day or today()
    if not technician.certificates:
        return Eligibility(False, _l("%(name)s holds no certificate.", name=technician.name))
    valid = [c for c in technician.certificates if c.valid_on(day)]
    if not valid:
        latest = max(technician.certificates, key=lambda c: c.expires_on)
        if latest.revoked_at is not None:
            why = _l("certificate %(n)s was revoked", n=latest.number)
        elif latest.issued_on > day:
            why = _l("certificate %(n)s is valid from %(d)s", n=latest.number, d=latest.issued_on)
        else:
            why = _l("certificate %(n)s expired on %(d)s", n=latest.number, d=latest.expires_on)
        return Eligibility(
            False, _l("%(name)s is not licensed to work: %(why)s.", name=technician.name, why=why)
        )
    for certificate in valid:
        if agency.domain in certificate.domains and (skill is None or skill in certificate.skills):
            return Eligibility(
                True, _l("Certificate %(n)s.", n=certificate.number), certificate=certificate
            )
    missing = (
        BUSINESS_DOMAINS[agency.domain]
        if not any(agency.domain in c.domains for c in valid)
        else SKILLS.get(skill, skill)
    )
    return Eligibility(
        False,
        _l(
            "%(name)s's certificate does not cover %(what)s.",
            name=technician.name,
            what=missing,
        ),
    )
