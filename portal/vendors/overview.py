"""What the vendor pages show, read only: each vendor's contracts in force and how many
of its technicians are licensed, the agencies it serves, a certificate's standing."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from portal.tenancy.models import Agency
from portal.vendors.models import Certificate, Contract, Technician
from portal.vendors.vocabulary import EXPIRY_NOTICE_DAYS

# Agencies listed under one contract on the vendor's page; the count says how many more.
SERVED_CAP = 50


@dataclass(frozen=True)
class Standing:
    """valid, expiring (within the notice days), expired, revoked, pending (issued for a
    later day) or none; `day` is the date the page names, `days` those left."""

    kind: str
    day: date | None = None
    days: int | None = None


def certificate_standing(certificate, day):
    if certificate.revoked_at is not None:
        return Standing("revoked")
    if day < certificate.issued_on:
        return Standing("pending", certificate.issued_on)
    if day > certificate.expires_on:
        return Standing("expired", certificate.expires_on)
    left = (certificate.expires_on - day).days
    if left <= EXPIRY_NOTICE_DAYS:
        return Standing("expiring", certificate.expires_on, left)
    return Standing("valid", certificate.expires_on)


def expiring_certificates(day, days=EXPIRY_NOTICE_DAYS):
    """A query of the certificates valid on `day` that expire within `days` of it: the
    ones the expiry warnings go out for (vendors.tasks) and the operations dashboard
    lists. Callers add their own conditions and order."""
    return select(Certificate).where(
        Certificate.revoked_at.is_(None),
        Certificate.issued_on <= day,
        Certificate.expires_on >= day,
        Certificate.expires_on <= day + timedelta(days=days),
    )


def technician_standing(technician, day):
    """The valid certificate that lasts longest, else the latest one, else none."""
    certificates = technician.certificates
    if not certificates:
        return Standing("none")
    valid = [c for c in certificates if c.valid_on(day)]
    chosen = max(valid or certificates, key=lambda c: (c.expires_on, c.issued_on))
    return certificate_standing(chosen, day)


def contract_state(contract, day):
    if day < contract.starts_on:
        return "not_started"
    return "ended" if day > contract.ends_on else "in_force"


def contracts_in_force(session, vendor_ids, day):
    return session.scalars(
        select(Contract)
        .where(
            Contract.vendor_id.in_(vendor_ids), Contract.starts_on <= day, Contract.ends_on >= day
        )
        .order_by(Contract.starts_on)
    ).all()


@dataclass(frozen=True)
class VendorRow:
    vendor: object
    contracts: list
    technicians: int
    licensed: int


def vendor_rows(session, vendors, day):
    """One row per vendor for the list: contracts in force, technicians, licensed ones."""
    ids = [vendor.id for vendor in vendors]
    contracts = {}
    for contract in contracts_in_force(session, ids, day):
        contracts.setdefault(contract.vendor_id, []).append(contract)
    staff = dict(
        session.execute(
            select(Technician.vendor_id, func.count(Technician.id))
            .where(Technician.vendor_id.in_(ids))
            .group_by(Technician.vendor_id)
        ).all()
    )
    licensed = dict(
        session.execute(
            select(Technician.vendor_id, func.count(func.distinct(Technician.id)))
            .join(Certificate, Certificate.technician_id == Technician.id)
            .where(
                Technician.vendor_id.in_(ids),
                Certificate.revoked_at.is_(None),
                Certificate.issued_on <= day,
                Certificate.expires_on >= day,
            )
            .group_by(Technician.vendor_id)
        ).all()
    )
    return [
        VendorRow(v, contracts.get(v.id, []), staff.get(v.id, 0), licensed.get(v.id, 0))
        for v in vendors
    ]


def _served_by(contracts):
    """Agencies of the contracts' domains that are not self-operated: fully outsourced
    ones are the vendor's, hybrid ones for the services the contract names."""
    domains = sorted({domain for contract in contracts for domain in contract.domains})
    return select(Agency).where(
        Agency.domain.in_(domains), Agency.outsourcing_mode != "self_operated"
    )


@dataclass(frozen=True)
class Served:
    contract: Contract
    agencies: list  # at most SERVED_CAP
    total: int


def served_by_contract(session, vendor, day):
    served = []
    for contract in contracts_in_force(session, [vendor.id], day):
        query = _served_by([contract])
        served.append(
            Served(
                contract,
                session.scalars(query.order_by(Agency.code).limit(SERVED_CAP)).all(),
                session.scalar(select(func.count()).select_from(query.subquery())),
            )
        )
    return served


def served_agencies(session, vendor, day):
    """Every agency the vendor serves on the day, by code."""
    contracts = contracts_in_force(session, [vendor.id], day)
    if not contracts:
        return []
    return session.scalars(_served_by(contracts).order_by(Agency.code)).all()
