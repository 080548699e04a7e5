"""Periodic inventory work for Celery beat, each under its lock: reconciliation and
leases."""

from datetime import timedelta

from flask import current_app

from portal.core.locks import locked
from portal.extensions import celery, db
from portal.inventory.leases import retire_expired, warn_expiring
from portal.inventory.reconcile import reconcile
from portal.provisioning.drivers import current_driver

RECONCILE = "portal.inventory.reconcile"
LEASES = "portal.inventory.leases"


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


@locked("leases", ttl=timedelta(minutes=30))
def leases_now(session):
    warned, retired = warn_expiring(session), retire_expired(session)
    session.commit()
    return {"warned": warned, "retired": retired}


@celery.task(name=LEASES, time_limit=1800)
def leases_task():
    try:
        return leases_now(db.session)
    finally:
        db.session.remove()
