"""Starting and following operations: plan, commit, then enqueue."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, or_, select

from portal.core import audit
from portal.core.aftercommit import after_commit
from portal.core.db import utcnow
from portal.core.errors import NotFound
from portal.extensions import celery
from portal.inventory.models import Resource
from portal.provisioning.models import Operation, OperationEvent, OperationStep
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
    "cloud_volume_type",
    "storage_gb",
)


def enqueue(session, operation):
    """Send the operation to a worker once the transaction that holds it commits."""
    _enqueue_id(session, operation.id)


def _enqueue_id(session, operation_id):
    after_commit(session, lambda: celery.send_task(RUN_OPERATION, args=[operation_id]))


# A planned resource, its operation and steps are written as plain rows on the session's
# connection: nothing in this transaction reads them back (the worker loads them by id
# after the commit), and flushing them as objects cost a submission a sixth of its CPU.
# Built once, at import.
_INSERT_RESOURCE = insert(Resource.__table__).returning(Resource.__table__.c.id)
_INSERT_OPERATION = insert(Operation.__table__)
_INSERT_STEPS = insert(OperationStep.__table__)


def provision(session, order):
    """Plan the making of an approved order's resource; the worker starts after commit.
    The order must be in the database already (a plain INSERT does not autoflush).
    Returns the operation's id."""
    definition = order.catalog_version.definition
    name = str(order.spec[definition["provisioning"]["name_from"]])
    connection = session.connection()
    resource_id = connection.execute(
        _INSERT_RESOURCE,
        {
            "agency_id": order.agency_id,
            "order_id": order.id,
            "item_id": order.item_id,
            "catalog_version_id": order.catalog_version_id,
            "kind": definition["kind"],
            "name": name,
            "sla_tier": order.sla_tier,
            "size": {key: order.spec[key] for key in SIZE_KEYS if key in order.spec},
            "application": (order.spec.get("application") or "").strip() or None,
            "version": 1,  # the version counter's first value, as the unit of work sets it
        },
    ).scalar_one()
    operation, steps = provision_operation(order, resource_id, name)
    connection.execute(_INSERT_OPERATION, operation)
    connection.execute(_INSERT_STEPS, steps)
    audit.record(
        session,
        None,
        "operation.provision.planned",
        "operation",
        operation["id"],
        agency_id=order.agency_id,
        after={"order": order.id, "resource": resource_id},
    )
    _enqueue_id(session, operation["id"])
    return operation["id"]


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
