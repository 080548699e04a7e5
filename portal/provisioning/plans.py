"""Planning: turn an approved order, or a day-2 request, into an Operation with all
its steps, added to the session (the caller commits it before any cloud call)."""

import secrets

from portal.core.sealing import seal
from portal.provisioning.models import Operation, OperationStep
from portal.provisioning.states import StepState

# Step fields that are the handler's parameters (the rest describe the step itself).
STEP_PARAMS = ("playbook", "size_from", "name_suffix")


def _agency_spec(agency):
    return {
        "agency_code": agency.code,
        "project_id": agency.cloud_project_id,
        "quotas": agency.quota_limits(),
    }


def provision_operation(order, resource):
    """The operation that makes the order's resource, by its catalog version's plan."""
    definition = order.catalog_version.definition
    spec = {
        **order.spec,
        **_agency_spec(order.agency),
        "name": resource.name,
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
    return _operation(
        "provision",
        order.agency_id,
        spec,
        steps,
        order=order,
        resource=resource,
        sealed_secret=sealed,
    )


def _custom_flavor(spec):
    if "vcpus" in spec and "ram_gb" in spec:
        return f"jy.custom-{spec['vcpus']}c{spec['ram_gb']}g"
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
    return _operation(kind, resource.agency_id, spec, planned, resource=resource, actor=actor)


def _operation(
    kind, agency_id, spec, steps, *, order=None, resource=None, actor=None, sealed_secret=None
):
    return Operation(
        kind=kind,
        agency_id=agency_id,
        order_id=order.id if order else None,
        resource=resource,
        requested_by_id=actor.id if actor else None,
        spec=spec,
        sealed_secret=sealed_secret,
        steps=[
            OperationStep(
                seq=seq,
                name=name,
                action=action,
                params=params,
                state=StepState.SKIPPED if skipped else StepState.PENDING,
            )
            for seq, (name, action, params, skipped) in enumerate(steps, 1)
        ],
    )
