"""The certificates the operations overview watches: those expiring within the notice
period (the expiry warnings' query, vendors.overview.expiring_certificates) and the
technicians whose certificates have all lapsed while their login is still enabled."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select, true
from sqlalchemy.orm import aliased, selectinload

from portal.accounts.models import User
from portal.vendors.models import Certificate, Technician
from portal.vendors.overview import expiring_certificates
from portal.vendors.vocabulary import EXPIRY_NOTICE_DAYS


@dataclass(frozen=True)
class Lapsed:
    """A technician who can still sign in, whose last certificate expired."""

    technician: Technician
    expired_on: date


def _of_vendor(vendor_id):
    return true() if vendor_id is None else Technician.vendor_id == vendor_id


def expiring(session, vendor_id, day):
    """Certificates valid today that expire within the notice period (the expiry
    warnings' query), unless the technician has a renewal: a certificate issued by the
    end of the period that runs beyond it."""
    renewed = aliased(Certificate)
    horizon = day + timedelta(days=EXPIRY_NOTICE_DAYS)
    later = select(renewed.technician_id).where(
        renewed.revoked_at.is_(None),
        renewed.issued_on <= horizon,
        renewed.expires_on > horizon,
    )
    return session.scalars(
        expiring_certificates(day)
        .join(Technician, Technician.id == Certificate.technician_id)
        .where(_of_vendor(vendor_id), Certificate.technician_id.notin_(later))
        .options(selectinload(Certificate.technician).selectinload(Technician.vendor))
        .order_by(Certificate.expires_on, Certificate.number)
    ).all()


def lapsed(session, vendor_id, day):
    """Technicians with an enabled login whose certificates (revoked ones aside) have
    all expired: they may no longer be assigned work, yet can still sign in."""
    last = (
        select(
            Certificate.technician_id.label("technician_id"),
            func.max(Certificate.expires_on).label("expired_on"),
        )
        .where(Certificate.revoked_at.is_(None))
        .group_by(Certificate.technician_id)
        .having(func.max(Certificate.expires_on) < day)
        .subquery()
    )
    rows = session.execute(
        select(Technician, last.c.expired_on)
        .join(last, last.c.technician_id == Technician.id)
        .join(User, User.id == Technician.user_id)
        .where(User.is_enabled, _of_vendor(vendor_id))
        .options(selectinload(Technician.vendor))
        .order_by(last.c.expired_on.desc(), Technician.staff_number)
    ).all()
    return [Lapsed(technician, expired_on) for technician, expired_on in rows]
