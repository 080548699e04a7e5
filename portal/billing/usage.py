"""What the JSON API reads of billing beyond the bills themselves: the month's metered
usage per resource and metric, a page of a bill's lines, and the agencies whose costs a
user may see. Plain functions of a session and a user; they only read."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.billing.models import BillLine, UsageRecord
from portal.billing.periods import month_bounds
from portal.billing.permissions import can_view_billing
from portal.core.errors import Forbidden, NotFound
from portal.core.paging import page_of
from portal.inventory.models import Resource
from portal.tenancy.models import Agency
from portal.tenancy.permissions import agency_scope


def require_billing_viewer(user):
    """Costs are for agency staff (their subtree) and the platform-wide roles (all of
    them); other users (vendors) are refused whatever they name."""
    if not (user.sees_all_agencies or user.is_agency_user):
        raise Forbidden(_l("Costs and bills are for agency staff and platform roles."))


def visible_agency(session, user, agency_id):
    """The agency, if the user may see its costs; NotFound otherwise, as if it did not exist."""
    require_billing_viewer(user)
    agency = session.get(Agency, agency_id)
    if agency is None or not can_view_billing(user, agency):
        raise NotFound(_l("No such agency."), {"agency_id": _l("Not found.")})
    return agency


def usage_for(session, user, month, agency_id=None, *, page=1, per_page=None):
    """The month's metered usage summed per resource, metric, dimension and SLA tier,
    of every agency the user may see, or of `agency_id`'s subtree (which the user must
    be able to see): ([row], number of rows). Rows have resource_id, resource_name,
    agency_id, metric, dimension, sla_tier and quantity (unit-seconds)."""
    require_billing_viewer(user)
    start, end = month_bounds(month)
    query = (
        select(
            UsageRecord.resource_id,
            Resource.name.label("resource_name"),
            UsageRecord.agency_id,
            UsageRecord.metric,
            UsageRecord.dimension,
            UsageRecord.sla_tier,
            func.sum(UsageRecord.quantity).label("quantity"),
        )
        .join(Resource, Resource.id == UsageRecord.resource_id)
        .where(
            UsageRecord.hour >= start,
            UsageRecord.hour < end,
            agency_scope(user, UsageRecord.agency_id),
        )
        .group_by(
            UsageRecord.resource_id,
            Resource.name,
            UsageRecord.agency_id,
            UsageRecord.metric,
            UsageRecord.dimension,
            UsageRecord.sla_tier,
        )
    )
    if agency_id is not None:
        agency = visible_agency(session, user, agency_id)
        subtree = select(Agency.id).where(Agency.path.startswith(agency.path))
        query = query.where(UsageRecord.agency_id.in_(subtree))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    query = query.order_by(
        UsageRecord.resource_id, UsageRecord.metric, UsageRecord.dimension, UsageRecord.sla_tier
    )
    if per_page is not None:
        query = page_of(query, page, per_page)
    rows = [row._asdict() for row in session.execute(query)]
    for row in rows:
        row["quantity"] = int(row["quantity"])  # SUM of a BIGINT is a Decimal on PostgreSQL
    return rows, total


def bill_lines(session, bill, *, kinds=None, page=1, per_page=200):
    """A page of the bill's lines, in the order of service.lines_of, and their number."""
    query = select(BillLine).where(BillLine.bill_id == bill.id)
    if kinds:
        query = query.where(BillLine.kind.in_(kinds))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    lines = session.scalars(
        page_of(
            query.options(selectinload(BillLine.created_by)).order_by(
                BillLine.kind,
                BillLine.resource_id,
                BillLine.metric,
                BillLine.period_start,
                BillLine.id,
            ),
            page,
            per_page,
        )
    ).all()
    return lines, total
