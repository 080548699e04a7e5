"""Approval of maintenance runs by platform operators, four eyes: a high-risk real run
waits for it from the start; a real run outside the maintenance window is sent for it by
its technician. Functions only add and flush; the caller commits."""

from flask_babel import lazy_gettext as _l

from portal.accounts.roles import Role
from portal.core.db import utcnow
from portal.core.errors import Conflict, Forbidden, InvalidInput
from portal.maintenance.notices import ask_operators
from portal.maintenance.permissions import can_decide, is_its_technician
from portal.maintenance.service import get_run, move
from portal.maintenance.states import RunState
from portal.notifications.service import notify


def submit(session, actor, run_id, note=None):
    """Ask a platform operator to approve a real run (to run it outside the window)."""
    run = get_run(session, actor, run_id, lock=True)
    if not is_its_technician(actor, run):
        raise Forbidden(_l("Only the technician who planned the run asks for its approval."))
    if run.mode != "apply" or run.state != RunState.PLANNED:
        raise Conflict(_l("Only a planned real run can be sent for approval."))
    run.needs_approval = True
    move(session, actor, run, RunState.AWAITING_APPROVAL, "submit", note)
    ask_operators(session, run)
    return run


def approve(session, actor, run_id, note=None, now=None):
    return _decide(session, actor, run_id, RunState.APPROVED, note, now)


def reject(session, actor, run_id, note, now=None):
    if not (note or "").strip():
        raise InvalidInput(_l("Say why the run is rejected."), {"note": _l("Required.")})
    return _decide(session, actor, run_id, RunState.REJECTED, note, now)


def _decide(session, actor, run_id, target, note, now):
    run = get_run(session, actor, run_id, lock=True)
    if not actor.has_role(Role.PLATFORM_OPERATOR):
        raise Forbidden(_l("Platform operators approve maintenance runs."))
    if not can_decide(actor, run):
        raise Forbidden(_l("Four eyes: someone else must approve a run you planned."))
    if run.state != RunState.AWAITING_APPROVAL:
        raise Conflict(_l("This run is not waiting for approval."))
    run.decided_by_id, run.decided_at = actor.id, now or utcnow()
    run.decision_note = (note or "").strip() or None
    if target == RunState.REJECTED:
        run.finished_at = run.decided_at
    move(session, actor, run, target, "approve" if target == RunState.APPROVED else "reject", note)
    notify(
        session,
        [run.requested_by],
        _l("Maintenance run %(number)s was approved")
        if target == RunState.APPROVED
        else _l("Maintenance run %(number)s was rejected: %(note)s"),
        link=f"/maintenance/{run.id}",
        number=run.number,
        note=run.decision_note or "",
    )
    return run
