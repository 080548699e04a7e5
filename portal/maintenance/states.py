"""The states of a maintenance run, their labels, and the words of its output."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class RunState(StrEnum):
    PLANNED = "planned"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    QUEUED = "queued"  # started by its technician, waiting for a worker
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return RUN_LABELS[self]

    @property
    def finished(self):
        return self in FINISHED

    @property
    def badge(self):
        """The stylesheet's class for this state (shared with orders and operations)."""
        return BADGES.get(self, "")


FINISHED = frozenset({RunState.REJECTED, RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED})
# Who may still be stopped before anything ran.
CANCELLABLE = frozenset(
    {RunState.PLANNED, RunState.AWAITING_APPROVAL, RunState.APPROVED, RunState.QUEUED}
)

RUN_LABELS = {
    RunState.PLANNED: _l("Planned"),
    RunState.AWAITING_APPROVAL: _l("Awaiting approval"),
    RunState.APPROVED: _l("Approved"),
    RunState.REJECTED: _l("Rejected"),
    RunState.QUEUED: _l("Queued"),
    RunState.RUNNING: _l("Running"),
    RunState.SUCCEEDED: _l("Succeeded"),
    RunState.FAILED: _l("Failed"),
    RunState.CANCELLED: _l("Cancelled"),
}

BADGES = {
    RunState.AWAITING_APPROVAL: "state-awaiting_approval",
    RunState.APPROVED: "state-approved",
    RunState.REJECTED: "state-rejected",
    RunState.QUEUED: "op-queued",
    RunState.RUNNING: "op-running",
    RunState.SUCCEEDED: "op-succeeded",
    RunState.FAILED: "op-failed",
}

MODES = {"check": _l("Check mode"), "apply": _l("Real run")}

RISKS = {"low": _l("Low risk"), "medium": _l("Medium risk"), "high": _l("High risk")}

# The kinds of a run's output lines.
OUTPUT_KINDS = {
    "state": _l("State"),
    "start": _l("Task"),
    "ok": _l("OK"),
    "changed": _l("Changed"),
    "skipped": _l("Skipped"),
    "failed": _l("Failed"),
    "unreachable": _l("Unreachable"),
}
