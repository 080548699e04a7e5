"""Planning: turn an approved order, or a day-2 request, into an operation with all
its steps (the caller commits it before any cloud call)."""

import secrets

from portal.core.sealing import seal
from portal.provisioning.flavours import custom_flavor_name
from portal.provisioning.models import Operation, OperationStep, new_operation_id
from portal.provisioning.states import StepState

# Step fields that are the handler's parameters (the rest describe the step itself).
STEP_PARAMS = ("playbook", "size_from", "name_suffix")


def _agency_spec(agency):
    # Not its quotas: a project still to make is given those the agency has then.
    return {"agency_code": agency.code, "project_id": agency.cloud_project_id}


def provision_operation(order, resource_id, name):
    """The operation that makes the order's resource, by its catalog version's plan, as
    the rows to insert: the operation's (with a new id) and its steps'."""
    definition = order.catalog_version.definition
    spec = {
        **order.spec,
        **_agency_spec(order.agency),
        "name": name,
        "sla_tier": order.sla_tier,
        "item_kind": definition["kind"],
    }
    if "lease" in definition:
        spec["lease_days"] = definition["lease"]["days"]
    spec.setdefault("cloud_flavor", _custom_flavor(spec))
    plan = definition["provisioning"]["steps"]
    steps = []
    if any(step["action"].startswith("cloud.") for step in plan):
        steps.append(("prepare_project", "cloud.prepare_project", {}, False))
    for step in plan:
        params = {key: step[key] for key in STEP_PARAMS if key in step}
        skipped = "only_if" in step and not spec.get(step["only_if"])
        steps.append((step["name"], step["action"], params, skipped))
    sealed = None
    if definition["kind"] == "database":
        # Unique by construction, so no agency's database can collide with another's.
        spec["db_name"] = f"jy{order.id}_{order.spec[definition['provisioning']['name_from']]}"
        spec["db_owner"] = f"jy{order.id}_owner"
        sealed = seal(secrets.token_urlsafe(18))
    operation = {
        "id": new_operation_id(),
        "kind": "provision",
        "agency_id": order.agency_id,
        "order_id": order.id,
        "resource_id": resource_id,
        "spec": spec,
        "sealed_secret": sealed,
    }
    return operation, [{**row, "operation_id": operation["id"]} for row in _step_rows(steps)]


def _custom_flavor(spec):
    if "vcpus" in spec and "ram_gb" in spec:
        return custom_flavor_name(spec["vcpus"], spec["ram_gb"])
    return None


def action_operation(resource, kind, steps, actor=None, **extra):
    """A day-2 operation on a resource: its cloud ids and size come in the spec."""
    spec = {
        **_agency_spec(resource.agency),
        **resource.cloud,
        "name": resource.name,
        "sla_tier": resource.sla_tier,
        "item_kind": resource.kind,
        "size": resource.size,
        **extra,
    }
    planned = [(name, action, params, False) for name, action, params in steps]
    return Operation(
        kind=kind,
        agency_id=resource.agency_id,
        resource=resource,
        requested_by_id=actor.id if actor else None,
        spec=spec,
        steps=[OperationStep(**row) for row in _step_rows(planned)],
    )


def _step_rows(steps):
    """The steps' columns, numbered in order, from (name, action, params, skipped)."""
    return [
        {
            "seq": seq,
            "name": name,
            "action": action,
            "params": params,
            "state": StepState.SKIPPED if skipped else StepState.PENDING,
        }
        for seq, (name, action, params, skipped) in enumerate(steps, 1)
    ]
