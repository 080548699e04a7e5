"""The order state machine."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class OrderState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    # After approval, provisioning makes the resource (or applies the change).
    PROVISIONING = "provisioning"
    FULFILLED = "fulfilled"
    FAILED = "failed"

    @property
    def label(self):
        return STATE_LABELS[self]


STATE_LABELS = {
    OrderState.DRAFT: _l("Draft"),
    OrderState.SUBMITTED: _l("Submitted"),
    OrderState.AWAITING_APPROVAL: _l("Awaiting approval"),
    OrderState.APPROVED: _l("Approved"),
    OrderState.REJECTED: _l("Rejected"),
    OrderState.CANCELLED: _l("Cancelled"),
    OrderState.PROVISIONING: _l("Provisioning"),
    OrderState.FULFILLED: _l("Fulfilled"),
    OrderState.FAILED: _l("Provisioning failed"),
}

TRANSITIONS = {
    OrderState.DRAFT: {OrderState.SUBMITTED, OrderState.CANCELLED},
    OrderState.SUBMITTED: {OrderState.AWAITING_APPROVAL, OrderState.APPROVED, OrderState.CANCELLED},
    OrderState.AWAITING_APPROVAL: {OrderState.APPROVED, OrderState.REJECTED, OrderState.CANCELLED},
    # A change that needs no provisioning (a lease extension) is fulfilled at once.
    OrderState.APPROVED: {OrderState.PROVISIONING, OrderState.FULFILLED},
    OrderState.REJECTED: set(),
    OrderState.CANCELLED: set(),
    OrderState.PROVISIONING: {OrderState.FULFILLED, OrderState.FAILED},
    OrderState.FULFILLED: set(),
    OrderState.FAILED: set(),
}

# What counts against a quota: requests still deciding, and those granted but not yet
# made. A fulfilled order's cost has moved to its resource (inventory).
PENDING_STATES = frozenset({OrderState.SUBMITTED, OrderState.AWAITING_APPROVAL})
COMMITTED_STATES = frozenset({OrderState.APPROVED, OrderState.PROVISIONING})
CANCELLABLE_STATES = frozenset(
    {OrderState.DRAFT, OrderState.SUBMITTED, OrderState.AWAITING_APPROVAL}
)


class StepState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SKIPPED = "skipped"

    @property
    def label(self):
        return STEP_LABELS[self]


STEP_LABELS = {
    StepState.PENDING: _l("Pending"),
    StepState.APPROVED: _l("Approved"),
    StepState.REJECTED: _l("Rejected"),
    StepState.SKIPPED: _l("Skipped"),
}

EVENT_LABELS = {
    "created": _l("Created"),
    "edited": _l("Draft changed"),
    "submitted": _l("Submitted"),
    "awaiting_approval": _l("Sent for approval"),
    "auto_approved": _l("Approved automatically"),
    "step_approved": _l("Step approved"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
    "provisioning": _l("Provisioning started"),
    "fulfilled": _l("Resource ready"),
    "lease_extended": _l("Lease extended"),
    "failed": _l("Provisioning failed"),
}
