"""Periodic inventory work for Celery beat: reconciliation, under a lock."""

from datetime import timedelta

from flask import current_app

from portal.core.locks import locked
from portal.extensions import celery, db
from portal.inventory.reconcile import reconcile
from portal.provisioning.drivers import current_driver

RECONCILE = "portal.inventory.reconcile"


@locked("reconcile", ttl=timedelta(minutes=30))
def reconcile_now(session, dry_run=False):
    report = reconcile(
        session,
        current_driver(),
        grace=timedelta(minutes=current_app.config["ORPHAN_GRACE_MINUTES"]),
        dry_run=dry_run,
    )
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return report


@celery.task(name=RECONCILE, soft_time_limit=1500, time_limit=1800)
def reconcile_task():
    try:
        report = reconcile_now(db.session)
    finally:
        db.session.remove()
    return None if report is None else list(report.lines())
