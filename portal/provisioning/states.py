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

# What a step does, as people read it (a step's name is the catalog's, for machines).
STEP_ACTIONS = {
    "cloud.prepare_project": _l("Prepare the agency's cloud project"),
    "cloud.create_server": _l("Create the server"),
    "cloud.create_volume": _l("Create the volume"),
    "cloud.attach_volume": _l("Attach the volume"),
    "ansible.playbook": _l("Configure (Ansible)"),
    "ansible.remove": _l("Remove the configuration (Ansible)"),
    "cloud.start_server": _l("Start the server"),
    "cloud.stop_server": _l("Stop the server"),
    "cloud.reboot_server": _l("Reboot the server"),
    "cloud.resize_server": _l("Resize the server"),
    "cloud.extend_volume": _l("Extend the volume"),
    "cloud.create_snapshot": _l("Take a snapshot"),
    "cloud.delete_server": _l("Delete the server"),
    "cloud.delete_volume": _l("Delete the volume"),
}

OPERATION_EVENTS = {
    "started": _l("Started"),
    "step_started": _l("Step started"),
    "step_done": _l("Step done"),
    "step_undone": _l("Step undone"),
    "adopted": _l("Found what an earlier attempt made"),
    "ansible": _l("Ansible"),
    "retry": _l("Will retry"),
    "compensating": _l("Undoing"),
    "succeeded": _l("Succeeded"),
    "failed": _l("Failed"),
}
