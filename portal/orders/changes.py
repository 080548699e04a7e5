"""Changes to a resource that go through approval, as orders: more time on a lease,
and a resize beyond what the item approves automatically. Each is an order naming the
resource (`purpose`, `resource_id`), decided by the item's chain like a new one."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from catalog.form import needs_approval
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Forbidden
from portal.inventory import leases
from portal.inventory.service import (
    checked_for_action,
    cost_after,
    get_resource,
    request_action,
    resize_size,
)
from portal.orders.models import Order, OrderEvent, OrderQuotaCost
from portal.orders.permissions import can_order_for
from portal.orders.service import carry_out_if_approved, submit_checked
from portal.orders.states import OrderState


def _pending_change(session, resource, purpose):
    return session.scalar(
        select(Order.id).where(
            Order.resource_id == resource.id,
            Order.purpose == purpose,
            Order.state.in_([OrderState.SUBMITTED, OrderState.AWAITING_APPROVAL]),
        )
    )


def _change_order(session, actor, resource, purpose, parameters, spec, cost, note=None):
    """Make, submit and (if decided at once) carry out a change order."""
    order = Order(
        created_at=utcnow(),
        agency_id=resource.agency_id,
        agency=resource.agency,
        item_id=resource.item_id,
        item=resource.item,
        catalog_version_id=resource.catalog_version_id,
        catalog_version=resource.order.catalog_version,
        created_by_id=actor.id,
        created_by=actor,
        state=OrderState.DRAFT,
        parameters=parameters,
        spec=spec,
        sla_tier=resource.sla_tier,
        purpose=purpose,
        resource_id=resource.id,
        costs=[OrderQuotaCost(resource=name, amount=amount) for name, amount in cost.items()],
        steps=[],
    )
    order.events.append(OrderEvent(actor_id=actor.id, kind="created", to_state=OrderState.DRAFT))
    audit.record(
        session,
        actor,
        "order.created",
        "order",
        order,
        agency_id=resource.agency_id,
        after={purpose: resource.id, **parameters},
        note=note,
    )
    submit_checked(session, actor, order)
    session.add(order)
    session.flush()
    carry_out_if_approved(session, order)
    return order


def request_lease_extension(session, actor, resource_id, days, reason=None):
    """Ask for more time on a leased resource: an order through the item's chain."""
    resource = get_resource(session, actor, resource_id)
    if not can_order_for(actor, resource.agency):
        raise Forbidden(_l("Only staff of the agency can ask for more time."))
    leases.check_extension(resource, days)
    if _pending_change(session, resource, "lease_extension") is not None:
        raise Conflict(_l("An extension of this lease is already waiting for approval."))
    reason = (reason or "").strip() or None
    return _change_order(
        session,
        actor,
        resource,
        "lease_extension",
        {"days": days, "reason": reason},
        {"days": days},
        {},
        note=reason,
    )


def request_resize(session, actor, resource_id, flavor):
    """Resize at once when the new size is within the item's automatic approval;
    otherwise order it (holding the quota it adds) for the item's chain.
    Returns (operation, None) or (None, order)."""
    resource = checked_for_action(session, actor, resource_id, "resize")
    size = resize_size(resource, flavor)
    definition = resource.order.catalog_version.definition
    cost, growth = cost_after(resource, size)
    if not needs_approval(definition, cost):
        return request_action(session, actor, resource_id, "resize", {"flavor": flavor}), None
    if not can_order_for(actor, resource.agency):
        raise Forbidden(_l("This size needs approval: staff of the agency can ask for it."))
    if _pending_change(session, resource, "resize") is not None:
        raise Conflict(_l("A resize of this resource is already waiting for approval."))
    return None, _change_order(
        session, actor, resource, "resize", {"flavor": flavor}, {"flavor": flavor, **size}, growth
    )
