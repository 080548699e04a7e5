"""Running a started maintenance run: claim it, check the technician's certificate again,
run its playbook through run_playbook (ident = the run's uuid, so its private data folder
and artifacts are the run's), write each task event to the run's output as it comes (the
run page polls it), and record how it ended.

Commits as it goes, like the provisioning engine: the claim, each output line, the end.
A run is claimed once (queued -> running, in one UPDATE): a redelivered task finds it
running or finished and leaves it alone. A playbook is never run again by itself, as a
maintenance action repeated unasked may do harm; a worker that died mid-run leaves a run
whose claim lapses, and the sweep (tasks.py) ends it failed for a person to look at.
"""

from datetime import timedelta
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.engine import make_url

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import DomainError
from portal.core.sealing import unseal
from portal.maintenance.models import MaintenanceOutput, MaintenanceRun
from portal.maintenance.notices import notify_finished
from portal.maintenance.service import check_targets, playbook_of
from portal.maintenance.states import RunState
from portal.vendors.eligibility import today

# The managed database servers (provisioning's settings) and their default administrators.
DATABASE_SERVERS = {
    "postgresql": ("MANAGED_POSTGRES_URL", "postgres"),
    "mysql": ("MANAGED_MYSQL_URL", "root"),
}
CLAIM_MARGIN = timedelta(minutes=5)


def execute(session, run_id, run_playbook, app):
    """Run the run if it is queued; return its state afterwards (None: no such run)."""
    run = session.get(MaintenanceRun, run_id)
    if run is None:
        return None
    entry = playbook_of(run.playbook)
    if not _claim(session, run, entry):
        session.rollback()
        return session.get(MaintenanceRun, run_id).state
    session.refresh(run)
    line(session, run, "state", _l("Running on a worker."))
    try:
        check_targets(session, run.technician, entry, [t.resource for t in run.targets], today())
    except DomainError as refusal:
        session.rollback()
        why = str(_l("Refused at start: %(why)s", why=refusal.message))
        return finish(session, run_id, RunState.FAILED, why)
    extravars, secrets = _variables(run, entry, app)
    session.commit()

    def on_event(event):
        message = event.get("msg") or ""
        line(session, run, event["event"], message, task=event.get("task"))

    try:
        result = run_playbook(
            entry.playbook,
            ident=run.uuid,
            base_dir=app.config["MAINTENANCE_DIR"]
            or str(Path(app.config["ANSIBLE_DIR"]) / "maintenance"),
            extravars=extravars,
            secrets=secrets,
            on_event=on_event,
            timeout=entry.timeout_minutes * 60,
            check=run.mode == "check",
        )
    except (OSError, ValueError) as error:  # no playbook, no folder: nothing ran
        session.rollback()
        why = str(_l("The playbook could not start: %(error)s", error=error))
        return finish(session, run_id, RunState.FAILED, why)
    if result.status == "successful":
        state = RunState.SUCCEEDED
        summary = _l("Checked: nothing was changed.") if run.mode == "check" else _l("Done.")
    else:
        state = RunState.FAILED
        summary = result.failure or _l("The playbook ended %(status)s.", status=result.status)
    return finish(session, run_id, state, str(summary), result.outputs, result.artifact_dir)


def _claim(session, run, entry):
    now = utcnow()
    claimed = session.execute(
        update(MaintenanceRun)
        .where(MaintenanceRun.id == run.id, MaintenanceRun.state == RunState.QUEUED)
        .values(
            state=RunState.RUNNING,
            claimed_until=now + timedelta(minutes=entry.timeout_minutes) + CLAIM_MARGIN,
            version=MaintenanceRun.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return False
    audit_event(session, run, "run", {"state": RunState.QUEUED}, {"state": RunState.RUNNING})
    session.commit()
    return True


def finish(session, run_id, state, summary, result=None, artifact_dir=None):
    """End a running run: its outcome, an output line, the audit events, the notices."""
    run = session.get(MaintenanceRun, run_id, populate_existing=True)
    if run.state != RunState.RUNNING:  # ended meanwhile (a sweep and a late worker)
        session.rollback()
        return run.state
    run.state, run.finished_at, run.claimed_until = state, utcnow(), None
    run.summary, run.result, run.artifact_path = summary, result, artifact_dir
    line(session, run, "state", summary, commit=False)
    action = "succeed" if state == RunState.SUCCEEDED else "fail"
    audit_event(session, run, action, {"state": RunState.RUNNING}, {"state": state}, summary)
    notify_finished(session, run)
    session.commit()
    return state


def line(session, run, kind, message, task=None, commit=True):
    session.add(
        MaintenanceOutput(run_id=run.id, kind=kind, task=(task or "")[:200], message=str(message))
    )
    if commit:
        session.commit()


def audit_event(session, run, action, before, after, note=None):
    for agency_id in run.agency_ids:
        audit.record(
            session,
            None,
            f"maintenance.{action}",
            "maintenance_run",
            run.id,
            agency_id=agency_id,
            before=before,
            after=after,
            note=note,
        )


def _variables(run, entry, app):
    """The playbook's extravars (no secret in them) and its secrets."""
    targets, secrets = [], {}
    for target in run.targets:
        resource = target.resource
        described = {
            "resource_id": resource.id,
            "name": resource.name,
            "agency_id": resource.agency_id,
            "kind": resource.kind,
            "item": resource.item.key,
        }
        if entry.credentials == "database":
            user, password = _database_login(resource, app)
            described.update(
                db_host=resource.cloud["host"],
                db_port=resource.cloud["port"],
                db_name=resource.cloud["database"],
                db_user=user,
            )
            if password:
                secrets[f"db_password_{resource.id}"] = password
        else:
            described["addresses"] = resource.cloud.get("addresses", [])
        targets.append(described)
    extravars = {
        "run_id": run.uuid,
        "targets": targets,
        "params": run.parameters,
        "backups_dir": app.config["BACKUPS_DIR"],
        "log_root": app.config["MAINTENANCE_LOG_ROOT"],
        "services_dir": app.config["MAINTENANCE_SERVICES_DIR"],
    }
    return extravars, secrets


def _database_login(resource, app):
    """The owner's login while the portal still holds its password (until the agency has
    seen it once), else the managed server's administrative login."""
    if resource.sealed_secret and (password := unseal(resource.sealed_secret)):
        return resource.cloud["user"], password
    name, default_user = DATABASE_SERVERS[resource.item.key]
    server = make_url(app.config[name])
    return server.username or default_user, server.password
