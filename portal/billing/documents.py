"""Bills and months as the plain documents billing.exports reads, in the user's language."""

from decimal import Decimal

from flask_babel import force_locale
from sqlalchemy import select

from billing.documents import BillDoc, LineDoc, MonthDoc, MonthRow
from billing.metrics import METRICS, SECONDS_PER_HOUR
from portal.billing.models import BillLine
from portal.billing.periods import previous_month
from portal.billing.service import bills_for
from portal.inventory.models import Resource
from portal.tenancy.vocabulary import AGENCY_KINDS

QUANTITY_PLACES = Decimal("0.0001")


def hours(quantity):
    """Unit-seconds as unit-hours, for people (amounts use the exact seconds)."""
    if quantity is None:
        return None
    return (Decimal(quantity) / SECONDS_PER_HOUR).quantize(QUANTITY_PLACES)


def bill_document(session, bill, locale):
    rows = session.execute(
        select(BillLine, Resource.name, Resource.application)
        .outerjoin(Resource, Resource.id == BillLine.resource_id)
        .where(BillLine.bill_id == bill.id)
        .order_by(BillLine.resource_id, BillLine.metric, BillLine.period_start, BillLine.id)
    )
    lines = []
    for line, name, application in rows:
        metric = METRICS.get(line.metric)
        lines.append(
            LineDoc(
                kind=line.kind,
                resource=f"RS{line.resource_id:06d} {name}" if line.resource_id else "",
                application=application or "",
                metric=metric.name(locale) if metric else "",
                dimension=line.dimension or "",
                sla_tier=line.sla_tier or "",
                period_start=line.period_start,
                period_end=line.period_end,
                quantity=hours(line.quantity),
                unit=metric.unit if metric else "",
                rate=line.rate,
                amount=line.amount,
                reason=line.reason or "",
            )
        )
    with force_locale(locale):
        status = str(bill.state.label)
    return BillDoc(
        number=bill.number,
        agency_code=bill.agency.code,
        agency_name=bill.agency.name(locale),
        month=bill.month,
        status=status,
        price_lists=tuple(f"{ref['version']} r{ref['revision']}" for ref in bill.price_lists),
        lines=tuple(lines),
        usage=bill.usage,
        service_fee=bill.service_fee,
        adjustments=bill.adjustments,
        credits=bill.credits,
        total=bill.total,
        content_hash=bill.content_hash,
        finalized_at=bill.finalized_at,
    )


def month_document(session, user, month, locale):
    previous = {
        bill.agency_id: bill.total for bill in bills_for(session, user, previous_month(month))
    }
    bills = bills_for(session, user, month)
    with force_locale(locale):
        rows = tuple(
            MonthRow(
                agency_code=bill.agency.code,
                agency_name=bill.agency.name(locale),
                agency_kind=str(AGENCY_KINDS[bill.agency.kind]),
                status=str(bill.state.label),
                usage=bill.usage,
                service_fee=bill.service_fee,
                adjustments=bill.adjustments,
                credits=bill.credits,
                total=bill.total,
                previous_total=previous.get(bill.agency_id),
            )
            for bill in bills
        )
    return MonthDoc(
        month=month,
        rows=rows,
        total=sum((bill.total for bill in bills), Decimal(0)),
        previous_total=sum(previous.values(), Decimal(0)) if previous else None,
    )
