"""The resources a technician may pick for a playbook on the plan form: active ones of
the kinds it works on, in the agencies their vendor serves today, for the services the
vendor operates there (hybrid agencies keep some with the platform team)."""

from sqlalchemy import select

from portal.catalog.models import CatalogItem
from portal.inventory.models import Resource
from portal.inventory.states import ResourceState
from portal.vendors.eligibility import responsible_vendor, today
from portal.vendors.overview import served_agencies

# The form lists at most this many; the API takes any resource ids.
LIMIT = 500


def candidates(session, technician, entry, day=None):
    day = day or today()
    agencies = {agency.id: agency for agency in served_agencies(session, technician.vendor, day)}
    if not agencies:
        return []
    query = (
        select(Resource)
        .join(CatalogItem, CatalogItem.id == Resource.item_id)
        .where(
            Resource.agency_id.in_(agencies),
            Resource.state == ResourceState.ACTIVE,
            Resource.kind.in_(entry.kinds),
        )
        .order_by(Resource.agency_id, Resource.name)
        .limit(LIMIT)
    )
    if entry.items:
        query = query.where(CatalogItem.key.in_(entry.items))
    responsible = {}
    chosen = []
    for resource in session.scalars(query):
        key = (resource.agency_id, resource.item.key)
        if key not in responsible:
            vendor = responsible_vendor(session, agencies[resource.agency_id], key[1], day).vendor
            responsible[key] = vendor is not None and vendor.id == technician.vendor_id
        if responsible[key]:
            chosen.append(resource)
    return chosen
