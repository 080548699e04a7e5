"""Who hears of an incident: those who take it (the vendor's managers, or the platform
operators), and those who reported it (the reporter, else the agency's managers)."""

from sqlalchemy import select

from portal.accounts.models import User, UserRole
from portal.accounts.roles import Role


def handlers(session, incident):
    """Who takes an incident: the vendor's managers, or the platform operators."""
    if incident.vendor_id is None:
        holders = select(UserRole.user_id).where(UserRole.role == Role.PLATFORM_OPERATOR)
        return session.scalars(select(User).where(User.is_enabled, User.id.in_(holders))).all()
    managers = select(UserRole.user_id).where(UserRole.role == Role.VENDOR_MANAGER)
    return session.scalars(
        select(User).where(
            User.is_enabled, User.vendor_id == incident.vendor_id, User.id.in_(managers)
        )
    ).all()


def reporters(session, incident):
    if incident.opened_by is not None:
        return [incident.opened_by]
    managers = select(UserRole.user_id).where(UserRole.role == Role.AGENCY_MANAGER)
    return session.scalars(
        select(User).where(
            User.is_enabled, User.agency_id == incident.agency_id, User.id.in_(managers)
        )
    ).all()
