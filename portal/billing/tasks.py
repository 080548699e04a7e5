"""Hourly metering for Celery beat, under its lock: every ended hour not metered yet,
then the budget warnings that the new usage may call for."""

from datetime import timedelta

from portal.billing.budgets import warn_budgets
from portal.billing.metering import meter_hour, pending_hours
from portal.core.locks import locked
from portal.extensions import celery, db

METER = "portal.billing.meter"
# Hours metered per run: an outage's backlog is caught up over a few runs, each short.
BACKLOG_PER_RUN = 24


@locked("meter", ttl=timedelta(minutes=30))
def meter_now(session, now=None):
    """Meter the pending hours, committing after each so that progress is kept."""
    metered = []
    for hour in pending_hours(session, now, limit=BACKLOG_PER_RUN):
        meter_hour(session, hour, now=now)
        session.commit()
        metered.append(hour)
    if metered:
        warn_budgets(session)
        session.commit()
    return metered


@celery.task(name=METER, soft_time_limit=1500, time_limit=1800)
def meter_task():
    try:
        hours = meter_now(db.session)
    finally:
        db.session.remove()
    return None if hours is None else [hour.isoformat() for hour in hours]
