"""Who may see the operations overview, and how much of it.

The platform-wide roles (operator, auditor, finance officer, administrator) see the
whole platform: they read every incident, resource and vendor already, and the
overview is a summary of those. A vendor's staff (manager or technician) see their
vendor's part only: its incidents, the resources they were opened on, the resources of
the agencies its contracts cover, its technicians' certificates. Agency staff are
refused: the figures span agencies that are not theirs.
"""

from portal.vendors.permissions import is_vendor_staff


def can_view_operations(user):
    return bool(user.sees_all_agencies or is_vendor_staff(user, user.vendor_id))


def vendor_scope(user):
    """None: the whole platform; otherwise the id of the one vendor the user sees."""
    return None if user.sees_all_agencies else user.vendor_id
