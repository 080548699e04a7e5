"""Recording what happened to a resource: its state, size and a lifecycle event, in
the same flush, so that metering never sees one without the other."""

from portal.core import audit
from portal.core.db import utcnow
from portal.inventory.models import LifecycleEvent, ResourceQuotaCost


def record(
    session, resource, kind, *, state=None, size=None, operation_id=None, actor=None, at=None
):
    before = {"state": resource.state, "size": resource.size}
    if state is not None:
        resource.state = state
    if size is not None:
        resource.size = size
    resource.events.append(
        LifecycleEvent(
            occurred_at=at or utcnow(),
            kind=kind,
            state=resource.state,
            size=resource.size,
            operation_id=operation_id,
            actor_id=actor.id if actor else None,
        )
    )
    audit.record(
        session,
        actor,
        f"resource.{kind}",
        "resource",
        resource.id,
        agency_id=resource.agency_id,
        before=before,
        after={"state": resource.state, "size": resource.size},
    )


def set_quota_cost(resource, cost):
    """What the resource holds of the quota from now on. Rows are changed in place:
    replacing them would insert the new before deleting the old (a unique key)."""
    wanted = {name: amount for name, amount in cost.items() if amount}
    for row in list(resource.costs):
        if row.resource in wanted:
            row.amount = wanted.pop(row.resource)
        else:
            resource.costs.remove(row)
    for name, amount in sorted(wanted.items()):
        resource.costs.append(ResourceQuotaCost(resource=name, amount=amount))
