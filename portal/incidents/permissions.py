"""Who may see and act on incidents.

An agency's staff see their subtree's incidents, open them on their resources, answer
when the incident waits on them, confirm or reopen a resolution. The platform-wide
roles see every incident. A vendor's staff see the incidents assigned to their vendor;
only its certified technicians (and the platform team, for what it operates itself)
work on them; its manager and the platform team assign technicians.
"""

from sqlalchemy import false, true

from portal.accounts.roles import VENDOR_ROLES, Role
from portal.tenancy.permissions import agency_scope, in_subtree


def can_view_incident(user, incident):
    if user.sees_all_agencies:
        return True
    if user.roles & VENDOR_ROLES:
        return incident.vendor_id is not None and incident.vendor_id == user.vendor_id
    return user.is_agency_user and in_subtree(incident.agency, user.agency)


def incident_scope(user, incident_table):
    """A WHERE clause keeping the incidents the user may see."""
    if user.sees_all_agencies:
        return true()
    if user.roles & VENDOR_ROLES:
        if user.vendor_id is None:
            return false()
        return incident_table.vendor_id == user.vendor_id
    return agency_scope(user, incident_table.agency_id)


def is_agency_side(user, incident):
    """Staff of the incident's agency or above it: they report, answer and confirm."""
    return user.is_agency_user and in_subtree(incident.agency, user.agency)


def can_assign(user, incident):
    if user.has_role(Role.PLATFORM_OPERATOR):
        return True
    return (
        incident.vendor_id is not None
        and user.has_role(Role.VENDOR_MANAGER)
        and user.vendor_id == incident.vendor_id
    )
