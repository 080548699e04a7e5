"""Metering: the usage of every resource in an hour, from its lifecycle events.

An hour is metered once (a MeteredHour row says so); metering it again does nothing,
and re-metering it on purpose (`force`) replaces its records in the same transaction
and drops its day's rollup, which is built again once the day is whole.
"""

from collections import defaultdict

from sqlalchemy import delete, exists, func, insert, or_, select

from billing.metering import accrue
from billing.metrics import DEFAULT_STOPPED_METRICS
from portal.billing.models import Bill, MeteredHour, UsageRecord
from portal.billing.periods import HOUR, day_start, floor_hour, hours_between, month_of
from portal.billing.rollup import forget_day
from portal.billing.states import BillState
from portal.catalog.models import CatalogItem, CatalogItemVersion
from portal.core.db import utcnow
from portal.core.errors import Conflict, InvalidInput
from portal.inventory.models import LifecycleEvent, Resource


def last_ended_hour(now=None):
    """The start of the latest hour that has ended."""
    return floor_hour(now or utcnow()) - HOUR


def meter_hour(session, hour, *, force=False, now=None):
    """Record the hour's usage; returns the number of records written (0 if it was
    metered already). Only flushes."""
    if hour != floor_hour(hour):
        raise InvalidInput(f"{hour.isoformat()} is not the start of an hour")
    if hour > last_ended_hour(now):
        raise Conflict(f"the hour from {hour.isoformat()} has not ended yet")
    done = session.get(MeteredHour, hour)
    if done is not None and not force:
        return 0
    if done is not None:
        _refuse_if_finalized(session, hour)
        forget_day(session, day_start(hour))
        session.execute(delete(UsageRecord).where(UsageRecord.hour == hour))
        session.delete(done)
        session.flush()
    resources, rows = _usage(session, hour, hour + HOUR)
    if rows:
        session.execute(insert(UsageRecord), rows)
    session.add(MeteredHour(hour=hour, resources=resources, records=len(rows)))
    session.flush()
    return len(rows)


def pending_hours(session, now=None, limit=None):
    """Ended hours not metered yet, oldest first, since the first lifecycle event."""
    first = session.scalar(select(func.min(LifecycleEvent.occurred_at)))
    if first is None:
        return []
    metered = set(
        session.scalars(select(MeteredHour.hour).where(MeteredHour.hour >= floor_hour(first)))
    )
    pending = []
    for hour in hours_between(first, last_ended_hour(now) + HOUR):
        if hour not in metered:
            pending.append(hour)
            if limit and len(pending) == limit:
                break
    return pending


def _refuse_if_finalized(session, hour):
    finalized = session.scalar(
        select(
            exists().where(
                Bill.month == month_of(hour),
                Bill.status.in_([BillState.FINALIZED, BillState.SUPERSEDED]),
            )
        )
    )
    if finalized:
        raise Conflict(
            f"bills for {month_of(hour):%Y-%m} are finalized: its usage can no longer be "
            "re-metered; correct it with an adjustment or a reissue"
        )


def _usage(session, start, end):
    resources = session.execute(
        select(
            Resource.id,
            Resource.agency_id,
            Resource.sla_tier,
            Resource.kind,
            CatalogItem.key,
            Resource.catalog_version_id,
        )
        .join(CatalogItem, CatalogItem.id == Resource.item_id)
        .where(
            Resource.created_at < end,
            or_(Resource.deleted_at.is_(None), Resource.deleted_at >= start),
        )
    ).all()
    if not resources:
        return 0, []
    policies = _stopped_policies(session, {row.catalog_version_id for row in resources})
    before, during = _events(session, start, end)
    rows = []
    for resource in resources:
        quantities = accrue(
            start,
            end,
            before.get(resource.id),
            during.get(resource.id, ()),
            kind=resource.kind,
            item_key=resource.key,
            stopped_metrics=policies[resource.catalog_version_id],
        )
        rows.extend(
            {
                "hour": start,
                "resource_id": resource.id,
                "metric": metric,
                "dimension": dimension,
                "agency_id": resource.agency_id,
                "sla_tier": resource.sla_tier,
                "quantity": quantity,
            }
            for (metric, dimension), quantity in sorted(quantities.items())
            if quantity
        )
    return len(resources), rows


def _events(session, start, end):
    """The last (state, size) of each resource before `start`, and its events inside."""
    live = select(Resource.id).where(
        Resource.created_at < end,
        or_(Resource.deleted_at.is_(None), Resource.deleted_at >= start),
    )
    latest = (
        select(
            LifecycleEvent.resource_id,
            LifecycleEvent.state,
            LifecycleEvent.size,
            func.row_number()
            .over(
                partition_by=LifecycleEvent.resource_id,
                order_by=(LifecycleEvent.occurred_at.desc(), LifecycleEvent.id.desc()),
            )
            .label("rank"),
        )
        .where(LifecycleEvent.occurred_at < start, LifecycleEvent.resource_id.in_(live))
        .subquery()
    )
    before = {
        row.resource_id: (row.state, row.size)
        for row in session.execute(select(latest).where(latest.c.rank == 1))
    }
    during = defaultdict(list)
    for row in session.execute(
        select(
            LifecycleEvent.resource_id,
            LifecycleEvent.occurred_at,
            LifecycleEvent.state,
            LifecycleEvent.size,
        )
        .where(LifecycleEvent.occurred_at >= start, LifecycleEvent.occurred_at < end)
        .order_by(LifecycleEvent.resource_id, LifecycleEvent.occurred_at, LifecycleEvent.id)
    ):
        during[row.resource_id].append((row.occurred_at, row.state, row.size))
    return before, during


def _stopped_policies(session, version_ids):
    definitions = session.execute(
        select(CatalogItemVersion.id, CatalogItemVersion.definition).where(
            CatalogItemVersion.id.in_(version_ids)
        )
    )
    return {
        version_id: tuple(
            (definition.get("billing") or {}).get("stopped_metrics", DEFAULT_STOPPED_METRICS)
        )
        for version_id, definition in definitions
    }
