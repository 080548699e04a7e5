"""Who may see and change vendors, contracts, technicians and certificates.

The district runs the yearly exam and issues the certificates, so the platform team
records them (one by one or from the exam's CSV); a vendor's manager registers the
vendor's technicians and sees their certificates, but cannot certify them."""

from portal.accounts.roles import VENDOR_ROLES, Role


def is_vendor_staff(user, vendor_id):
    return (
        user.vendor_id is not None
        and user.vendor_id == vendor_id
        and bool(user.roles & VENDOR_ROLES)
    )


def can_browse_vendors(user):
    """Vendors are the platform-wide roles' and the vendors' own staff's business;
    agency staff are refused outright, whatever they name."""
    return user.sees_all_agencies or bool(user.roles & VENDOR_ROLES)


def can_view_vendor(user, vendor):
    return user.sees_all_agencies or is_vendor_staff(user, vendor.id)


def can_manage_vendors(user):
    """Vendors and contracts: the platform team."""
    return user.has_role(Role.PLATFORM_OPERATOR)


def can_register_technicians(user, vendor):
    return user.has_role(Role.PLATFORM_OPERATOR) or (
        user.has_role(Role.VENDOR_MANAGER) and user.vendor_id == vendor.id
    )


def can_certify(user):
    return user.has_role(Role.PLATFORM_OPERATOR)


def can_read_surveys(user, vendor_id):
    """Survey results: the platform team and auditors read all; a vendor's manager reads
    the vendor's own (vendor_id None is the platform team's service)."""
    if user.has_role(Role.PLATFORM_OPERATOR, Role.AUDITOR, Role.ADMIN):
        return True
    return (
        vendor_id is not None and user.has_role(Role.VENDOR_MANAGER) and user.vendor_id == vendor_id
    )


def can_review_vendors(user):
    """Expert review scores for the scorecards: the platform team."""
    return user.has_role(Role.PLATFORM_OPERATOR)


def can_read_scorecards(user, vendor_id=None):
    """Every vendor's scorecard for the platform-wide roles; a vendor's staff their own."""
    return user.sees_all_agencies or (vendor_id is not None and is_vendor_staff(user, vendor_id))
