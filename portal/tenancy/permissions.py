"""Who may see and change agencies."""

from sqlalchemy import String, bindparam, false, select, true

from portal.accounts.roles import Role
from portal.tenancy.models import Agency


def in_subtree(agency, root):
    return agency is not None and root is not None and agency.path.startswith(root.path)


def can_view_agency(user, agency):
    return user.sees_all_agencies or (user.is_agency_user and in_subtree(agency, user.agency))


def can_manage_quotas(user):
    return user.has_role(Role.PLATFORM_OPERATOR)


def agency_scope(user, agency_id_column):
    """A WHERE clause keeping only rows whose agency the user may see."""
    if user.sees_all_agencies:
        return true()
    if not user.is_agency_user:
        return false()
    # The path is written into the SQL, not bound, so that PostgreSQL plans for this
    # subtree even in the generic plan it falls back to for a statement psycopg
    # prepared (see portal.core.paging): a community's subtree and the district's want
    # different plans; with a bound path the district's first page of orders took 22 ms.
    path = bindparam(None, user.agency.path, literal_execute=True)
    return _in_subtree(agency_id_column, path)


def _in_subtree(agency_id_column, path):
    return agency_id_column.in_(select(Agency.id).where(Agency.path.startswith(path)))


def bound_subtree_scope(agency_id_column):
    """agency_scope of an agency user for a statement built once: the subtree is the
    scope_path parameter (written into the SQL too), its value from scope_params."""
    path = bindparam("scope_path", type_=String, literal_execute=True)
    return _in_subtree(agency_id_column, path)


def scope_params(user):
    return {"scope_path": user.agency.path}


def can_manage_agencies(user):
    """Onboard agencies and change their profile: the platform team's work."""
    return user.has_role(Role.PLATFORM_OPERATOR)
