"""Orders: create, submit, approve, reject, cancel, list. Functions add and flush;
the caller commits once."""

import functools

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from catalog.form import auto_approvable, quota_cost, resolve_spec, validate_parameters
from portal.accounts.models import User, UserRole
from portal.accounts.roles import Role
from portal.billing.budgets import order_over_budget
from portal.catalog.models import CatalogItem, CatalogItemVersion
from portal.catalog.service import get_item
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.core.paging import page_of, page_params, paged
from portal.core.rows import insert_as_loaded
from portal.inventory import leases
from portal.inventory.models import Resource
from portal.inventory.service import start_action
from portal.orders import quota
from portal.orders.messages import field_error_message
from portal.orders.models import ApprovalStep, Order, OrderEvent, OrderQuotaCost
from portal.orders.permissions import can_cancel, can_order_for, can_view_order, may_hold_step_role
from portal.orders.states import (
    CANCELLABLE_STATES,
    COMMITTED_STATES,
    OrderState,
    StepState,
)
from portal.orders.transitions import move_order
from portal.provisioning.service import provision
from portal.tenancy.models import Agency
from portal.tenancy.permissions import agency_scope, bound_subtree_scope, scope_params

PLATFORM_APPROVER = Role.PLATFORM_OPERATOR.value


def _as_int(value):
    """A version number from a form or the API; anything else matches no version."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def check_version(order, expected_version):
    if expected_version is not None and _as_int(expected_version) != order.version:
        raise Conflict(
            _l("This request changed since you opened it. Reload and try again."),
            {"version": _l("Stale: reload the page.")},
        )


def lock_order(session, actor, order_id):
    # Lock the row alone: FOR UPDATE cannot reach into the eager-loaded outer joins.
    session.execute(select(Order.id).where(Order.id == order_id).with_for_update())
    order = session.get(Order, order_id, populate_existing=True)
    if order is None or not can_view_order(actor, order):
        raise NotFound(_l("No such request."))
    return order


def validate_order_form(item_version, raw_params, sla_tier):
    """Return (values, spec, cost, tier) or raise InvalidInput naming each bad field."""
    definition = item_version.definition
    values, errors = validate_parameters(definition, raw_params)
    fields = {name: field_error_message(error) for name, error in errors.items()}
    tiers = [tier["key"] for tier in definition["sla_tiers"]]
    tier = sla_tier or tiers[0]
    if tier not in tiers:
        fields["sla_tier"] = _l("Choose one of: %(choices)s.", choices=", ".join(tiers))
    if fields:
        raise InvalidInput(_l("Please correct the marked fields."), fields)
    spec = resolve_spec(definition, values)
    return values, spec, quota_cost(definition, spec), tier


def create_order(
    session,
    actor,
    item_key,
    raw_params,
    *,
    sla_tier=None,
    submit=True,
    client_token=None,
    catalog_version=None,
):
    """Create an order for the actor's agency, and submit it unless asked to keep a draft."""
    agency = actor.agency
    if not can_order_for(actor, agency):
        raise Forbidden(_l("Only staff of an agency can order for it."))
    if client_token:
        earlier = session.scalar(
            select(Order).where(Order.created_by_id == actor.id, Order.client_token == client_token)
        )
        if earlier is not None:
            if earlier.item.key != item_key:
                raise Conflict(
                    _l("This form was already used for another request. Open a new form."),
                    {"client_token": _l("Already used for request %(n)s.", n=earlier.number)},
                )
            return earlier
    item = get_item(session, item_key)
    version = item.current_version
    if catalog_version is not None and _as_int(catalog_version) != version.number:
        raise Conflict(
            _l(
                "This catalog item was updated since the form was opened. "
                "Review the form and submit again."
            ),
            {"catalog_version": _l("Stale: the item has a newer version.")},
        )
    values, spec, cost, tier = validate_order_form(version, raw_params, sla_tier)
    # Decided in full as a draft outside the session, then written once, in its final
    # state (autoflush cannot write a draft while the quota check queries). The related
    # objects are given as well as their ids: the checks read them.
    draft = Order(
        created_at=utcnow(),  # before it is decided, though inserted after
        purpose="new",
        agency_id=agency.id,
        agency=agency,
        item_id=item.id,
        item=item,
        catalog_version_id=version.id,
        catalog_version=version,
        created_by_id=actor.id,
        created_by=actor,
        state=OrderState.DRAFT,
        parameters=values,
        spec=spec,
        sla_tier=tier,
        client_token=client_token or None,
        costs=[OrderQuotaCost(resource=r, amount=a) for r, a in cost.items()],
    )
    draft.events.append(OrderEvent(actor_id=actor.id, kind="created", to_state=OrderState.DRAFT))
    audit.record(
        session,
        actor,
        "order.created",
        "order",
        draft,
        agency_id=agency.id,
        after={"item": item.key, "version": version.number, "parameters": values, "sla_tier": tier},
    )
    if submit:
        submit_checked(session, actor, draft)
    order = _insert(session, draft)
    carry_out_if_approved(session, order)
    return order


def _insert(session, draft):
    """Write a new order decided in memory, with its quota cost, approval steps and
    timeline, as plain rows (one statement per table: the unit of work's flush was the
    costliest step of a submission), then add it to the session as if loaded."""
    children = {key: list(getattr(draft, key)) for key in ("costs", "steps", "events")}
    draft.version = 1  # the version counter's first value, as a flush sets it
    insert_as_loaded(session, [draft])
    now = utcnow()
    for event in children["events"]:
        event.occurred_at = now
    for key, rows in children.items():
        for row in rows:
            row.order_id = draft.id
        insert_as_loaded(session, rows)
        set_committed_value(draft, key, rows)  # loaded, even when empty
    session.add(draft)
    return draft


def submit_order(session, actor, order_id, expected_version=None):
    order = lock_order(session, actor, order_id)
    check_version(order, expected_version)
    if order.created_by_id != actor.id:
        raise Forbidden(_l("Only the person who drafted a request can submit it."))
    submit_checked(session, actor, order)
    session.flush()
    carry_out_if_approved(session, order)
    return order


def carry_out_if_approved(session, order):
    """An order just approved is carried out: a new resource is planned now and made
    after the commit, as is a resize; a lease extension is applied at once."""
    if order.state != OrderState.APPROVED:
        return
    if order.purpose == "lease_extension":
        resource = session.get(Resource, order.resource_id)
        leases.extend(session, resource, order.spec["days"], order)
        move_order(session, order, None, OrderState.FULFILLED, "lease_extended")
    elif order.purpose == "resize":
        # The order holds the quota the resize adds until the resource does.
        resource = session.get(Resource, order.resource_id)
        move_order(session, order, None, OrderState.PROVISIONING, "provisioning")
        start_action(
            session,
            resource,
            "resize",
            {"flavor": order.spec["flavor"], "approved_order": order.id},
        )
    else:
        provision(session, order)


def submit_checked(session, actor, order):
    """Check and decide a draft; the caller flushes (a new order is not in the session yet)."""
    if order.state != OrderState.DRAFT:
        raise Conflict(_l("Only a draft can be submitted."))
    if order.item.is_retired:
        raise Conflict(
            _l("This catalog item is no longer offered."), {"item": _l("Retired catalog item.")}
        )
    quota.check_and_lock(session, order.agency, order.quota_cost, quota.HELD_STATES)
    order.submitted_at = utcnow()
    move_order(session, order, actor, OrderState.SUBMITTED, "submitted")
    definition = order.catalog_version.definition
    chain, over_budget = _approval_chain(session, order, definition)
    # Automatic approval weighs what a new resource costs; an extension costs no
    # quota, so it always goes to the item's approvers; over budget, the platform decides.
    if not chain or (
        order.purpose == "new" and not over_budget and auto_approvable(definition, order.quota_cost)
    ):
        order.decided_at = utcnow()
        move_order(
            session,
            order,
            None,  # the portal decided, by the item's policy, not the requester
            OrderState.APPROVED,
            "auto_approved",
        )
    else:
        order.steps = [
            ApprovalStep(seq=index, role=role, state=StepState.PENDING)
            for index, role in enumerate(chain, 1)
        ]
        order.current_step = 1
        move_order(session, order, actor, OrderState.AWAITING_APPROVAL, "awaiting_approval")


def _approval_chain(session, order, definition):
    """(chain, over budget): the item's chain; a new resource over its agency's budget
    is refused, or also needs the platform's approval, as the item's billing policy says."""
    chain = list(definition["approval"]["chain"])
    if order.purpose != "new":
        return chain, False
    over = order_over_budget(session, order)
    if not over:
        return chain, False
    status = over[0]
    if definition.get("billing", {}).get("over_budget") == "block":
        raise Conflict(
            _l(
                "This request would exceed the %(year)s budget of %(agency)s "
                "(%(spent)s of %(budget)s yuan spent); this item cannot be ordered over budget.",
                year=status.year,
                agency=status.agency.name_zh,
                spent=f"{status.spent:,.2f}",
                budget=f"{status.budget:,.2f}",
            ),
            {"budget": _l("Over budget.")},
        )
    return (chain if PLATFORM_APPROVER in chain else [*chain, PLATFORM_APPROVER]), True


def decision_refusal(actor, order):
    """Why the actor may not decide the order's current step now, or None if they may.
    The pages use it to offer the decision only to those who can make it."""
    if order.state != OrderState.AWAITING_APPROVAL:
        return Conflict(_l("This request is not awaiting approval."))
    step = order.pending_step
    if step is None:
        return Conflict(_l("This request has no step to decide."))
    if order.created_by_id == actor.id:
        return Forbidden(_l("You cannot approve your own request."))
    if any(s.decided_by_id == actor.id for s in order.steps):
        return Forbidden(
            _l("You already decided a step of this request; another person must decide this one.")
        )
    if not may_hold_step_role(actor, step):
        return Forbidden(
            _l("This step needs a %(role)s of the requesting agency.", role=Role(step.role).label)
        )
    return None


def _decidable_step(actor, order):
    refusal = decision_refusal(actor, order)
    if refusal is not None:
        raise refusal
    return order.pending_step


def approve_order(session, actor, order_id, comment=None, expected_version=None):
    order = lock_order(session, actor, order_id)
    check_version(order, expected_version)
    step = _decidable_step(actor, order)
    step.state, step.decided_by_id, step.decided_at = StepState.APPROVED, actor.id, utcnow()
    step.comment = (comment or "").strip() or None
    last = step.seq == len(order.steps)
    if last:
        # Granted orders only: this one is pending and must fit beside them.
        quota.check_and_lock(session, order.agency, order.quota_cost, COMMITTED_STATES)
        order.current_step = None
        order.decided_at = utcnow()
        move_order(session, order, actor, OrderState.APPROVED, "approved", step.comment)
    else:
        order.current_step = step.seq + 1
        order.events.append(
            OrderEvent(actor_id=actor.id, kind="step_approved", comment=step.comment)
        )
        audit.record(
            session,
            actor,
            "order.step_approved",
            "order",
            order.id,
            agency_id=order.agency_id,
            after={"step": step.seq, "role": step.role},
            note=step.comment,
        )
    session.flush()
    carry_out_if_approved(session, order)
    return order


def reject_order(session, actor, order_id, comment, expected_version=None):
    comment = (comment or "").strip()
    if not comment:
        raise InvalidInput(
            _l("Say why the request is rejected."),
            {"comment": _l("A reason is required to reject.")},
        )
    order = lock_order(session, actor, order_id)
    check_version(order, expected_version)
    step = _decidable_step(actor, order)
    step.state, step.decided_by_id, step.decided_at = StepState.REJECTED, actor.id, utcnow()
    step.comment = comment
    for later in order.steps:
        if later.state == StepState.PENDING:
            later.state = StepState.SKIPPED
    order.current_step = None
    order.decided_at = utcnow()
    move_order(session, order, actor, OrderState.REJECTED, "rejected", comment)
    session.flush()
    return order


def cancel_order(session, actor, order_id, comment=None, expected_version=None):
    order = lock_order(session, actor, order_id)
    check_version(order, expected_version)
    if not can_cancel(actor, order):
        raise Forbidden(_l("Only the requester or an agency manager can cancel a request."))
    if order.state not in CANCELLABLE_STATES:
        raise Conflict(_l("This request can no longer be cancelled."))
    for step in order.steps:
        if step.state == StepState.PENDING:
            step.state = StepState.SKIPPED
    order.current_step = None
    move_order(
        session, order, actor, OrderState.CANCELLED, "cancelled", (comment or "").strip() or None
    )
    session.flush()
    return order


def get_order(session, actor, order_id, options=()):
    order = session.get(Order, order_id, options=options)
    if order is None or not can_view_order(actor, order):
        raise NotFound(_l("No such request."))
    return order


# An order's detail, as the API answers it, names its requester and item version: not
# the requester's roles, nor the version's definition.
DETAIL_LOADS = (
    joinedload(Order.created_by).lazyload(User.role_rows),
    joinedload(Order.catalog_version).load_only(CatalogItemVersion.number),
)
# A list needs the requester's name, not the requester's agency.
LIST_LOADS = (joinedload(Order.created_by).lazyload(User.agency),)
# Pages also show the item's name, which lives in the version's definition.
WITH_ITEM_NAMES = (selectinload(Order.catalog_version),)


def _listed(actor, state, agency_id):
    """The conditions of a list: the orders the actor may see, narrowed as asked."""
    conditions = [agency_scope(actor, Order.agency_id)]
    if state:
        conditions.append(Order.state == state)
    if agency_id:
        conditions.append(Order.agency_id == agency_id)
    return conditions


def _page_and_count(session, query, conditions, page, per_page):
    """(the result of the query's page, newest first; how many meet the conditions)"""
    total = session.scalar(select(func.count()).select_from(Order).where(*conditions))
    result = session.execute(
        page_of(query.where(*conditions).order_by(Order.id.desc()), page, per_page)
    )
    return result, total


def list_orders(session, actor, *, state=None, agency_id=None, page=1, per_page=50, loads=()):
    """The orders the actor may see, newest first; returns (orders, total).
    `loads` are further loader options for what the caller shows of each order."""
    query = select(Order).options(*LIST_LOADS, *loads)
    conditions = _listed(actor, state, agency_id)
    result, total = _page_and_count(session, query, conditions, page, per_page)
    return result.scalars().all(), total


# A list row as the API shows it (its OrderOut), read as plain columns: building a
# page of 50 orders as objects, each with its agency, item, requester and the
# requester's roles, cost the API several times the queries themselves.
LIST_ROW = (
    Order.id,
    Order.agency_id,
    CatalogItem.key.label("item"),
    Order.state,
    Order.version,
    Order.sla_tier,
    User.username.label("created_by"),
    Order.created_at,
    Order.submitted_at,
    Order.decided_at,
)


@functools.cache
def _row_statements(whole_district, by_state, by_agency):
    """(count, page) of list_order_rows for one shape of list, built once: composing
    them per call cost the API's busiest list more than the database spent on them."""
    conditions = [] if whole_district else [bound_subtree_scope(Order.agency_id)]
    if by_state:
        conditions.append(Order.state == bindparam("state"))
    if by_agency:
        conditions.append(Order.agency_id == bindparam("agency_id"))
    count = select(func.count()).select_from(Order).where(*conditions)
    page = (
        select(*LIST_ROW)
        .select_from(Order)
        .join(CatalogItem, CatalogItem.id == Order.item_id)
        .join(User, User.id == Order.created_by_id)
        .where(*conditions)
        .order_by(Order.id.desc())
    )
    return count, paged(page)


def list_order_rows(session, actor, *, state=None, agency_id=None, page=1, per_page=50):
    """list_orders as rows of LIST_ROW's columns; returns (rows, total)."""
    if not (actor.sees_all_agencies or actor.is_agency_user):
        return [], 0
    count, rows = _row_statements(actor.sees_all_agencies, bool(state), bool(agency_id))
    params = {"state": state, "agency_id": agency_id, **page_params(page, per_page)}
    if not actor.sees_all_agencies:
        params.update(scope_params(actor))
    # Plain rows read on the session's connection, in its transaction: the ORM's
    # execution layer (autoflush, entity loading) has nothing to do for them.
    connection = session.connection()
    return connection.execute(rows, params).all(), connection.scalar(count, params)


def approval_queue(session, actor):
    """Orders whose current step the actor may decide now."""
    roles = [role for role in (Role.AGENCY_MANAGER, Role.PLATFORM_OPERATOR) if actor.has_role(role)]
    if not roles:
        return []
    step = aliased(ApprovalStep)
    mine = aliased(ApprovalStep)
    query = (
        select(Order)
        .join(step, (step.order_id == Order.id) & (step.seq == Order.current_step))
        .where(
            Order.state == OrderState.AWAITING_APPROVAL,
            step.state == StepState.PENDING,
            Order.created_by_id != actor.id,
            ~exists().where(mine.order_id == Order.id, mine.decided_by_id == actor.id),
        )
    )
    by_role = []
    if Role.PLATFORM_OPERATOR in roles:
        managers = select(UserRole.user_id).where(UserRole.role == Role.AGENCY_MANAGER)
        by_role.append(step.role == Role.PLATFORM_OPERATOR)
        # A manager's own request: its agency step goes up to the platform too.
        by_role.append((step.role == Role.AGENCY_MANAGER) & Order.created_by_id.in_(managers))
    if Role.AGENCY_MANAGER in roles and actor.agency is not None:
        subtree = select(Agency.id).where(Agency.path.startswith(actor.agency.path))
        by_role.append((step.role == Role.AGENCY_MANAGER) & Order.agency_id.in_(subtree))
    if not by_role:
        return []
    return session.scalars(
        query.where(or_(*by_role))
        .options(*LIST_LOADS, *WITH_ITEM_NAMES)
        .order_by(Order.submitted_at)
    ).all()
