"""Certificate expiry warnings for Celery beat: the technician and the vendor's managers
hear 30 days ahead, once per certificate, so the vendor can sit the exam in time."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User, UserRole
from portal.accounts.roles import Role
from portal.core.db import utcnow
from portal.core.locks import locked
from portal.extensions import celery, db
from portal.notifications.service import notify
from portal.vendors.eligibility import today
from portal.vendors.models import Certificate
from portal.vendors.overview import expiring_certificates

CERTIFICATES = "portal.vendors.certificates"
EXPIRING = _l("Certificate %(number)s of %(name)s expires on %(day)s")
EXPIRING_BODY = _l(
    "After %(day)s %(name)s may no longer be assigned work or run playbooks until a new "
    "certificate is recorded."
)


def warn_expiring_certificates(session, now=None):
    """Warn about valid certificates that expire within the notice period; returns
    their numbers. Only flushes."""
    now = now or utcnow()
    day = today(now)
    due = session.scalars(
        expiring_certificates(day).where(Certificate.expiry_warned_at.is_(None))
    ).all()
    for certificate in due:
        technician = certificate.technician
        notify(
            session,
            _people(session, technician),
            EXPIRING,
            EXPIRING_BODY,
            link=f"/vendors/technicians/{technician.id}",
            number=certificate.number,
            name=technician.name,
            day=certificate.expires_on.isoformat(),
        )
        certificate.expiry_warned_at = now
    session.flush()
    return [certificate.number for certificate in due]


def _people(session, technician):
    managers = select(UserRole.user_id).where(UserRole.role == Role.VENDOR_MANAGER)
    return session.scalars(
        select(User).where(
            User.is_enabled,
            (User.id == technician.user_id)
            | ((User.vendor_id == technician.vendor_id) & User.id.in_(managers)),
        )
    ).all()


@locked("certificates")
def warn_now(session):
    warned = warn_expiring_certificates(session)
    session.commit()
    return warned


@celery.task(name=CERTIFICATES, soft_time_limit=300, time_limit=360)
def certificates_task():
    try:
        return warn_now(db.session)
    finally:
        db.session.remove()
