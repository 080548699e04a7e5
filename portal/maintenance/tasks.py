"""Celery tasks: thin shells over runner.py. They take ids and reload."""

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError

from portal.core.locks import locked
from portal.extensions import celery, db
from portal.maintenance import runner
from portal.maintenance.service import RUN_MAINTENANCE, STALLED_AFTER, stalled_runs
from portal.maintenance.states import RunState
from portal.provisioning.automation import make_playbook_runner
from portal.provisioning.engine import backoff

log = logging.getLogger(__name__)
SWEEP = "portal.maintenance.sweep"


# The limits here are the longest playbook's; enqueue() sends each run with its own.
@celery.task(
    name=RUN_MAINTENANCE,
    bind=True,
    acks_late=True,
    max_retries=3,
    soft_time_limit=121 * 60,
    time_limit=122 * 60,
)
def run_maintenance(self, run_id):
    """Retried only when the database is away before the run is claimed or after it
    ended (the claim makes a second delivery harmless); a run left running is the
    sweep's to end."""
    try:
        return runner.execute(
            db.session, run_id, make_playbook_runner(current_app.config), current_app
        )
    except OperationalError as error:
        db.session.rollback()
        raise self.retry(countdown=backoff(self.request.retries + 2), exc=error) from error
    except SoftTimeLimitExceeded:
        db.session.rollback()
        log.warning("maintenance run %s hit the task's time limit", run_id)
        why = str(_l("The run did not finish within its time limit and was stopped."))
        return runner.finish(db.session, run_id, RunState.FAILED, why)
    finally:
        db.session.remove()


@locked("maintenance_sweep", ttl=timedelta(minutes=5))
def sweep(session):
    """Send again the started runs no worker took (a lost message); end failed the runs
    whose worker's claim lapsed mid-run (what it did is in its output and artifacts)."""
    queued, lapsed = stalled_runs(session, STALLED_AFTER)
    for run_id in queued:
        celery.send_task(RUN_MAINTENANCE, args=[run_id])
    why = str(_l("The worker stopped during the run: look at its output before planning again."))
    for run_id in lapsed:
        runner.finish(session, run_id, RunState.FAILED, why)
    return queued, lapsed


@celery.task(name=SWEEP, soft_time_limit=240, time_limit=300)
def sweep_task():
    try:
        return sweep(db.session)
    finally:
        db.session.remove()
