"""Maintenance runs: planned by a certified technician of the vendor responsible for every
target, in check mode first, then for real with the same parameters and targets; started
by its technician (the worker runs it after the commit, see runner.py); cancelled before
it runs. Approval is in approvals.py: a high-risk real run needs it, and a real run
started outside the maintenance window (window.py); check runs change nothing and never
need it. Functions only add and flush; the caller commits.
"""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.core import audit
from portal.core.aftercommit import after_commit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.core.paging import page_of
from portal.extensions import celery
from portal.incidents.service import get_incident
from portal.inventory.models import Resource
from portal.inventory.states import ResourceState
from portal.maintenance.catalog import clean_parameters, playbooks
from portal.maintenance.models import MaintenanceOutput, MaintenanceRun, MaintenanceTarget
from portal.maintenance.notices import ask_operators
from portal.maintenance.permissions import (
    can_cancel,
    can_view_run,
    is_its_technician,
    may_plan,
    run_scope,
)
from portal.maintenance.states import CANCELLABLE, RunState
from portal.maintenance.window import in_window, window_text
from portal.vendors.eligibility import eligibility, today
from portal.vendors.models import Technician

RUN_MAINTENANCE = "portal.maintenance.run"
# A started run no worker took for this long was lost on its way (see tasks.sweep).
STALLED_AFTER = timedelta(minutes=15)


def list_runs(session, actor, *, state=None, resource_id=None, page=1, per_page=50):
    """The runs the actor may see, newest first, and how many there are."""
    conditions = [run_scope(actor, MaintenanceRun)]
    if state:
        conditions.append(MaintenanceRun.state == state)
    if resource_id:
        on_resource = select(MaintenanceTarget.run_id).where(
            MaintenanceTarget.resource_id == resource_id
        )
        conditions.append(MaintenanceRun.id.in_(on_resource))
    total = session.scalar(select(func.count()).select_from(MaintenanceRun).where(*conditions))
    rows = session.scalars(
        page_of(
            select(MaintenanceRun).where(*conditions).order_by(MaintenanceRun.id.desc()),
            page,
            per_page,
        )
    ).all()
    return rows, total


def get_run(session, actor, run_id, lock=False):
    if lock:
        session.execute(
            select(MaintenanceRun.id).where(MaintenanceRun.id == run_id).with_for_update()
        )
    run = session.get(MaintenanceRun, run_id)
    if run is None or not can_view_run(actor, run):
        raise NotFound(_l("No such maintenance run."))
    return run


def playbook_of(key):
    entry = playbooks().get(key)
    if entry is None:
        raise InvalidInput(_l("Unknown playbook."), {"playbook": _l("Not in the catalog.")})
    return entry


def technician_of(session, user):
    """The technician record the user acts as, or None."""
    if not may_plan(user):
        return None
    return session.scalar(select(Technician).where(Technician.user_id == user.id))


def check_targets(session, technician, entry, resources, day):
    """Refuse, naming the target and why, unless the technician may run the playbook on
    every resource today: it applies to it, it is active, and the technician is licensed
    for its agency, its service and the playbook's skill."""
    for resource in resources:
        target = f"{resource.number} {resource.name}"
        if not entry.applies_to(resource):
            raise InvalidInput(
                _l("%(target)s: the playbook does not apply to it.", target=target),
                {"resource_ids": _l("Not a resource this playbook works on.")},
            )
        if resource.state != ResourceState.ACTIVE:
            raise Conflict(
                _l(
                    "%(target)s is %(state)s: runs are for active resources.",
                    target=target,
                    state=resource.state_enum.label,
                )
            )
        allowed = eligibility(
            session,
            technician,
            resource.agency,
            skill=entry.skill,
            service=resource.item.key,
            day=day,
        )
        if not allowed.allowed:
            raise Forbidden(
                _l("%(target)s: %(why)s", target=target, why=allowed.reason),
                {"resource_ids": allowed.reason},
            )


def plan_run(
    session,
    actor,
    *,
    playbook,
    resource_ids,
    parameters=None,
    mode="check",
    incident_id=None,
    now=None,
):
    now = now or utcnow()
    technician = technician_of(session, actor)
    if technician is None:
        raise Forbidden(_l("Maintenance runs are planned by vendors' technicians."))
    entry = playbook_of(playbook)
    if mode not in ("check", "apply"):
        raise InvalidInput(_l("Choose check or apply."), {"mode": _l("Not a mode.")})
    if mode == "check" and not entry.check_mode:
        raise InvalidInput(
            _l("This playbook has no check mode."), {"mode": _l("Plan the real run.")}
        )
    resources = _resources(session, resource_ids, entry)
    cleaned = clean_parameters(entry, parameters)
    check_targets(session, technician, entry, resources, today(now))
    check_run = None
    if mode == "apply" and entry.check_mode:
        check_run = matching_check(session, technician.vendor_id, entry.key, cleaned, resources)
        if check_run is None:
            raise Conflict(
                _l(
                    "Run it in check mode first: no succeeded check run of this playbook has "
                    "these parameters and targets."
                )
            )
    incident = _incident(session, actor, incident_id, resources)
    # Without a check mode, every real run is looked at by a second person.
    needs_approval = mode == "apply" and (entry.risk == "high" or not entry.check_mode)
    run = MaintenanceRun(
        playbook=entry.key,
        mode=mode,
        parameters=cleaned,
        risk=entry.risk,
        needs_approval=needs_approval,
        state=RunState.AWAITING_APPROVAL if needs_approval else RunState.PLANNED,
        vendor_id=technician.vendor_id,
        technician=technician,
        requested_by_id=actor.id,
        incident=incident,
        check_run=check_run,
        targets=[
            MaintenanceTarget(resource_id=resource.id, agency_id=resource.agency_id)
            for resource in resources
        ],
    )
    session.add(run)
    session.flush()
    _audit(session, actor, run, "plan", after=_view(run))
    if needs_approval:
        ask_operators(session, run)
    return run


def plan_apply(session, actor, check_run_id, now=None):
    """The real run of a succeeded check run: same playbook, parameters and targets."""
    check_run = get_run(session, actor, check_run_id)
    if technician_of(session, actor) is None:
        raise Forbidden(_l("Maintenance runs are planned by vendors' technicians."))
    if check_run.mode != "check" or check_run.state != RunState.SUCCEEDED:
        raise Conflict(_l("Only a succeeded check run can be run for real."))
    return plan_run(
        session,
        actor,
        playbook=check_run.playbook,
        resource_ids=check_run.resource_ids,
        parameters=check_run.parameters,
        mode="apply",
        incident_id=check_run.incident_id,
        now=now,
    )


def matching_check(session, vendor_id, playbook, parameters, resources):
    """The newest succeeded check run of the vendor with these parameters and targets."""
    wanted = sorted(resource.id for resource in resources)
    candidates = session.scalars(
        select(MaintenanceRun)
        .where(
            MaintenanceRun.vendor_id == vendor_id,
            MaintenanceRun.playbook == playbook,
            MaintenanceRun.mode == "check",
            MaintenanceRun.state == RunState.SUCCEEDED,
        )
        .order_by(MaintenanceRun.finished_at.desc())
        .limit(50)
    )
    for run in candidates:
        if run.parameters == parameters and run.resource_ids == wanted:
            return run
    return None


def start(session, actor, run_id, now=None):
    """Send the run to a worker (after the commit); the worker checks the certificate
    again when it starts, as a run may wait in the queue past midnight."""
    now = now or utcnow()
    run = get_run(session, actor, run_id, lock=True)
    if not is_its_technician(actor, run):
        raise Forbidden(_l("Only the technician who planned the run starts it."))
    if run.state == RunState.AWAITING_APPROVAL:
        raise Conflict(_l("The run waits for a platform operator's approval."))
    if run.state not in (RunState.PLANNED, RunState.APPROVED):
        raise Conflict(_l("This run cannot be started now."))
    if run.mode == "apply" and run.state == RunState.PLANNED and not in_window(now):
        raise Conflict(
            _l(
                "Outside the maintenance window (%(window)s, Beijing time): ask a platform "
                "operator to approve the run, or start it within the window.",
                window=window_text(),
            )
        )
    entry = playbook_of(run.playbook)
    resources = [target.resource for target in run.targets]
    check_targets(session, run.technician, entry, resources, today(now))
    run.started_at = now
    move(session, actor, run, RunState.QUEUED, "start")
    enqueue(session, run, entry)
    return run


def enqueue(session, run, entry):
    # The playbook stops itself at its timeout; the task's limits are the backstop.
    run_id, limit = run.id, entry.timeout_minutes * 60
    after_commit(
        session,
        lambda: celery.send_task(
            RUN_MAINTENANCE, args=[run_id], soft_time_limit=limit + 60, time_limit=limit + 120
        ),
    )


def cancel(session, actor, run_id, note=None, now=None):
    run = get_run(session, actor, run_id, lock=True)
    if not can_cancel(actor, run):
        raise Forbidden(_l("Its technician or a platform operator cancels a run."))
    if run.state not in CANCELLABLE:
        raise Conflict(_l("This run can no longer be cancelled."))
    run.finished_at = now or utcnow()
    return move(session, actor, run, RunState.CANCELLED, "cancel", note)


def record_refusal(session, actor, action, error, *, run_id=None, resource_ids=()):
    """The audit trace of a refused plan, or of an action refused on a run the actor sees
    (the caller rolled back the rest). A mistyped note or a run the actor cannot see is
    no refusal of anything."""
    if action != "plan" and isinstance(error, InvalidInput | NotFound):
        return
    audit.record(
        session,
        actor,
        f"maintenance.{action}.refused",
        "maintenance_run",
        run_id or "-",
        after={"resource_ids": list(resource_ids or ())},
        note=str(error.message),
    )


def output_after(session, run, after=0):
    """The run's output lines newer than the line `after` (the live page's cursor)."""
    return session.scalars(
        select(MaintenanceOutput)
        .where(MaintenanceOutput.run_id == run.id, MaintenanceOutput.id > after)
        .order_by(MaintenanceOutput.id)
    ).all()


def stalled_runs(session, quiet_for, now=None):
    """(queued runs nobody took for a while, running runs whose worker's claim lapsed)."""
    now = now or utcnow()
    queued = session.scalars(
        select(MaintenanceRun.id).where(
            MaintenanceRun.state == RunState.QUEUED,
            MaintenanceRun.started_at < now - quiet_for,
        )
    ).all()
    lapsed = session.scalars(
        select(MaintenanceRun.id).where(
            MaintenanceRun.state == RunState.RUNNING, MaintenanceRun.claimed_until < now
        )
    ).all()
    return queued, lapsed


def _resources(session, resource_ids, entry):
    ids = list(dict.fromkeys(resource_ids or ()))
    if not ids:
        raise InvalidInput(
            _l("Choose at least one resource."), {"resource_ids": _l("Choose at least one.")}
        )
    if len(ids) > entry.max_targets:
        raise InvalidInput(
            _l("This playbook takes at most %(n)s resources per run.", n=entry.max_targets),
            {"resource_ids": _l("At most %(n)s.", n=entry.max_targets)},
        )
    resources = []
    for resource_id in ids:
        resource = session.get(Resource, resource_id) if isinstance(resource_id, int) else None
        if resource is None:
            raise NotFound(
                _l("No such resource: %(id)s.", id=resource_id),
                {"resource_ids": _l("Unknown resource.")},
            )
        resources.append(resource)
    return resources


def _incident(session, actor, incident_id, resources):
    """The incident the run serves: one the technician sees, on a target's agency."""
    if incident_id is None:
        return None
    incident = get_incident(session, actor, incident_id)
    if incident.agency_id not in {resource.agency_id for resource in resources}:
        raise InvalidInput(
            _l("The incident is not about the agency of any target."),
            {"incident_id": _l("Another agency's incident.")},
        )
    return incident


def move(session, actor, run, target, action, note=None):
    before = run.state
    run.state = target
    note = (note or "").strip() or None
    _audit(
        session, actor, run, action, before={"state": before}, after={"state": target}, note=note
    )
    session.flush()
    return run


def _audit(session, actor, run, action, *, before=None, after=None, note=None):
    """One event in the chain of each agency whose resources the run works on."""
    for agency_id in run.agency_ids:
        audit.record(
            session,
            actor,
            f"maintenance.{action}",
            "maintenance_run",
            run,
            agency_id=agency_id,
            before=before,
            after=after,
            note=note,
        )


def _view(run):
    return {
        "playbook": run.playbook,
        "mode": run.mode,
        "parameters": run.parameters,
        "resource_ids": run.resource_ids,
        "technician": run.technician.staff_number,
        "vendor_id": run.vendor_id,
        "incident_id": run.incident_id,
        "check_run_id": run.check_run_id,
        "state": run.state,
    }
