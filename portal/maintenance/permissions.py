"""Who may see and act on maintenance runs.

The platform-wide roles see every run; a vendor's staff see their vendor's runs; agency
staff see the runs on resources of their agency (and, for those above, its subtree).
Only a vendor's technician with a login plans runs (the service then asks whether they
are licensed for each target); only the technician who planned a run starts it or asks
for its approval; platform operators approve or reject, never a run they planned
themselves (four eyes); the technician or a platform operator cancels it.
"""

from sqlalchemy import exists, false, select, true

from portal.accounts.roles import VENDOR_ROLES, Role
from portal.maintenance.models import MaintenanceTarget
from portal.tenancy.permissions import agency_scope, in_subtree


def can_view_run(user, run):
    if user.sees_all_agencies:
        return True
    if user.roles & VENDOR_ROLES:
        return user.vendor_id is not None and run.vendor_id == user.vendor_id
    return user.is_agency_user and any(
        in_subtree(target.resource.agency, user.agency) for target in run.targets
    )


def run_scope(user, run_table):
    """A WHERE clause keeping the runs the user may see."""
    if user.sees_all_agencies:
        return true()
    if user.roles & VENDOR_ROLES:
        if user.vendor_id is None:
            return false()
        return run_table.vendor_id == user.vendor_id
    if not user.is_agency_user:
        return false()
    return exists(
        select(MaintenanceTarget.id).where(
            MaintenanceTarget.run_id == run_table.id,
            agency_scope(user, MaintenanceTarget.agency_id),
        )
    )


def may_plan(user):
    return user.has_role(Role.VENDOR_TECHNICIAN) and user.vendor_id is not None


def is_its_technician(user, run):
    return run.requested_by_id == user.id


def can_decide(user, run):
    return user.has_role(Role.PLATFORM_OPERATOR) and run.requested_by_id != user.id


def can_cancel(user, run):
    return is_its_technician(user, run) or user.has_role(Role.PLATFORM_OPERATOR)
