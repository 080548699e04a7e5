"""Changing a draft request: its author edits the form's values, checked as a new
order's against the item's current version, until it is submitted or cancelled. A draft
holds no quota, so nothing is checked against it until it is submitted."""

from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.core.errors import Conflict, Forbidden
from portal.orders.models import OrderEvent, OrderQuotaCost
from portal.orders.service import (
    carry_out_if_approved,
    check_version,
    lock_order,
    submit_checked,
    validate_order_form,
)
from portal.orders.states import OrderState


def update_draft(
    session, actor, order_id, raw_params, *, sla_tier=None, submit=False, expected_version=None
):
    """Replace a draft's values (and submit it when asked). Only flushes."""
    order = lock_order(session, actor, order_id)
    check_version(order, expected_version)
    if order.created_by_id != actor.id:
        raise Forbidden(_l("Only the person who drafted a request can change it."))
    if order.state != OrderState.DRAFT:
        raise Conflict(_l("Only a draft can be changed: this request was already submitted."))
    if order.item.is_retired:
        raise Conflict(
            _l("This catalog item is no longer offered."), {"item": _l("Retired catalog item.")}
        )
    version = order.item.current_version
    values, spec, cost, tier = validate_order_form(version, raw_params, sla_tier)
    before = {"version": order.catalog_version.number, "parameters": order.parameters,
              "sla_tier": order.sla_tier}  # fmt: skip
    order.catalog_version = version
    order.parameters, order.spec, order.sla_tier = values, spec, tier
    _set_costs(order, cost)
    order.events.append(OrderEvent(actor_id=actor.id, kind="edited", to_state=OrderState.DRAFT))
    audit.record(
        session,
        actor,
        "order.draft_changed",
        "order",
        order.id,
        agency_id=order.agency_id,
        before=before,
        after={"version": version.number, "parameters": values, "sla_tier": tier},
    )
    if submit:
        submit_checked(session, actor, order)
    session.flush()
    carry_out_if_approved(session, order)
    return order


def _set_costs(order, cost):
    """The quota cost rows changed in place: a row per resource is unique, and the unit of
    work would insert a replacement before deleting the row it replaces."""
    rows = {row.resource: row for row in order.costs}
    for resource, amount in cost.items():
        if resource in rows:
            rows[resource].amount = amount
        else:
            order.costs.append(OrderQuotaCost(resource=resource, amount=amount))
    for resource, row in rows.items():
        if resource not in cost:
            order.costs.remove(row)
