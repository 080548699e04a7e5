"""The states of a resource, its kinds and the kinds of its lifecycle events."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class ResourceState(StrEnum):
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    STOPPED = "stopped"
    FAILED = "failed"  # provisioning failed; nothing was left in the cloud
    DELETED = "deleted"
    # The reconciler found it gone from the cloud; operators are told.
    MISSING = "missing"

    @property
    def label(self):
        return RESOURCE_STATE_LABELS[self]


RESOURCE_STATE_LABELS = {
    ResourceState.PROVISIONING: _l("Provisioning"),
    ResourceState.ACTIVE: _l("Running"),
    ResourceState.STOPPED: _l("Stopped"),
    ResourceState.FAILED: _l("Provisioning failed"),
    ResourceState.DELETED: _l("Deleted"),
    ResourceState.MISSING: _l("Missing in the cloud"),
}

# States in which a resource holds quota and exists for billing.
LIVE_STATES = frozenset(
    {
        ResourceState.PROVISIONING,
        ResourceState.ACTIVE,
        ResourceState.STOPPED,
        ResourceState.MISSING,
    }
)

# The kinds of resource (a catalog item's kind), as the operations overview names them.
RESOURCE_KINDS = {
    "vm": _l("Virtual machines"),
    "volume": _l("Volumes"),
    "database": _l("Databases"),
}

# Lifecycle events: billing meters from these, so each carries its exact time and the
# size and state after it.
LIFECYCLE_KINDS = {
    "created": _l("Created"),
    "started": _l("Started"),
    "stopped": _l("Stopped"),
    "rebooted": _l("Rebooted"),
    "resized": _l("Resized"),
    "extended": _l("Volume extended"),
    "snapshot_created": _l("Snapshot taken"),
    "deleted": _l("Deleted"),
    "missing": _l("Found missing"),
    "returned": _l("Found again"),
    "lease_extended": _l("Lease extended"),
}
