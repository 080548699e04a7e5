"""Moving an order along its state machine, with a timeline entry and an audit event.
Shared by the order service (people's decisions) and provisioning (the worker's)."""

from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.core.errors import Conflict
from portal.orders.models import OrderEvent
from portal.orders.states import TRANSITIONS, OrderState


def move_order(session, order, actor, to_state, kind, comment=None):
    from_state = OrderState(order.state)
    if to_state not in TRANSITIONS[from_state]:
        raise Conflict(
            _l(
                "A request that is '%(state)s' cannot become '%(to)s'.",
                state=from_state.label,
                to=to_state.label,
            )
        )
    order.state = to_state
    order.events.append(
        OrderEvent(
            actor_id=actor.id if actor else None,
            kind=kind,
            from_state=from_state,
            to_state=to_state,
            comment=comment,
        )
    )
    audit.record(
        session,
        actor,
        f"order.{kind}",
        "order",
        order,  # a new order has no id until its one flush
        agency_id=order.agency_id,
        before={"state": from_state},
        after={"state": to_state},
        note=comment,
    )
