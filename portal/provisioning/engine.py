"""The engine: runs an operation's steps in order, one commit per step change.

The operation and its steps were committed before the first cloud call (plans.py).
A run claims the operation for a while (another worker leaves it alone until the
claim lapses), then for each step: commit "running", call the handler, commit "done"
with its result. A worker that dies between the two leaves a "running" step that the
next run repeats, and the handlers adopt what the first attempt made (steps.py).

A TransientCloudError ends the run with a retry delay (the task re-enqueues itself);
after PROVISION_MAX_ATTEMPTS runs, or at the first permanent error, the operation is
compensated: every step that did something is undone, newest first, and the
operation ends failed with the reason on its timeline.
"""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select, update

from portal.core import audit
from portal.core.db import utcnow
from portal.core.sealing import unseal
from portal.provisioning import outcomes
from portal.provisioning.drivers.base import CloudError, TransientCloudError
from portal.provisioning.models import Operation, OperationEvent
from portal.provisioning.states import OperationState, StepState
from portal.provisioning.steps import HANDLERS, StepContext
from portal.tenancy.models import Agency


@dataclass
class Runtime:
    driver: object
    run_playbook: object
    config: dict

    @property
    def max_attempts(self):
        return self.config["PROVISION_MAX_ATTEMPTS"]

    @property
    def claim(self):
        # Longer than the longest step: a step waits at most twice (a resize waits for
        # the new size, then for its confirmation), so a live run keeps its claim.
        return timedelta(seconds=2 * self.config["PROVISION_WAIT_SECONDS"] + 60)


@dataclass(frozen=True)
class Outcome:
    finished: bool
    retry_in: float | None = None  # seconds until the task should run again


def backoff(attempt):
    return float(min(2**attempt, 60))


def run(session, operation_id, runtime):
    """Advance the operation as far as it goes now; commit as it goes."""
    operation = _claim(session, operation_id, runtime)
    if operation is None:
        return _held_elsewhere(session, operation_id)
    try:
        if operation.state == OperationState.QUEUED:
            operation.state, operation.started_at = OperationState.RUNNING, utcnow()
            outcomes.started(session, operation)
            _event(session, operation, "started", "")
            session.commit()
        if operation.state == OperationState.RUNNING:
            _forward(session, operation, runtime)
        if operation.state == OperationState.COMPENSATING:
            _backward(session, operation, runtime)
    except TransientCloudError as error:
        return _transient(session, operation_id, runtime, error)
    except CloudError as error:
        return _permanent(session, operation_id, runtime, error)
    _release(session, operation)
    return Outcome(finished=True)


# How long to wait before trying again when the cloud cannot even be reached by its
# settings (a bad clouds.yaml, credentials, endpoints): someone has to fix them.
UNUSABLE_RETRY_SECONDS = 60.0


def cloud_unusable(session, operation_id, error):
    """The driver could not be made, so nothing was asked of the cloud. Say why on the
    operation's timeline (once for the same reason) and try again later: the
    operation goes on when the settings are fixed."""
    operation = session.get(Operation, operation_id)
    if operation is None or operation.state_enum.finished:
        return Outcome(finished=True)
    message = f"{error} (again in {UNUSABLE_RETRY_SECONDS:.0f} s)"
    last = session.scalar(
        select(OperationEvent.message)
        .where(OperationEvent.operation_id == operation_id)
        .order_by(OperationEvent.id.desc())
        .limit(1)
    )
    if last != message:
        _event(session, operation, "retry", message, commit=True)
    session.rollback()
    return Outcome(finished=False, retry_in=UNUSABLE_RETRY_SECONDS)


def _claim(session, operation_id, runtime):
    now = utcnow()
    claimed = session.execute(
        update(Operation)
        .where(
            Operation.id == operation_id,
            Operation.state.notin_([OperationState.SUCCEEDED, OperationState.FAILED]),
            or_(Operation.claimed_until.is_(None), Operation.claimed_until < now),
        )
        .values(claimed_until=now + runtime.claim, attempts=Operation.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    if claimed.rowcount != 1:
        return None
    return session.get(Operation, operation_id, populate_existing=True)


def _held_elsewhere(session, operation_id):
    operation = session.get(Operation, operation_id)
    if operation is None or operation.state_enum.finished:
        return Outcome(finished=True)
    if operation.claimed_until is None:
        # The other run let go between our claim and this look (it ended with a retry,
        # or is between doing and undoing): there is no claim to wait for, and
        # subtracting from None raised TypeError and failed this task. Look again soon.
        session.rollback()
        return Outcome(finished=False, retry_in=1.0)
    # Another run holds it: look again when its claim lapses (it may have died).
    remaining = (operation.claimed_until - utcnow()).total_seconds()
    session.rollback()
    return Outcome(finished=False, retry_in=max(remaining, 1.0))


def _context(session, operation, runtime):
    return StepContext(
        operation_id=operation.id,
        agency_id=operation.agency_id,
        spec=operation.spec,
        driver=runtime.driver,
        run_playbook=runtime.run_playbook,
        config=runtime.config,
        results=operation.results(),
        secret=unseal(operation.sealed_secret) if operation.sealed_secret else None,
        emit=lambda kind, message, seq=None: _event(session, operation, kind, message, seq, True),
        agency_quotas=lambda: session.get(Agency, operation.agency_id).quota_limits(),
    )


def _forward(session, operation, runtime):
    ctx = _context(session, operation, runtime)
    for step in operation.steps:
        if step.state not in (StepState.PENDING, StepState.RUNNING):
            continue
        step.state, step.attempts = StepState.RUNNING, step.attempts + 1
        step.started_at = step.started_at or utcnow()
        operation.claimed_until = utcnow() + runtime.claim
        _event(session, operation, "step_started", step.name, step.seq)
        session.commit()
        ctx.emit = lambda kind, message, seq=step.seq: _event(
            session, operation, kind, message, seq, True
        )
        do, _undo = HANDLERS[step.action]
        ctx.first_attempt = step.attempts == 1
        result = do(ctx, step.params)
        step.state, step.result, step.finished_at = StepState.DONE, result, utcnow()
        ctx.results[step.name] = result
        _event(session, operation, "step_done", step.name, step.seq)
        session.commit()
    operation.state, operation.finished_at = OperationState.SUCCEEDED, utcnow()
    outcomes.succeeded(session, operation, ctx.results)
    operation.sealed_secret = None
    _event(session, operation, "succeeded", "")
    audit.record(
        session,
        None,
        f"operation.{operation.kind}.succeeded",
        "operation",
        operation.id,
        agency_id=operation.agency_id,
    )
    session.commit()


def _backward(session, operation, runtime):
    ctx = _context(session, operation, runtime)
    for step in reversed(operation.steps):
        if step.state not in (StepState.DONE, StepState.RUNNING, StepState.FAILED):
            continue
        _do, undo = HANDLERS[step.action]
        undo(ctx, step.params)
        _event(session, operation, "step_undone", step.name, step.seq)
        if step.state != StepState.FAILED:
            step.state = StepState.COMPENSATED
        else:
            step.params = {**step.params, "undone": True}
        session.commit()
    operation.state, operation.finished_at = OperationState.FAILED, utcnow()
    operation.sealed_secret = None
    outcomes.failed(session, operation)
    _event(session, operation, "failed", operation.error or "")
    audit.record(
        session,
        None,
        f"operation.{operation.kind}.failed",
        "operation",
        operation.id,
        agency_id=operation.agency_id,
        note=operation.error,
    )
    session.commit()


def _transient(session, operation_id, runtime, error):
    session.rollback()
    operation = session.get(Operation, operation_id, populate_existing=True)
    compensating = operation.state == OperationState.COMPENSATING
    # Undoing must finish, so it is given more attempts than doing.
    limit = runtime.max_attempts * (3 if compensating else 1)
    if operation.attempts >= limit and not compensating:
        reason = f"The cloud did not answer after {operation.attempts} attempts: {error}"
        _start_compensation(session, operation, reason)
        _release(session, operation)
        return run(session, operation_id, runtime)
    if operation.attempts >= limit:
        operation.state, operation.finished_at = OperationState.FAILED, utcnow()
        operation.error = (
            f"{operation.error or ''} Undoing did not finish ({error}); the reconciler "
            "removes what is left, by its tags."
        ).strip()
        outcomes.failed(session, operation)
        _event(session, operation, "failed", operation.error)
        _release(session, operation)
        return Outcome(finished=True)
    delay = backoff(operation.attempts)
    _event(session, operation, "retry", f"{error} (again in {delay:.0f} s)")
    _release(session, operation)
    return Outcome(finished=False, retry_in=delay)


def _permanent(session, operation_id, runtime, error):
    session.rollback()
    operation = session.get(Operation, operation_id, populate_existing=True)
    if operation.state == OperationState.COMPENSATING:
        # Undoing hit a permanent error: stop, say so, and leave it to the reconciler.
        operation.state, operation.finished_at = OperationState.FAILED, utcnow()
        operation.error = f"{operation.error or ''} Undoing failed: {error}".strip()
        outcomes.failed(session, operation)
        _event(session, operation, "failed", operation.error)
        _release(session, operation)
        return Outcome(finished=True)
    _start_compensation(session, operation, str(error))
    _release(session, operation)
    return run(session, operation_id, runtime)


def _start_compensation(session, operation, reason):
    for step in operation.steps:
        if step.state == StepState.RUNNING:
            step.state, step.error, step.finished_at = StepState.FAILED, reason, utcnow()
    operation.state, operation.error = OperationState.COMPENSATING, reason
    _event(session, operation, "compensating", reason)


def _release(session, operation):
    operation.claimed_until = None
    session.commit()


def _event(session, operation, kind, message, seq=None, commit=False):
    session.add(OperationEvent(operation_id=operation.id, kind=kind, message=message, step_seq=seq))
    if commit:
        session.commit()
