"""The inventory: list and show resources, request day-2 actions, reveal credentials
once. Functions add and flush; the caller commits, then the worker is asked."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from catalog.form import needs_approval, quota_cost
from portal.core import audit
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.core.paging import page_of
from portal.core.sealing import unseal
from portal.inventory.models import Resource
from portal.inventory.permissions import can
from portal.inventory.states import ResourceState
from portal.orders import quota
from portal.provisioning.models import Operation
from portal.provisioning.plans import action_operation
from portal.provisioning.service import enqueue
from portal.provisioning.states import OperationState
from portal.tenancy.permissions import agency_scope

# Action: (the item kinds it applies to, the states it starts from)
ACTIONS = {
    "start": ({"vm"}, {ResourceState.STOPPED}),
    "stop": ({"vm"}, {ResourceState.ACTIVE}),
    "reboot": ({"vm"}, {ResourceState.ACTIVE}),
    "resize": ({"vm"}, {ResourceState.ACTIVE, ResourceState.STOPPED}),
    "snapshot": ({"vm", "volume"}, {ResourceState.ACTIVE, ResourceState.STOPPED}),
    "extend": ({"vm", "volume"}, {ResourceState.ACTIVE, ResourceState.STOPPED}),
    "delete": (
        {"vm", "volume", "database"},
        {ResourceState.ACTIVE, ResourceState.STOPPED, ResourceState.MISSING},
    ),
}


def list_resources(session, actor, *, state=None, kind=None, order_id=None, page=1, per_page=50):
    """The resources the actor may see, newest first; returns (resources, total).
    Deleted and failed ones are listed only when asked for by state."""
    conditions = [agency_scope(actor, Resource.agency_id)]
    if state:
        conditions.append(Resource.state == state)
    else:
        conditions.append(Resource.state.notin_([ResourceState.DELETED, ResourceState.FAILED]))
    if kind:
        conditions.append(Resource.kind == kind)
    if order_id:
        conditions.append(Resource.order_id == order_id)
    total = session.scalar(select(func.count()).select_from(Resource).where(*conditions))
    resources = session.scalars(
        page_of(
            select(Resource).where(*conditions).order_by(Resource.id.desc()),
            page,
            per_page,
        )
    ).all()
    return resources, total


def get_resource(session, actor, resource_id):
    resource = session.get(Resource, resource_id)
    if resource is None or not can(actor, resource, "view"):
        raise NotFound(_l("No such resource."))
    return resource


def operations_of(session, resource):
    return session.scalars(
        select(Operation)
        .where(Operation.resource_id == resource.id)
        .order_by(Operation.created_at.desc())
    ).all()


def running_operation(session, resource):
    return session.scalar(
        select(Operation).where(
            Operation.resource_id == resource.id,
            Operation.state.notin_([OperationState.SUCCEEDED, OperationState.FAILED]),
        )
    )


def allowed_actions(session, actor, resource):
    """The actions the actor may start on the resource now (for the pages)."""
    if running_operation(session, resource) is not None:
        return []
    return [
        action
        for action, (kinds, states) in ACTIONS.items()
        if resource.kind in kinds
        and resource.state in states
        and can(actor, resource, "delete" if action == "delete" else "operate")
        and _applies(resource, action)
    ]


def _applies(resource, action):
    # A VM can be snapshot or extended only through its data volume.
    if action in ("snapshot", "extend") and resource.kind == "vm":
        return bool(resource.cloud.get("volume_id"))
    return True


def request_action(session, actor, resource_id, action, params=None):
    """Start a day-2 action; returns its operation (enqueued after commit)."""
    resource = checked_for_action(session, actor, resource_id, action)
    return start_action(session, resource, action, params or {}, actor)


def checked_for_action(session, actor, resource_id, action):
    """The resource, locked, once the actor may do the action to it now."""
    session.execute(select(Resource.id).where(Resource.id == resource_id).with_for_update())
    resource = get_resource(session, actor, resource_id)
    if action not in ACTIONS:
        raise InvalidInput(_l("Unknown action."), {"action": _l("Not an action.")})
    kinds, states = ACTIONS[action]
    if not can(actor, resource, "delete" if action == "delete" else "operate"):
        raise Forbidden(_l("You may not do this to this resource."))
    if resource.kind not in kinds or not _applies(resource, action):
        raise Conflict(_l("This action does not apply to this resource."))
    if resource.state not in states:
        raise Conflict(
            _l(
                "This cannot be done while the resource is '%(state)s'.",
                state=resource.state_enum.label,
            )
        )
    if running_operation(session, resource) is not None:
        raise Conflict(_l("Another operation on this resource is still running."))
    return resource


def start_action(session, resource, action, params, actor=None):
    """Plan, record and enqueue an action already judged allowed (actor None: the
    portal itself, e.g. retiring an expired lease)."""
    steps, extra = PLANNERS[action](session, resource, params)
    operation = action_operation(resource, action, steps, actor=actor, **extra)
    operation.order_id = params.get("approved_order")
    session.add(operation)
    session.flush()
    audit.record(
        session,
        actor,
        f"resource.{action}.requested",
        "resource",
        resource.id,
        agency_id=resource.agency_id,
        after={"operation": operation.id, **{k: v for k, v in extra.items() if k != "size"}},
    )
    enqueue(session, operation)
    return operation


def _definition(resource):
    return resource.order.catalog_version.definition


def _playbook(resource):
    for step in _definition(resource)["provisioning"]["steps"]:
        if step["action"] == "ansible.playbook":
            return step["playbook"]
    return None


def _plan_power(action):
    return lambda _session, _resource, _params: (
        [(f"{action}_server", f"cloud.{action}_server", {})],
        {},
    )


def cost_after(resource, spec_change):
    """(the resource's quota cost after a change, what it grows by: positive parts)"""
    cost = quota_cost(
        _definition(resource), {**resource.order.spec, **resource.size, **spec_change}
    )
    current = resource.quota_cost
    growth = {name: amount - current.get(name, 0) for name, amount in cost.items()}
    return cost, {name: amount for name, amount in growth.items() if amount > 0}


def _new_cost(session, resource, spec_change, checked=False):
    """The quota cost after a change, checked (and locked) against the quotas unless an
    approved order already holds the growth."""
    cost, growth = cost_after(resource, spec_change)
    if growth and not checked:
        quota.check_and_lock(session, resource.agency, growth, quota.HELD_STATES)
    return cost


def resize_size(resource, chosen):
    """The size a resize to the item's flavour option `chosen` gives, or InvalidInput."""
    flavor_field = next(f for f in _definition(resource)["fields"] if f["name"] == "flavor")
    options = {o["value"]: o["sets"] for o in flavor_field["options"] if o["sets"]}
    if chosen not in options:
        raise InvalidInput(
            _l("Choose a size."),
            {"flavor": _l("Choose one of: %(choices)s.", choices=", ".join(options))},
        )
    sets = options[chosen]
    if sets["cloud_flavor"] == resource.size.get("cloud_flavor"):
        raise Conflict(_l("The resource already has this size."), {"flavor": _l("Unchanged.")})
    return {"flavor": chosen, **sets}


def _plan_resize(session, resource, params):
    size = resize_size(resource, params.get("flavor"))
    approved = params.get("approved_order") is not None
    if not approved and needs_approval(_definition(resource), cost_after(resource, size)[0]):
        raise Conflict(
            _l("This size needs approval: ask for it as a request."),
            {"flavor": _l("Beyond what is approved automatically.")},
        )
    cost = _new_cost(session, resource, size, checked=approved)
    return [("resize_server", "cloud.resize_server", {})], {
        "cloud_flavor": size["cloud_flavor"],
        "size": size,
        "quota_cost": cost,
    }


def _plan_extend(session, resource, params):
    key = "data_volume_gb" if resource.kind == "vm" else "size_gb"
    current = resource.size.get(key) or 0
    try:
        new_size = int(params.get("size_gb"))
    except (TypeError, ValueError):
        new_size = None
    if new_size is None or new_size <= current or new_size > 16000:
        raise InvalidInput(
            _l("Give a new size larger than the current one."),
            {"size_gb": _l("More than %(n)s GB, at most 16000 GB.", n=current)},
        )
    cost = _new_cost(session, resource, {key: new_size})
    return [("extend_volume", "cloud.extend_volume", {})], {
        "new_size_gb": new_size,
        "size_key": key,
        "quota_cost": cost,
    }


def _plan_snapshot(_session, resource, _params):
    name = f"{resource.name}-snap-{len(resource.cloud.get('snapshots', [])) + 1}"
    return [("create_snapshot", "cloud.create_snapshot", {})], {"snapshot_name": name}


def _plan_delete(_session, resource, _params):
    steps = []
    if resource.kind == "database":
        steps.append(("drop_database", "ansible.remove", {"playbook": _playbook(resource)}))
        return steps, {"db_name": resource.cloud["database"], "db_owner": resource.cloud["user"]}
    if resource.kind == "vm":
        if _playbook(resource):
            steps.append(("remove_host", "ansible.remove", {"playbook": _playbook(resource)}))
        steps.append(("delete_server", "cloud.delete_server", {}))
    if resource.cloud.get("volume_id"):
        steps.append(("delete_volume", "cloud.delete_volume", {}))
    return steps, {}


PLANNERS = {
    "start": _plan_power("start"),
    "stop": _plan_power("stop"),
    "reboot": _plan_power("reboot"),
    "resize": _plan_resize,
    "extend": _plan_extend,
    "snapshot": _plan_snapshot,
    "delete": _plan_delete,
}


def reveal_secret(session, actor, resource_id):
    """The credentials, to the person who ordered the resource, once: then erased."""
    resource = get_resource(session, actor, resource_id)
    if not can(actor, resource, "reveal_secret"):
        raise Forbidden(_l("Only the person who ordered this resource can see its password."))
    if resource.sealed_secret is None:
        raise Conflict(_l("The password was shown once already and is no longer kept."))
    secret = unseal(resource.sealed_secret)
    resource.sealed_secret = None
    audit.record(
        session,
        actor,
        "resource.secret_revealed",
        "resource",
        resource.id,
        agency_id=resource.agency_id,
    )
    session.flush()
    return secret
