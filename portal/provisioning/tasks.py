"""Celery tasks: thin shells over the engine. They take ids and reload."""

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from flask import current_app

from portal.core.locks import locked
from portal.extensions import celery, db
from portal.provisioning import engine
from portal.provisioning.automation import make_playbook_runner
from portal.provisioning.drivers import current_driver
from portal.provisioning.drivers.base import CloudError, TransientCloudError
from portal.provisioning.service import RUN_OPERATION, stalled_operations
from portal.tenancy.models import Agency
from portal.tenancy.service import SYNC_PROJECT

log = logging.getLogger(__name__)


def runtime(app):
    return engine.Runtime(
        driver=current_driver(),
        run_playbook=make_playbook_runner(app.config),
        config=app.config,
    )


@celery.task(name=RUN_OPERATION, bind=True, acks_late=True, max_retries=None)
def run_operation(self, operation_id):
    try:
        try:
            made = runtime(current_app)
        except CloudError as error:
            outcome = engine.cloud_unusable(db.session, operation_id, error)
        else:
            outcome = engine.run(db.session, operation_id, made)
    except SoftTimeLimitExceeded:
        db.session.rollback()
        log.warning("operation %s hit the task's time limit; it resumes", operation_id)
        outcome = engine.Outcome(finished=False, retry_in=1.0)
    finally:
        db.session.remove()
    if not outcome.finished:
        raise self.retry(countdown=outcome.retry_in)
    return operation_id


RESUME_STALLED = "portal.provisioning.resume_stalled"


@locked("resume_stalled", ttl=timedelta(minutes=5))
def resume_stalled(session):
    """Send again what no worker is on: its message was lost (a broker restart, an
    enqueue that failed after the commit) or its retries ran out with the worker."""
    stalled = stalled_operations(session, quiet_for=timedelta(minutes=5))
    for operation_id in stalled:
        run_operation.delay(operation_id)
    return stalled


@celery.task(name=RESUME_STALLED, soft_time_limit=240, time_limit=300)
def resume_stalled_task():
    try:
        return resume_stalled(db.session)
    finally:
        db.session.remove()


@celery.task(
    name=SYNC_PROJECT, bind=True, acks_late=True, max_retries=5, soft_time_limit=240, time_limit=300
)
def sync_project(self, agency_id):
    """Push an agency's quotas to its cloud project (after an operator changed them)."""
    try:
        agency = db.session.get(Agency, agency_id)
        if agency is not None and agency.cloud_project_id:
            current_driver().ensure_project(agency.code, agency.quota_limits())
    except TransientCloudError as error:
        raise self.retry(countdown=engine.backoff(self.request.retries)) from error
    finally:
        db.session.remove()
