"""Monthly bills: making them, reviewing, adjusting, finalizing and reissuing.

draft → under review → finalized; a finalized bill never changes: a correction is a
reissue, a new revision that replaces it once finalized and keeps it as superseded.
"""

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from portal.billing.models import Bill, BillLine
from portal.billing.periods import month_bounds
from portal.billing.permissions import can_manage_bills, can_view_billing
from portal.billing.rating import rate_bills, refresh_totals
from portal.billing.states import BillState
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.inventory.models import Resource
from portal.tenancy.models import Agency
from portal.tenancy.permissions import agency_scope

ADJUSTABLE = (BillState.DRAFT, BillState.UNDER_REVIEW)
MAX_ADJUSTMENT = Decimal("100000000")


@dataclass
class GenerateReport:
    created: list = field(default_factory=list)
    regenerated: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # under review or finalized: untouched


def generate_bills(session, actor, month, *, agency_ids=None, now=None):
    """Make or remake the month's draft bills (all agencies, or those given)."""
    _require_finance(actor)
    agencies = session.scalars(
        select(Agency)
        .where(Agency.id.in_(agency_ids) if agency_ids is not None else Agency.id.isnot(None))
        .order_by(Agency.path)
    ).all()
    current = {bill.agency_id: bill for bill in current_bills(session, month)}
    report, drafts = GenerateReport(), []
    for agency in agencies:
        bill = current.get(agency.id)
        if bill is None:
            bill = Bill(agency=agency, agency_id=agency.id, month=month, revision=1)
            session.add(bill)
            report.created.append(bill)
        elif bill.status == BillState.DRAFT:
            report.regenerated.append(bill)
        else:
            report.skipped.append(bill)
            continue
        drafts.append(bill)
    session.flush()
    rate_bills(session, drafts, now=now)
    for bill in drafts:
        audit.record(
            session,
            actor,
            "bill.generated",
            "bill",
            bill.id,
            agency_id=bill.agency_id,
            after={"number": bill.number, "total": bill.total},
        )
    return report


def current_bills(session, month):
    """The latest revision of each agency's bill for the month."""
    latest = (
        select(Bill.agency_id, func.max(Bill.revision).label("revision"))
        .where(Bill.month == month)
        .group_by(Bill.agency_id)
        .subquery()
    )
    return session.scalars(
        select(Bill)
        .join(latest, (Bill.agency_id == latest.c.agency_id) & (Bill.revision == latest.c.revision))
        .where(Bill.month == month)
    ).all()


def bills_for(session, user, month):
    """The month's current bills the user may see, in agency tree order."""
    return sorted(
        (bill for bill in current_bills(session, month) if can_view_billing(user, bill.agency)),
        key=lambda bill: bill.agency.path,
    )


def get_bill(session, user, bill_id):
    bill = session.get(Bill, bill_id)
    if bill is None or not can_view_billing(user, bill.agency):
        raise NotFound(_l("No such bill."))
    return bill


def bill_months(session, user):
    """Months that have bills the user may see, newest first."""
    query = select(Bill.month).distinct().where(agency_scope(user, Bill.agency_id))
    return sorted(session.scalars(query), reverse=True)


def subtree_total(session, bill):
    """The month's total of the bill's agency and every agency under it."""
    subtree = set(
        session.scalars(select(Agency.id).where(Agency.path.startswith(bill.agency.path)))
    )
    bills = current_bills(session, bill.month)
    return sum((other.total for other in bills if other.agency_id in subtree), Decimal(0))


def lines_of(session, bill, *, kinds=None):
    query = select(BillLine).where(BillLine.bill_id == bill.id)
    if kinds:
        query = query.where(BillLine.kind.in_(kinds))
    return session.scalars(
        query.order_by(
            BillLine.kind, BillLine.resource_id, BillLine.metric, BillLine.period_start, BillLine.id
        )
    )


def submit_for_review(session, actor, bill):
    _require_finance(actor)
    _move(session, actor, bill, BillState.DRAFT, BillState.UNDER_REVIEW, "bill.submitted")


def return_to_draft(session, actor, bill, reason):
    _require_finance(actor)
    reason = _reason(reason)
    _move(session, actor, bill, BillState.UNDER_REVIEW, BillState.DRAFT, "bill.returned", reason)


def adjust(session, actor, bill, amount, reason, *, resource_id=None):
    """Add an adjustment line (negative for a discount); the reason is mandatory."""
    _require_finance(actor)
    if bill.status not in ADJUSTABLE:
        raise Conflict(
            _l(
                "Bill %(number)s is %(state)s: a finalized bill cannot change; reissue it "
                "to correct it.",
                number=bill.number,
                state=bill.state.label,
            )
        )
    amount, reason = _amount(amount), _reason(reason)
    if resource_id is not None and resource_id != session.scalar(
        select(Resource.id).where(Resource.id == resource_id, Resource.agency_id == bill.agency_id)
    ):
        raise InvalidInput(
            _l(
                "Resource %(id)s is not one of the resources of %(agency)s.",
                id=resource_id,
                agency=bill.agency.code,
            ),
            {"resource_id": _l("Not a resource of the bill's agency.")},
        )
    start, end = month_bounds(bill.month)
    session.add(
        BillLine(
            bill_id=bill.id,
            kind="adjustment",
            resource_id=resource_id,
            period_start=start,
            period_end=end,
            amount=amount,
            reason=reason,
            created_by_id=actor.id,
        )
    )
    session.flush()
    before = bill.total
    refresh_totals(session, [bill])
    audit.record(
        session,
        actor,
        "bill.adjusted",
        "bill",
        bill.id,
        agency_id=bill.agency_id,
        before={"total": before},
        after={"total": bill.total, "adjustment": amount},
        note=reason,
    )


def finalize(session, actor, bill, *, now=None):
    _require_finance(actor)
    if bill.status in (BillState.FINALIZED, BillState.SUPERSEDED):
        raise Conflict(_l("Bill %(number)s is already finalized.", number=bill.number))
    if bill.status != BillState.UNDER_REVIEW:
        raise Conflict(
            _l("Bill %(number)s must be under review to be finalized.", number=bill.number)
        )
    adjusters = set(
        session.scalars(
            select(BillLine.created_by_id).where(
                BillLine.bill_id == bill.id, BillLine.created_by_id.isnot(None)
            )
        )
    )
    if actor.id in adjusters:
        raise Forbidden(
            _l("You adjusted this bill: another finance officer must finalize it (four eyes).")
        )
    bill.status = BillState.FINALIZED
    bill.finalized_by_id = actor.id
    bill.finalized_at = now or utcnow()
    bill.content_hash = content_hash(session, bill)
    if bill.supersedes_id:
        previous = session.get(Bill, bill.supersedes_id)
        previous.status = BillState.SUPERSEDED
    session.flush()
    audit.record(
        session,
        actor,
        "bill.finalized",
        "bill",
        bill.id,
        agency_id=bill.agency_id,
        after={"number": bill.number, "total": bill.total, "content_hash": bill.content_hash},
    )


def reissue(session, actor, bill, reason, *, now=None):
    """A new draft revision of a finalized bill, re-rated, carrying its adjustments."""
    _require_finance(actor)
    reason = _reason(reason)
    if bill.status != BillState.FINALIZED:
        raise Conflict(
            _l("Only a finalized bill can be reissued; %(number)s is not.", number=bill.number)
        )
    newer = session.scalar(
        select(func.max(Bill.revision)).where(
            Bill.agency_id == bill.agency_id, Bill.month == bill.month
        )
    )
    if newer != bill.revision:
        raise Conflict(_l("Bill %(number)s has been reissued already.", number=bill.number))
    new = Bill(
        agency=bill.agency,
        agency_id=bill.agency_id,
        month=bill.month,
        revision=bill.revision + 1,
        supersedes_id=bill.id,
    )
    session.add(new)
    session.flush()
    for line in lines_of(session, bill, kinds=("adjustment", "sla_credit")):
        session.add(
            BillLine(
                bill_id=new.id,
                kind=line.kind,
                resource_id=line.resource_id,
                period_start=line.period_start,
                period_end=line.period_end,
                amount=line.amount,
                reason=line.reason,
                created_by_id=line.created_by_id,
            )
        )
    session.flush()
    rate_bills(session, [new], now=now)
    audit.record(
        session,
        actor,
        "bill.reissued",
        "bill",
        new.id,
        agency_id=bill.agency_id,
        before={"number": bill.number, "total": bill.total},
        after={"number": new.number, "total": new.total},
        note=reason,
    )
    return new


def content_hash(session, bill):
    """sha256 over the bill's totals, price lists and every line, in a fixed order."""
    digest = hashlib.sha256()
    header = {
        "number": bill.number,
        "month": bill.month.isoformat(),
        "totals": [str(bill.usage), str(bill.service_fee), str(bill.adjustments)],
        "credits": str(bill.credits),
        "total": str(bill.total),
        "price_lists": bill.price_lists,
    }
    digest.update(json.dumps(header, sort_keys=True).encode())
    for line in lines_of(session, bill):
        digest.update(
            json.dumps(
                [
                    line.kind,
                    line.resource_id,
                    line.metric,
                    line.dimension,
                    line.sla_tier,
                    line.period_start.isoformat(),
                    line.quantity,
                    str(line.rate),
                    str(line.amount),
                    line.reason,
                ]
            ).encode()
        )
    return digest.hexdigest()


def unraced(run):
    """Run a change to a bill: another request's change to it in the meantime (its
    version moved under this one) is a Conflict, not a crash."""
    try:
        return run()
    except StaleDataError:
        raise Conflict(
            _l("This bill was changed by someone else meanwhile. Reload it and try again."),
            {"version": _l("Stale: reload the bill.")},
        ) from None


def _move(session, actor, bill, source, target, action, note=None):
    if bill.status != source:
        raise Conflict(
            _l(
                "Bill %(number)s is %(state)s; it must be %(needed)s for this.",
                number=bill.number,
                state=bill.state.label,
                needed=source.label,
            )
        )
    bill.status = target
    if target == BillState.UNDER_REVIEW:
        bill.submitted_by_id = actor.id
    session.flush()
    audit.record(
        session,
        actor,
        action,
        "bill",
        bill.id,
        agency_id=bill.agency_id,
        before={"status": source},
        after={"status": target},
        note=note,
    )


def _amount(value):
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise InvalidInput(
            _l("The amount is not a number."), {"amount": _l("A number, e.g. -120.50.")}
        ) from None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(
            _l("The amount has at most two decimal places."), {"amount": _l("Yuan and fen.")}
        )
    if amount == 0 or abs(amount) >= MAX_ADJUSTMENT:
        raise InvalidInput(
            _l("The amount must be non-zero and below 100,000,000."),
            {"amount": _l("Out of range.")},
        )
    return amount.quantize(Decimal("0.01"))


def _reason(reason):
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_l("A reason is required."), {"reason": _l("Required.")})
    if len(reason) > 1000:
        raise InvalidInput(
            _l("The reason is too long (1,000 characters at most)."), {"reason": _l("Too long.")}
        )
    return reason


def _require_finance(actor):
    if actor is None or not can_manage_bills(actor):
        raise Forbidden(_l("Only finance officers handle bills."))
