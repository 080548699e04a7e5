"""Leases: resources of items that set one are lent for a while. Their owners are
warned before the end, may ask for more time (an order, approved by the item's
chain), and what is not extended is retired after a grace period."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User, UserRole
from portal.accounts.roles import Role
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, InvalidInput
from portal.i18n import N_
from portal.inventory import lifecycle
from portal.inventory.models import Resource
from portal.inventory.service import running_operation, start_action
from portal.inventory.states import LIVE_STATES, ResourceState
from portal.notifications.service import notify

WARN = N_("The lease of %(name)s ends on %(end)s")
WARN_BODY = N_(
    "Ask for an extension on the resource's page before then, or it is deleted "
    "%(grace)s days after the end."
)
RETIRED = N_("The lease of %(name)s ended: it is being deleted")
EXTENDED = N_("The lease of %(name)s was extended to %(end)s")


def lease_of(resource):
    return resource.order.catalog_version.definition.get("lease")


def _owners(session, resource):
    """The person who ordered it and the managers of its agency."""
    managers = select(UserRole.user_id).where(UserRole.role == Role.AGENCY_MANAGER)
    people = session.scalars(
        select(User).where(
            User.is_enabled,
            (User.id == resource.order.created_by_id)
            | ((User.agency_id == resource.agency_id) & User.id.in_(managers)),
        )
    ).all()
    return people


def _leased(session):
    return session.scalars(
        select(Resource).where(
            Resource.lease_expires_at.is_not(None), Resource.state.in_(sorted(LIVE_STATES))
        )
    ).all()


def warn_expiring(session, now=None):
    """Warn the owners of leases ending within their item's warning period, once."""
    now = now or utcnow()
    warned = []
    for resource in _leased(session):
        lease = lease_of(resource)
        if resource.lease_warned_at or now < resource.lease_expires_at - timedelta(
            days=lease["warn_days"]
        ):
            continue
        resource.lease_warned_at = now
        notify(
            session,
            _owners(session, resource),
            WARN,
            WARN_BODY,
            link=f"/resources/{resource.id}",
            name=resource.name,
            end=resource.lease_expires_at.date().isoformat(),
            grace=lease["grace_days"],
        )
        warned.append(resource.id)
    session.flush()
    return warned


def retire_expired(session, now=None):
    """Delete what is past its lease and grace period (and not busy)."""
    now = now or utcnow()
    retired = []
    for resource in _leased(session):
        grace = timedelta(days=lease_of(resource)["grace_days"])
        if now < resource.lease_expires_at + grace or running_operation(session, resource):
            continue
        if resource.state not in (ResourceState.ACTIVE, ResourceState.STOPPED):
            continue
        audit.record(
            session,
            None,
            "resource.lease_expired",
            "resource",
            resource.id,
            agency_id=resource.agency_id,
        )
        start_action(session, resource, "delete", {})
        notify(
            session,
            _owners(session, resource),
            RETIRED,
            link=f"/resources/{resource.id}",
            name=resource.name,
        )
        retired.append(resource.id)
    session.flush()
    return retired


def check_extension(resource, days):
    """Refuse an extension the item's lease does not allow."""
    lease = lease_of(resource)
    if lease is None or resource.lease_expires_at is None:
        raise Conflict(_l("This resource has no lease to extend."))
    if resource.state not in (ResourceState.ACTIVE, ResourceState.STOPPED):
        raise Conflict(_l("Only a resource in use can have its lease extended."))
    if not isinstance(days, int) or not 1 <= days <= lease["days"]:
        raise InvalidInput(
            _l("Please correct the marked fields."),
            {"days": _l("Between 1 and %(n)s days.", n=lease["days"])},
        )


def extend(session, resource, days, order):
    """Apply an approved extension: from the end of the lease, or from now if past."""
    start = max(resource.lease_expires_at, utcnow())
    resource.lease_expires_at = start + timedelta(days=days)
    resource.lease_warned_at = None
    lifecycle.record(session, resource, "lease_extended")
    notify(
        session,
        _owners(session, resource),
        EXTENDED,
        link=f"/resources/{resource.id}",
        name=resource.name,
        end=resource.lease_expires_at.date().isoformat(),
    )
    audit.record(
        session,
        None,
        "resource.lease_extended",
        "resource",
        resource.id,
        agency_id=resource.agency_id,
        after={"lease_expires_at": resource.lease_expires_at, "order": order.id},
    )
