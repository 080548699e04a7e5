"""Who may see, make and decide orders."""

from portal.accounts.roles import AGENCY_ROLES, Role
from portal.tenancy.permissions import in_subtree


def can_view_order(user, order):
    return user.sees_all_agencies or (user.is_agency_user and in_subtree(order.agency, user.agency))


def can_order_for(user, agency):
    """Agency staff order for their own agency."""
    return agency is not None and user.agency_id == agency.id and user.has_role(*AGENCY_ROLES)


def can_cancel(user, order):
    if order.created_by_id == user.id:
        return True
    return user.has_role(Role.AGENCY_MANAGER) and in_subtree(order.agency, user.agency)


def may_hold_step_role(user, step):
    """Whether the user holds the step's role over the order's agency."""
    if step.role == Role.PLATFORM_OPERATOR:
        return user.has_role(Role.PLATFORM_OPERATOR)
    if step.role == Role.AGENCY_MANAGER:
        return user.has_role(Role.AGENCY_MANAGER) and in_subtree(step.order.agency, user.agency)
    return False
