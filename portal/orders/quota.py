"""Quota accounting: what a subtree holds, what is left, and the locked check.

A limit on an agency bounds its whole subtree. Submitting counts pending and granted
orders; the final approval counts only granted ones plus this order. Both count the
live resources in the inventory, which hold what their fulfilled orders cost. Both lock the
rows of the limiting agencies (in id order, so two checks cannot deadlock) before
reading usage, so two orders that each fit but together do not cannot both pass.
The lock is FOR NO KEY UPDATE: inserting an order takes a KEY SHARE lock on its
agency (the foreign key), which a plain FOR UPDATE would deadlock against.
"""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, union_all

from portal.core.errors import QuotaExceeded
from portal.inventory.models import Resource, ResourceQuotaCost
from portal.inventory.states import LIVE_STATES
from portal.orders.models import Order, OrderQuotaCost
from portal.orders.states import COMMITTED_STATES, PENDING_STATES
from portal.tenancy.models import Agency, Quota
from portal.tenancy.vocabulary import QUOTA_RESOURCES

HELD_STATES = PENDING_STATES | COMMITTED_STATES


def subtree_usage(session, agency, states=HELD_STATES):
    """What the subtree holds: orders in `states`, and the live resources."""
    return _held_under(session.execute, agency.path, states, sorted(QUOTA_RESOURCES))


def _limits_over(session, agency, resources):
    """Quota rows of the agency and its ancestors for the given resources."""
    if not resources:
        return []
    return session.scalars(
        select(Quota).where(
            Quota.agency_id.in_(agency.ancestor_ids), Quota.resource.in_(sorted(resources))
        )
    ).all()


def headroom(session, agency):
    """Per resource: (remaining, limit, agency whose limit binds) or None if unlimited."""
    limits = _limits_over(session, agency, QUOTA_RESOURCES)
    agencies = {
        a.id: a
        for a in session.scalars(select(Agency).where(Agency.id.in_({q.agency_id for q in limits})))
    }
    usage = {agency_id: subtree_usage(session, agencies[agency_id]) for agency_id in agencies}
    result = dict.fromkeys(QUOTA_RESOURCES)
    for quota in limits:
        remaining = quota.limit - usage[quota.agency_id].get(quota.resource, 0)
        current = result[quota.resource]
        if current is None or remaining < current[0]:
            result[quota.resource] = (remaining, quota.limit, agencies[quota.agency_id])
    return result


# Built once, at import: composing these per call cost the submission more CPU than
# the database spent running them. Lists are bound per call (expanding parameters).
_LIMITS = select(Quota.agency_id, Quota.resource, Quota.limit).where(
    Quota.agency_id.in_(bindparam("ancestor_ids", expanding=True)),
    Quota.resource.in_(bindparam("resources", expanding=True)),
)
# The limiting agencies' rows, locked; their paths name the subtrees to sum.
_LOCK = (
    select(Agency.id, Agency.path)
    .where(Agency.id.in_(bindparam("agency_ids", expanding=True)))
    .order_by(Agency.id)
    .with_for_update(key_share=True)
)
# What one subtree holds: its orders in the given states, and its live resources (a
# fulfilled order's cost has moved to its resource), in one statement. The subtree's
# path is bound, so one text serves every agency: psycopg prepares it on a
# connection's fifth run, and the plan PostgreSQL keeps (a path filter on the
# agencies, then each agency's orders by index) does not grow with the orders table.
# An earlier form joined each limiting agency to its subtree inside the statement:
# its generic plan did grow with the table, and with the ids written in instead, it
# was planned anew on every submission (1.2 ms; the run itself took 0.3 ms).
_in_subtree = Agency.path.startswith(bindparam("path"))
_HELD_UNDER = union_all(
    select(OrderQuotaCost.resource, func.sum(OrderQuotaCost.amount))
    .join(Order, Order.id == OrderQuotaCost.order_id)
    .join(Agency, Agency.id == Order.agency_id)
    .where(
        _in_subtree,
        Order.state.in_(bindparam("states", expanding=True)),
        OrderQuotaCost.resource.in_(bindparam("resources", expanding=True)),
    )
    .group_by(OrderQuotaCost.resource),
    select(ResourceQuotaCost.resource, func.sum(ResourceQuotaCost.amount))
    .join(Resource, Resource.id == ResourceQuotaCost.resource_id)
    .join(Agency, Agency.id == Resource.agency_id)
    .where(
        _in_subtree,
        Resource.state.in_(sorted(LIVE_STATES)),
        ResourceQuotaCost.resource.in_(bindparam("resources", expanding=True)),
    )
    .group_by(ResourceQuotaCost.resource),
)


def _held_under(execute, path, states, resources):
    """Resource → amount the subtree at `path` holds (through the session's execute,
    or its connection's where the ORM's execution layer is not worth its CPU)."""
    held = execute(_HELD_UNDER, {"path": path, "states": sorted(states), "resources": resources})
    usage = {}
    for resource, total in held:
        usage[resource] = usage.get(resource, 0) + int(total or 0)
    return usage


def check_and_lock(session, agency, cost, states):
    """Raise QuotaExceeded unless `cost` fits under every limit above `agency`,
    counting orders in `states`; holds the limiting agencies' row locks until commit."""
    wanted = sorted(resource for resource, amount in cost.items() if amount > 0)
    if not wanted:
        return
    # The session's own connection and transaction, without the ORM's execution layer
    # (these read plain columns): through the session these statements cost the
    # submission twice their CPU. The flush is the autoflush that layer would have done.
    session.flush()
    connection = session.connection()
    limits = connection.execute(
        _LIMITS, {"ancestor_ids": agency.ancestor_ids, "resources": wanted}
    ).all()
    if not limits:
        return
    limiting = connection.execute(
        _LOCK, {"agency_ids": sorted({agency_id for agency_id, _, _ in limits})}
    ).all()
    used = {
        agency_id: _held_under(connection.execute, path, states, wanted)
        for agency_id, path in limiting
    }
    shortfalls = {}
    for agency_id, resource, limit in sorted(limits):
        left = limit - used[agency_id].get(resource, 0)
        if cost[resource] > left:
            shortfalls[resource] = _l(
                "%(resource)s: this request needs %(need)s, but only %(left)s of "
                "%(limit)s is left for %(agency)s.",
                resource=QUOTA_RESOURCES[resource][0],
                need=cost[resource],
                left=max(left, 0),
                limit=limit,
                agency=session.get(Agency, agency_id).name(get_locale()),
            )
    if shortfalls:
        raise QuotaExceeded(_l("This request exceeds the quota."), shortfalls)
