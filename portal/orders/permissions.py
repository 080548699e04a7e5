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


def requested_by_a_manager(order):
    return order.created_by.has_role(Role.AGENCY_MANAGER)


def may_hold_step_role(user, step):
    """Whether the user holds the step's role over the order's agency. A manager's own
    request goes up to the platform: its agency step may also be decided by a platform
    operator, since the agency may have no second manager."""
    if step.role == Role.PLATFORM_OPERATOR:
        return user.has_role(Role.PLATFORM_OPERATOR)
    if step.role == Role.AGENCY_MANAGER:
        if user.has_role(Role.AGENCY_MANAGER) and in_subtree(step.order.agency, user.agency):
            return True
        return user.has_role(Role.PLATFORM_OPERATOR) and requested_by_a_manager(step.order)
    return False
