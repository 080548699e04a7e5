"""Who may see and act on resources: `can(user, resource, what)`."""

from portal.accounts.roles import Role
from portal.tenancy.permissions import in_subtree


def _staff_of(user, resource):
    return user.is_agency_user and user.agency_id == resource.agency_id


def _manager_over(user, resource):
    return user.has_role(Role.AGENCY_MANAGER) and in_subtree(resource.agency, user.agency)


RULES = {
    "view": lambda user, r: (
        user.sees_all_agencies or (user.is_agency_user and in_subtree(r.agency, user.agency))
    ),
    # Day-2 actions: staff of the owning agency, its managers above, platform operators.
    "operate": lambda user, r: (
        _staff_of(user, r) or _manager_over(user, r) or user.has_role(Role.PLATFORM_OPERATOR)
    ),
    # Deleting loses data: managers and platform operators only.
    "delete": lambda user, r: _manager_over(user, r) or user.has_role(Role.PLATFORM_OPERATOR),
    # The credentials go to the person who ordered the resource, once.
    "reveal_secret": lambda user, r: r.order.created_by_id == user.id,
}


def can(user, resource, what):
    return RULES[what](user, resource)
