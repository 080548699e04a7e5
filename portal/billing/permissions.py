"""Who may see and handle bills, usage and budgets."""

from portal.accounts.roles import Role
from portal.tenancy.permissions import can_view_agency


def can_view_billing(user, agency):
    """An agency's users see its subtree's costs; platform-wide roles see every one."""
    return can_view_agency(user, agency)


def can_manage_bills(user):
    """Generate, adjust, review and finalize bills, load price lists, set budgets."""
    return user.has_role(Role.FINANCE_OFFICER)
