"""What the billing pages show beyond one bill: a month's bills with the month before,
the trend of recent months, shares by agency kind and business domain, and the hours
behind one resource's lines."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from portal.billing.models import Bill, BillLine, UsageRecord
from portal.billing.periods import month_bounds, previous_month
from portal.billing.service import bills_for
from portal.core.errors import NotFound
from portal.inventory.models import Resource
from portal.tenancy.permissions import agency_scope

TREND_MONTHS = 12


@dataclass(frozen=True)
class MonthRow:
    bill: Bill
    previous: Decimal | None

    @property
    def change(self):
        """Percent change from the month before, or None."""
        if not self.previous:
            return None
        return ((self.bill.total - self.previous) * 100 / self.previous).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class MonthOverview:
    month: date
    rows: list
    total: Decimal
    previous_total: Decimal | None
    by_kind: dict
    by_domain: dict
    top: list

    @property
    def change(self):
        if not self.previous_total:
            return None
        return ((self.total - self.previous_total) * 100 / self.previous_total).quantize(
            Decimal("0.1")
        )


def month_overview(session, user, month):
    bills = bills_for(session, user, month)
    before = {
        bill.agency_id: bill.total for bill in bills_for(session, user, previous_month(month))
    }
    by_kind, by_domain = defaultdict(Decimal), defaultdict(Decimal)
    for bill in bills:
        by_kind[bill.agency.kind] += bill.total
        by_domain[bill.agency.domain] += bill.total
    return MonthOverview(
        month=month,
        rows=[MonthRow(bill, before.get(bill.agency_id)) for bill in bills],
        total=sum((bill.total for bill in bills), Decimal(0)),
        previous_total=sum(before.values(), Decimal(0)) if before else None,
        by_kind=dict(by_kind),
        by_domain=dict(by_domain),
        top=sorted(bills, key=lambda bill: bill.total, reverse=True)[:10],
    )


def trend(session, user, month, agency_id=None):
    """[(month, total)] of the visible current bills of the last months, oldest first."""
    months = [month]
    for _ in range(TREND_MONTHS - 1):
        months.insert(0, previous_month(months[0]))
    totals = []
    for each in months:
        bills = bills_for(session, user, each)
        if agency_id is not None:
            bills = [bill for bill in bills if bill.agency_id == agency_id]
        totals.append((each, sum((bill.total for bill in bills), Decimal(0))))
    while totals and not totals[0][1]:
        totals.pop(0)  # months before billing began
    return totals


def resource_subtotals(session, bill):
    """[(resource id, name, application, amount)] of the bill, largest first."""
    rows = session.execute(
        select(BillLine.resource_id, Resource.name, Resource.application, func.sum(BillLine.amount))
        .join(Resource, Resource.id == BillLine.resource_id)
        .where(BillLine.bill_id == bill.id)
        .group_by(BillLine.resource_id, Resource.name, Resource.application)
        .order_by(func.sum(BillLine.amount).desc(), BillLine.resource_id)
    )
    return [(rid, name, application, amount) for rid, name, application, amount in rows]


def application_subtotals(resources):
    totals = defaultdict(Decimal)
    for _rid, _name, application, amount in resources:
        totals[application or ""] += amount
    return sorted(totals.items(), key=lambda item: item[1], reverse=True)


def resource_hours(session, user, bill, resource_id):
    """The metered hours behind a resource's lines on the bill: [(hour, metric,
    dimension, quantity in unit-seconds)]."""
    resource = session.get(Resource, resource_id)
    visible = session.scalar(
        select(func.count())
        .select_from(Resource)
        .where(Resource.id == resource_id, agency_scope(user, Resource.agency_id))
    )
    if resource is None or not visible or resource.agency_id != bill.agency_id:
        raise NotFound("no such resource on this bill")
    start, end = month_bounds(bill.month)
    rows = session.execute(
        select(UsageRecord.hour, UsageRecord.metric, UsageRecord.dimension, UsageRecord.quantity)
        .where(
            UsageRecord.resource_id == resource_id,
            UsageRecord.hour >= start,
            UsageRecord.hour < end,
        )
        .order_by(UsageRecord.hour, UsageRecord.metric, UsageRecord.dimension)
    )
    return resource, list(rows)
