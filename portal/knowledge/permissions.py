"""Who reads and writes the knowledge base, and who cites its articles on an incident.

Read: every role. Articles carry no agency data (they are written from what was
learned, not copied from an incident), and every role sees incidents in its scope
whose resolutions cite them: agency staff, the platform-wide roles (operator, finance,
auditor, admin) and the vendors' staff. A logged-in account holding no role reads
nothing (403), as it sees no incident either.

Write and edit: vendor technicians and vendor managers (of a vendor) and the platform
operators, who do the operations work. Any of them may edit any article: the knowledge
base belongs to the district and outlives a vendor's contract, and every edit is a new
revision with who and why, so nothing one of them wrote is lost. Auditors, finance,
admins and agency staff only read.

Cite (link an article to an incident, or unlink it): whoever may work on that incident
(portal.incidents.service.may_work: the responsible vendor's licensed technicians, or
the platform team for what it operates itself), while the incident is not closed.
"""

from portal.accounts.roles import Role
from portal.incidents.states import IncidentState

WRITER_ROLES = frozenset({Role.VENDOR_TECHNICIAN, Role.VENDOR_MANAGER})


def can_read_knowledge(user):
    return bool(getattr(user, "is_authenticated", False) and user.roles)


def can_write_knowledge(user):
    if not can_read_knowledge(user):
        return False
    if user.has_role(Role.PLATFORM_OPERATOR):
        return True
    return bool(user.roles & WRITER_ROLES) and user.vendor_id is not None


def citable(incident):
    """A closed incident is final: its citations stay as they were."""
    return incident.state != IncidentState.CLOSED
