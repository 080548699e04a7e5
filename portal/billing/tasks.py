"""Hourly metering for Celery beat, under its lock: every ended hour not metered yet,
the rollups of the days that are now whole, then the budget warnings that the new
usage may call for."""

from datetime import timedelta

from portal.billing.budgets import warn_budgets
from portal.billing.metering import meter_hour, pending_hours
from portal.billing.rollup import pending_days, roll_up_day
from portal.core.locks import locked
from portal.extensions import celery, db

METER = "portal.billing.meter"
# Hours metered per run: an outage's backlog is caught up over a few runs, each short.
BACKLOG_PER_RUN = 24
# Days rolled up per run: a day takes about as long as metering an hour, so a database
# that has never been rolled up (metered before rollups existed) catches up in steps.
DAYS_PER_RUN = 7


@locked("meter", ttl=timedelta(minutes=30))
def meter_now(session, now=None):
    """Meter the pending hours and roll up the whole days, committing after each so
    that progress is kept."""
    metered = []
    for hour in pending_hours(session, now, limit=BACKLOG_PER_RUN):
        meter_hour(session, hour, now=now)
        session.commit()
        metered.append(hour)
    for start in pending_days(session, now)[:DAYS_PER_RUN]:
        roll_up_day(session, start, now=now)
        session.commit()
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
