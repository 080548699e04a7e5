"""Quota accounting: what a subtree holds, what is left, and the locked check.

A limit on an agency bounds its whole subtree. Submitting counts pending and granted
orders; the final approval counts only granted ones plus this order. Both lock the
rows of the limiting agencies (in id order, so two checks cannot deadlock) before
reading usage, so two orders that each fit but together do not cannot both pass.
The lock is FOR NO KEY UPDATE: inserting an order takes a KEY SHARE lock on its
agency (the foreign key), which a plain FOR UPDATE would deadlock against.
"""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.core.errors import QuotaExceeded
from portal.orders.models import Order, OrderQuotaCost
from portal.orders.states import COMMITTED_STATES, PENDING_STATES
from portal.tenancy.models import Agency, Quota
from portal.tenancy.vocabulary import QUOTA_RESOURCES

HELD_STATES = PENDING_STATES | COMMITTED_STATES


def subtree_usage(session, agency, states=HELD_STATES):
    rows = session.execute(
        select(OrderQuotaCost.resource, func.sum(OrderQuotaCost.amount))
        .join(Order, Order.id == OrderQuotaCost.order_id)
        .join(Agency, Agency.id == Order.agency_id)
        .where(Agency.path.startswith(agency.path), Order.state.in_(list(states)))
        .group_by(OrderQuotaCost.resource)
    ).all()
    return {resource: int(total or 0) for resource, total in rows}


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


def check_and_lock(session, agency, cost, states):
    """Raise QuotaExceeded unless `cost` fits under every limit above `agency`,
    counting orders in `states`; holds the limiting agencies' row locks until commit."""
    wanted = {resource for resource, amount in cost.items() if amount > 0}
    limits = _limits_over(session, agency, wanted)
    if not limits:
        return
    limiting_ids = sorted({quota.agency_id for quota in limits})
    locked = session.scalars(
        select(Agency)
        .where(Agency.id.in_(limiting_ids))
        .order_by(Agency.id)
        .with_for_update(key_share=True)
    ).all()
    by_id = {a.id: a for a in locked}
    shortfalls = {}
    for agency_id in limiting_ids:
        used = subtree_usage(session, by_id[agency_id], states)
        for quota in (q for q in limits if q.agency_id == agency_id):
            left = quota.limit - used.get(quota.resource, 0)
            if cost[quota.resource] > left:
                shortfalls[quota.resource] = _l(
                    "%(resource)s: this request needs %(need)s, but only %(left)s of "
                    "%(limit)s is left for %(agency)s.",
                    resource=QUOTA_RESOURCES[quota.resource][0],
                    need=cost[quota.resource],
                    left=max(left, 0),
                    limit=quota.limit,
                    agency=by_id[agency_id].name(get_locale()),
                )
    if shortfalls:
        raise QuotaExceeded(_l("This request exceeds the quota."), shortfalls)
