"""What an operation's start, success or failure means for the order and the resource."""

from datetime import timedelta

from portal.core.db import utcnow
from portal.inventory import lifecycle
from portal.inventory.models import Resource
from portal.inventory.states import ResourceState
from portal.orders.models import Order
from portal.orders.states import OrderState
from portal.orders.transitions import move_order

# Day-2 action: (lifecycle event, state after, or None to keep the state)
ACTION_EFFECTS = {
    "start": ("started", ResourceState.ACTIVE),
    "stop": ("stopped", ResourceState.STOPPED),
    "reboot": ("rebooted", None),
    "resize": ("resized", None),
    "extend": ("extended", None),
    "snapshot": ("snapshot_created", None),
    "delete": ("deleted", ResourceState.DELETED),
}


def started(session, operation):
    if operation.kind == "provision":
        order = session.get(Order, operation.order_id)
        move_order(session, order, None, OrderState.PROVISIONING, "provisioning")


def succeeded(session, operation, results):
    resource = session.get(Resource, operation.resource_id)
    if operation.kind == "provision":
        _provisioned(session, operation, resource, results)
        return
    kind, state = ACTION_EFFECTS[operation.kind]
    size = dict(resource.size)
    if operation.kind == "resize":
        size.update(operation.spec["size"])
        lifecycle.set_quota_cost(resource, operation.spec["quota_cost"])
    elif operation.kind == "extend":
        size[operation.spec["size_key"]] = operation.spec["new_size_gb"]
        lifecycle.set_quota_cost(resource, operation.spec["quota_cost"])
    elif operation.kind == "snapshot":
        snapshot = results["create_snapshot"]
        resource.cloud = {
            **resource.cloud,
            "snapshots": [*resource.cloud.get("snapshots", []), snapshot],
        }
        size["snapshot_gb"] = size.get("snapshot_gb", 0) + (snapshot.get("size_gb") or 0)
    elif operation.kind == "delete":
        resource.deleted_at = utcnow()
        lifecycle.set_quota_cost(resource, {})
    lifecycle.record(session, resource, kind, state=state, size=size, operation_id=operation.id)
    if operation.order_id:  # a change that was approved as an order
        order = session.get(Order, operation.order_id)
        move_order(session, order, None, OrderState.FULFILLED, "fulfilled")


def _provisioned(session, operation, resource, results):
    cloud = {}
    for result in results.values():
        cloud.update(result)
    resource.cloud = cloud
    if cloud.get("project_id") and not resource.agency.cloud_project_id:
        resource.agency.cloud_project_id = cloud["project_id"]
    resource.sealed_secret = operation.sealed_secret
    lease_days = operation.spec.get("lease_days")
    if lease_days:
        resource.lease_expires_at = utcnow() + timedelta(days=lease_days)
    order = session.get(Order, operation.order_id)
    lifecycle.set_quota_cost(resource, order.quota_cost)
    lifecycle.record(
        session, resource, "created", state=ResourceState.ACTIVE, operation_id=operation.id
    )
    move_order(session, order, None, OrderState.FULFILLED, "fulfilled")


def failed(session, operation):
    if operation.kind != "provision":
        # The resource stays as it was; the operation (and its order) say what went wrong.
        if operation.order_id:
            order = session.get(Order, operation.order_id)
            move_order(session, order, None, OrderState.FAILED, "failed", operation.error)
        return
    resource = session.get(Resource, operation.resource_id)
    resource.state = ResourceState.FAILED
    order = session.get(Order, operation.order_id)
    if order.state == OrderState.APPROVED:
        move_order(session, order, None, OrderState.PROVISIONING, "provisioning")
    move_order(session, order, None, OrderState.FAILED, "failed", operation.error)
