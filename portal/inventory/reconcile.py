"""Reconciliation: compare the cloud with the inventory and put right what drifted.

- A tagged object that no live resource or unfinished operation accounts for is an
  orphan (a crash between create and record, an undo that could not finish, someone's
  copy): reported when first seen, deleted once it has been seen for the grace period.
- A live resource whose server or volume is gone is marked missing, for the operators.
- A server whose power state changed outside the portal is recorded as such (a
  lifecycle event: billing follows what really ran) and flagged.
Objects of operations still running are left alone: they are in flux by design.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict
from portal.incidents.service import open_incident
from portal.inventory import lifecycle
from portal.inventory.models import CloudOrphan, Resource
from portal.inventory.states import ResourceState
from portal.provisioning.drivers.base import AGENCY_TAG, CloudError
from portal.provisioning.models import Operation
from portal.provisioning.states import OperationState

log = logging.getLogger(__name__)

WATCHED = (ResourceState.ACTIVE, ResourceState.STOPPED, ResourceState.MISSING)
POWER = {"active": ResourceState.ACTIVE, "stopped": ResourceState.STOPPED}


@dataclass
class Report:
    orphans_found: list = field(default_factory=list)
    orphans_cleaned: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    drifted: list = field(default_factory=list)
    returned: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def lines(self):
        for label, items in (
            ("orphan found", self.orphans_found),
            ("orphan deleted", self.orphans_cleaned),
            ("missing", self.missing),
            ("changed outside the portal", self.drifted),
            ("back in the cloud", self.returned),
            ("error", self.errors),
        ):
            for item in items:
                yield f"{label}: {item}"


def reconcile(session, driver, *, grace=timedelta(hours=1), dry_run=False):
    """One pass; flushes its changes (the caller commits) unless dry_run."""
    report = Report()
    cloud = {obj.id: obj for obj in driver.list_tagged()}
    busy_ops = set(
        session.scalars(
            select(Operation.id).where(
                Operation.state.notin_([OperationState.SUCCEEDED, OperationState.FAILED])
            )
        )
    )
    resources = session.scalars(select(Resource).where(Resource.state.in_(WATCHED))).all()
    busy_resources = set(
        session.scalars(select(Operation.resource_id).where(Operation.id.in_(busy_ops)))
    )
    accounted = set()
    for resource in resources:
        ids = [resource.cloud.get(key) for key in ("server_id", "volume_id")]
        accounted.update(i for i in ids if i)
        accounted.update(s.get("snapshot_id") for s in resource.cloud.get("snapshots", []))
        if resource.id not in busy_resources:
            _check_resource(session, resource, cloud, report, dry_run)
    for obj in cloud.values():
        if obj.id in accounted or obj.operation_id in busy_ops:
            continue
        _orphan(session, driver, obj, grace, report, dry_run)
    if not dry_run:
        session.flush()
    return report


def _check_resource(session, resource, cloud, report, dry_run):
    server_id = resource.cloud.get("server_id")
    volume_id = resource.cloud.get("volume_id")
    gone = [i for i in (server_id, volume_id) if i and i not in cloud]
    label = f"{resource.number} {resource.name}"
    if gone:
        if resource.state != ResourceState.MISSING:
            report.missing.append(label)
            if not dry_run:
                resource.attention = f"Not found in the cloud: {', '.join(gone)}."
                lifecycle.record(session, resource, "missing", state=ResourceState.MISSING)
                raise_missing(session, resource, gone)
        return
    if not server_id:
        if resource.state == ResourceState.MISSING:
            report.returned.append(label)
            if not dry_run:
                resource.attention = None
                lifecycle.record(session, resource, "returned", state=ResourceState.ACTIVE)
        return
    status = cloud[server_id].status
    actual = POWER.get(status)
    if actual is None:
        if status == "error" and resource.attention is None:
            report.drifted.append(f"{label}: the server is in error")
            if not dry_run:
                resource.attention = f"The server is in error: {cloud[server_id].fault or ''}"
        return
    if resource.state == ResourceState.MISSING:
        report.returned.append(label)
        if not dry_run:
            resource.attention = None
            lifecycle.record(session, resource, "returned", state=actual)
    elif actual != resource.state:
        report.drifted.append(f"{label}: {resource.state} in the portal, {status} in the cloud")
        if not dry_run:
            resource.attention = f"Found {status} although the portal had it {resource.state}."
            kind = "started" if actual == ResourceState.ACTIVE else "stopped"
            lifecycle.record(session, resource, kind, state=actual)


def raise_missing(session, resource, gone):
    """A P1 incident for the vanished resource, so its vendor's SLA clock starts. With
    no SLA definition loaded the resource is still marked missing, and that is logged."""
    try:
        with session.begin_nested():
            open_incident(
                session,
                None,
                priority="P1",
                title=f"{resource.number} {resource.name}: not found in the cloud",
                description=f"Reconciliation found these cloud objects gone: {', '.join(gone)}.",
                resource_id=resource.id,
            )
    except Conflict as refused:
        log.warning("no incident for missing %s: %s", resource.number, refused.message)


def _orphan(session, driver, obj, grace, report, dry_run):
    label = f"{obj.kind} {obj.id} ({obj.name}, operation {obj.operation_id})"
    known = session.scalar(select(CloudOrphan).where(CloudOrphan.cloud_id == obj.id))
    if known is None:
        report.orphans_found.append(label)
        if not dry_run:
            known = CloudOrphan(
                cloud_id=obj.id,
                kind=obj.kind,
                name=obj.name,
                project_id=obj.project_id,
                operation_id=obj.operation_id,
                agency_id=_agency(obj),
                reason="No live resource or running operation accounts for it.",
            )
            session.add(known)
            audit.record(
                session,
                None,
                "cloud.orphan_found",
                obj.kind,
                obj.id,
                agency_id=known.agency_id,
                after={"operation": obj.operation_id},
            )
        return
    if known.cleaned_at is not None or utcnow() - known.first_seen_at < grace:
        return
    report.orphans_cleaned.append(label)
    if dry_run:
        return
    try:
        delete = {
            "server": driver.delete_server,
            "volume": driver.delete_volume,
            "snapshot": driver.delete_snapshot,
        }[obj.kind]
        delete(obj.project_id, obj.id)
    except CloudError as error:
        report.errors.append(f"{label}: {error}")
        return
    known.cleaned_at = utcnow()
    audit.record(
        session,
        None,
        "cloud.orphan_deleted",
        obj.kind,
        obj.id,
        agency_id=known.agency_id,
        after={"operation": obj.operation_id},
    )


def _agency(obj):
    value = obj.tags.get(AGENCY_TAG)
    return int(value) if value and value.isdigit() else None
