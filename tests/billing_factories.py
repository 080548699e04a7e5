"""Resources with a history chosen by the test, for metering and billing: written as
the inventory writes them (a resource and its lifecycle events), at given times."""

from sqlalchemy import select

from portal.accounts.models import User
from portal.catalog.models import CatalogItem
from portal.inventory.models import LifecycleEvent, Resource
from portal.orders.models import Order

SMALL_VM = {"cloud_flavor": "jy.small", "vcpus": 1, "ram_gb": 2, "root_disk_gb": 40}


def make_resource(session, agency_id, item_key, history, *, sla_tier="standard", name="res"):
    """`history`: [(time, kind, state, size)] in order; the first is its creation."""
    item = session.scalar(select(CatalogItem).where(CatalogItem.key == item_key))
    creator = session.scalar(select(User.id).order_by(User.id).limit(1))
    first_size = history[0][3]
    order = Order(
        agency_id=agency_id,
        item_id=item.id,
        catalog_version_id=item.current_version_id,
        created_by_id=creator,
        state="fulfilled",
        parameters={},
        spec=dict(first_size),
        sla_tier=sla_tier,
    )
    session.add(order)
    session.flush()
    _at, _kind, last_state, last_size = history[-1]
    resource = Resource(
        agency_id=agency_id,
        order_id=order.id,
        item_id=item.id,
        catalog_version_id=item.current_version_id,
        kind=item.kind,
        name=name,
        state=last_state,
        sla_tier=sla_tier,
        size=dict(last_size),
        created_at=history[0][0],
        deleted_at=history[-1][0] if last_state == "deleted" else None,
    )
    session.add(resource)
    session.flush()
    for at, kind, state, size in history:
        session.add(
            LifecycleEvent(
                resource_id=resource.id, occurred_at=at, kind=kind, state=state, size=dict(size)
            )
        )
    session.flush()
    return resource
