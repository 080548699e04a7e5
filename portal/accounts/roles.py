"""The roles of DESIGN.md and what each may see."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Role(StrEnum):
    AGENCY_MEMBER = "agency_member"
    AGENCY_MANAGER = "agency_manager"
    PLATFORM_OPERATOR = "platform_operator"
    FINANCE_OFFICER = "finance_officer"
    VENDOR_TECHNICIAN = "vendor_technician"
    VENDOR_MANAGER = "vendor_manager"
    AUDITOR = "auditor"
    ADMIN = "admin"

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.AGENCY_MEMBER: _l("Agency member"),
    Role.AGENCY_MANAGER: _l("Agency manager"),
    Role.PLATFORM_OPERATOR: _l("Platform operator"),
    Role.FINANCE_OFFICER: _l("Finance officer"),
    Role.VENDOR_TECHNICIAN: _l("Vendor technician"),
    Role.VENDOR_MANAGER: _l("Vendor manager"),
    Role.AUDITOR: _l("Auditor"),
    Role.ADMIN: _l("Administrator"),
}

# Roles whose holders see every agency (read at least); agency roles see a subtree.
PLATFORM_WIDE_ROLES = frozenset(
    {Role.PLATFORM_OPERATOR, Role.FINANCE_OFFICER, Role.AUDITOR, Role.ADMIN}
)
AGENCY_ROLES = frozenset({Role.AGENCY_MEMBER, Role.AGENCY_MANAGER})
VENDOR_ROLES = frozenset({Role.VENDOR_MANAGER, Role.VENDOR_TECHNICIAN})
