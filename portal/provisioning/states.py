"""The states of operations and of their steps."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class OperationState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    # A permanent failure undoes the steps already done, then the operation has failed.
    COMPENSATING = "compensating"
    FAILED = "failed"

    @property
    def label(self):
        return OPERATION_LABELS[self]

    @property
    def finished(self):
        return self in (OperationState.SUCCEEDED, OperationState.FAILED)


OPERATION_LABELS = {
    OperationState.QUEUED: _l("Queued"),
    OperationState.RUNNING: _l("Running"),
    OperationState.SUCCEEDED: _l("Succeeded"),
    OperationState.COMPENSATING: _l("Undoing"),
    OperationState.FAILED: _l("Failed"),
}


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    COMPENSATED = "compensated"

    @property
    def label(self):
        return STEP_LABELS[self]


STEP_LABELS = {
    StepState.PENDING: _l("Waiting"),
    StepState.RUNNING: _l("Running"),
    StepState.DONE: _l("Done"),
    StepState.SKIPPED: _l("Skipped"),
    StepState.FAILED: _l("Failed"),
    StepState.COMPENSATED: _l("Undone"),
}

OPERATION_KINDS = {
    "provision": _l("Provision"),
    "start": _l("Start"),
    "stop": _l("Stop"),
    "reboot": _l("Reboot"),
    "resize": _l("Resize"),
    "snapshot": _l("Snapshot"),
    "extend": _l("Extend volume"),
    "delete": _l("Delete"),
    "cleanup": _l("Clean up an orphan"),
}
