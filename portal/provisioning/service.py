"""Starting and following operations: plan, commit, then enqueue."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from portal.core import audit
from portal.core.aftercommit import after_commit
from portal.core.db import utcnow
from portal.core.errors import NotFound
from portal.extensions import celery
from portal.inventory.models import Resource
from portal.provisioning.models import Operation, OperationEvent
from portal.provisioning.plans import provision_operation
from portal.provisioning.states import OperationState
from portal.tenancy.permissions import agency_scope

RUN_OPERATION = "portal.provisioning.run_operation"
SIZE_KEYS = (
    "vcpus",
    "ram_gb",
    "cloud_flavor",
    "root_disk_gb",
    "data_volume_gb",
    "size_gb",
    "storage_gb",
)


def enqueue(session, operation):
    """Send the operation to a worker once the transaction that holds it commits."""
    operation_id = operation.id
    after_commit(session, lambda: celery.send_task(RUN_OPERATION, args=[operation_id]))


def provision(session, order):
    """Plan the making of an approved order's resource; the worker starts after commit."""
    definition = order.catalog_version.definition
    resource = Resource(
        agency_id=order.agency_id,
        order_id=order.id,
        item_id=order.item_id,
        catalog_version_id=order.catalog_version_id,
        kind=definition["kind"],
        name=str(order.spec[definition["provisioning"]["name_from"]]),
        sla_tier=order.sla_tier,
        size={key: order.spec[key] for key in SIZE_KEYS if key in order.spec},
        application=(order.spec.get("application") or "").strip() or None,
    )
    session.add(resource)
    operation = provision_operation(order, resource)
    session.add(operation)
    session.flush()
    audit.record(
        session,
        None,
        "operation.provision.planned",
        "operation",
        operation.id,
        agency_id=order.agency_id,
        after={"order": order.id, "resource": resource.id},
    )
    enqueue(session, operation)
    return operation


def get_operation(session, actor, operation_id):
    operation = session.scalar(
        select(Operation).where(
            Operation.id == operation_id, agency_scope(actor, Operation.agency_id)
        )
    )
    if operation is None:
        raise NotFound(_l("No such operation."))
    return operation


def operations_of_order(session, order):
    return session.scalars(
        select(Operation).where(Operation.order_id == order.id).order_by(Operation.created_at)
    ).all()


def stalled_operations(session, quiet_for):
    """Ids of unfinished operations nobody holds and nothing has happened to lately."""
    last_event = (
        select(func.max(OperationEvent.occurred_at))
        .where(OperationEvent.operation_id == Operation.id)
        .scalar_subquery()
    )
    since = utcnow() - quiet_for
    return session.scalars(
        select(Operation.id).where(
            Operation.state.notin_([OperationState.SUCCEEDED, OperationState.FAILED]),
            or_(Operation.claimed_until.is_(None), Operation.claimed_until < utcnow()),
            Operation.created_at < since,
            or_(last_event.is_(None), last_event < since),
        )
    ).all()
