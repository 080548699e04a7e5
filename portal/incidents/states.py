"""The incident state machine and its vocabularies."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class IncidentState(StrEnum):
    OPEN = "open"  # reported; the response clock runs
    ACKNOWLEDGED = "acknowledged"  # someone responded; the resolution clock runs
    WAITING = "waiting"  # waiting on the agency: the resolution clock stops
    RESOLVED = "resolved"  # fixed, awaiting the agency's confirmation
    CLOSED = "closed"

    @property
    def label(self):
        return STATE_LABELS[self]


STATE_LABELS = {
    IncidentState.OPEN: _l("Open"),
    IncidentState.ACKNOWLEDGED: _l("Being handled"),
    IncidentState.WAITING: _l("Waiting on the agency"),
    IncidentState.RESOLVED: _l("Resolved"),
    IncidentState.CLOSED: _l("Closed"),
}

TRANSITIONS = {
    IncidentState.OPEN: {IncidentState.ACKNOWLEDGED},
    IncidentState.ACKNOWLEDGED: {IncidentState.WAITING, IncidentState.RESOLVED},
    IncidentState.WAITING: {IncidentState.ACKNOWLEDGED},
    # Reopened by the agency when the fix did not hold; closed when it confirms.
    IncidentState.RESOLVED: {IncidentState.ACKNOWLEDGED, IncidentState.CLOSED},
    IncidentState.CLOSED: set(),
}
UNRESOLVED = (IncidentState.OPEN, IncidentState.ACKNOWLEDGED, IncidentState.WAITING)

PRIORITIES = {
    "P1": _l("P1 – service down"),
    "P2": _l("P2 – service degraded"),
    "P3": _l("P3 – single user or minor"),
    "P4": _l("P4 – request or question"),
}
SOURCES = {
    "agency": _l("Reported by the agency"),
    "platform": _l("Reported by the platform team"),
    "reconciler": _l("Raised by reconciliation"),
}
