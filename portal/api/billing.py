"""Billing: price lists, metered usage, monthly bills and their exports, finance's work on
bills, running costs and budgets.

Who sees what is the pages' rule: an agency's staff see the costs of their agency's
subtree, the platform-wide roles see every agency's, and only finance officers change
anything. Price lists are public to every user; vendors see no costs (403).
"""

from dataclasses import dataclass
from decimal import Decimal

from flask import Response
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy import select

from billing.exports import MIMETYPES, export
from portal.api.base import Blueprint, actor, authenticate_request
from portal.api.billing_schemas import (
    FIRST_YEAR,
    LAST_YEAR,
    AdjustmentIn,
    BillActionIn,
    BillDetailOut,
    BillList,
    BillListArgs,
    BillOut,
    BudgetIn,
    BudgetOut,
    ExportArgs,
    GenerateIn,
    GenerateOut,
    LineArgs,
    MonthsOut,
    OpsBudgetArgs,
    OpsBudgetRowOut,
    PriceListOut,
    PriceListRevisionOut,
    ReasonIn,
    RunningCostOut,
    UsageArgs,
    UsagePage,
    load_month,
)
from portal.billing import service
from portal.billing.budgets import budget_status, set_budget
from portal.billing.documents import bill_document, month_document
from portal.billing.estimates import running_cost
from portal.billing.models import Bill
from portal.billing.ops_budget import ops_budget
from portal.billing.periods import month_of
from portal.billing.permissions import can_manage_bills
from portal.billing.prices import current_price_lists, price_list_history
from portal.billing.usage import bill_lines, require_billing_viewer, usage_for, visible_agency
from portal.core.db import utcnow
from portal.core.errors import Conflict, Forbidden, InvalidInput
from portal.extensions import db
from portal.tenancy.models import Agency

blp = Blueprint(
    "api_billing",
    __name__,
    url_prefix="/api/v1/billing",
    description="Prices, usage, bills and their exports, running costs and budgets",
)
blp.before_request(authenticate_request)

FILE_RESPONSE = {
    "200": {
        "description": "The file, as an attachment: CSV (UTF-8 with a BOM), XLSX or PDF",
        "content": {
            mimetype.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
            for mimetype in MIMETYPES.values()
        },
    }
}


# -- prices: every user -------------------------------------------------------------------


@blp.get("/ops-budget")
@blp.arguments(OpsBudgetArgs, location="query")
@blp.response(200, OpsBudgetRowOut(many=True))
def operations_budget(args):
    """Next year's operations budget per business domain, by the asset-proportion
    coefficient method and the workload method (finance and the platform team)."""
    return ops_budget(db.session, actor(), args["year"])[1]


@blp.get("/prices")
@blp.response(200, PriceListOut(many=True))
def prices():
    """The price list revisions in force, by effective date."""
    return current_price_lists(db.session)


@blp.get("/prices/history")
@blp.response(200, PriceListRevisionOut(many=True))
def price_history():
    """Every revision ever loaded, newest first, with who loaded it and why: what an old
    bill's `price_lists` refer to."""
    return price_list_history(db.session)


# -- usage and bills: the caller's agencies -------------------------------------------------


@blp.get("/usage")
@blp.arguments(UsageArgs, location="query")
@blp.response(200, UsagePage)
def usage(args):
    """The month's metered usage per resource, metric, dimension and SLA tier, of every
    agency the caller may see, or of `agency_id` and the agencies under it."""
    rows, total = usage_for(
        db.session,
        actor(),
        args["month"],
        args.get("agency_id"),
        page=args["page"],
        per_page=args["per_page"],
    )
    return {
        "month": args["month"],
        "agency_id": args.get("agency_id"),
        "total": total,
        "page": args["page"],
        "per_page": args["per_page"],
        "usage": rows,
    }


@blp.get("/months")
@blp.response(200, MonthsOut)
def months():
    """The months with bills the caller may see, newest first."""
    require_billing_viewer(actor())
    return {"months": service.bill_months(db.session, actor())}


@blp.get("/bills")
@blp.arguments(BillListArgs, location="query")
@blp.response(200, BillList)
def bills(args):
    """The month's current bills (the latest revision of each) the caller may see, in
    agency tree order, and their total."""
    require_billing_viewer(actor())
    found = service.bills_for(db.session, actor(), args["month"])
    total = sum((bill.total for bill in found), Decimal(0))
    return {"month": args["month"], "total": total, "bills": found}


@dataclass(frozen=True)
class BillDetail:
    """A bill with what its detail adds; everything else is the bill's own."""

    bill: Bill
    subtree_total: Decimal
    lines: dict

    def __getattr__(self, name):
        return getattr(self.bill, name)


@blp.get("/bills/<int:bill_id>")
@blp.arguments(LineArgs, location="query")
@blp.response(200, BillDetailOut)
def bill(args, bill_id):
    """A bill: header, totals, the price lists it was rated with, the total of its
    agency's subtree, and a page of its lines."""
    found = _visible_bill(bill_id)
    lines, count = bill_lines(
        db.session, found, kinds=args.get("kind"), page=args["page"], per_page=args["per_page"]
    )
    page = {"total": count, "page": args["page"], "per_page": args["per_page"], "lines": lines}
    return BillDetail(found, service.subtree_total(db.session, found), page)


@blp.get("/bills/<int:bill_id>/export")
@blp.arguments(ExportArgs, location="query")
@blp.doc(responses=FILE_RESPONSE)
def export_bill(args, bill_id):
    """The bill as a file, in the language asked for (else the request's)."""
    found = _visible_bill(bill_id)
    language = args.get("language") or _language()
    document = bill_document(db.session, found, language)
    return _download(*export("bill", args["fmt"], document, language))


@blp.get("/months/<month>/export")
@blp.arguments(ExportArgs, location="query")
@blp.doc(responses=FILE_RESPONSE)
def export_month(args, month):
    """The month's bills the caller may see, with the month before, as a file."""
    require_billing_viewer(actor())
    try:
        month = load_month(month)
    except ValidationError as error:
        raise InvalidInput(" ".join(error.messages), {"month": " ".join(error.messages)}) from None
    language = args.get("language") or _language()
    document = month_document(db.session, actor(), month, language)
    return _download(*export("month", args["fmt"], document, language))


# -- finance's work on bills ---------------------------------------------------------------


@blp.post("/bills/generate")
@blp.arguments(GenerateIn)
@blp.response(200, GenerateOut)
def generate(data):
    """Make the month's draft bills, or make the drafts again; bills under review or
    finalized are left as they are. Finance officers only."""
    if not can_manage_bills(actor()):
        raise Forbidden(_l("Only finance officers handle bills."))
    agency_ids = None
    if "agency_codes" in data:
        agency_ids = _agency_ids(data["agency_codes"])
    report = service.generate_bills(db.session, actor(), data["month"], agency_ids=agency_ids)
    return {
        "month": data["month"],
        "created": len(report.created),
        "regenerated": len(report.regenerated),
        "skipped": len(report.skipped),
        "bills": sorted(report.created + report.regenerated, key=lambda each: each.agency.path),
    }


@blp.post("/bills/<int:bill_id>/submit")
@blp.arguments(BillActionIn)
@blp.response(200, BillOut)
def submit(data, bill_id):
    """A draft goes under review."""
    found = _bill_to_change(bill_id, data)
    service.unraced(lambda: service.submit_for_review(db.session, actor(), found))
    return found


@blp.post("/bills/<int:bill_id>/return")
@blp.arguments(ReasonIn)
@blp.response(200, BillOut)
def return_to_draft(data, bill_id):
    """A bill under review goes back to draft, with the reason."""
    found = _bill_to_change(bill_id, data)
    service.unraced(lambda: service.return_to_draft(db.session, actor(), found, data["reason"]))
    return found


@blp.post("/bills/<int:bill_id>/adjust")
@blp.arguments(AdjustmentIn)
@blp.response(200, BillOut)
def adjust(data, bill_id):
    """Add an adjustment line (negative for a discount) to a bill not yet finalized."""
    found = _bill_to_change(bill_id, data)
    service.unraced(
        lambda: service.adjust(
            db.session,
            actor(),
            found,
            data["amount"],
            data["reason"],
            resource_id=data.get("resource_id"),
        )
    )
    return found


@blp.post("/bills/<int:bill_id>/finalize")
@blp.arguments(BillActionIn)
@blp.response(200, BillOut)
def finalize(data, bill_id):
    """Finalize a bill under review: by a finance officer who did not adjust it."""
    found = _bill_to_change(bill_id, data)
    service.unraced(lambda: service.finalize(db.session, actor(), found))
    return found


@blp.post("/bills/<int:bill_id>/reissue")
@blp.arguments(ReasonIn)
@blp.response(201, BillOut)
def reissue(data, bill_id):
    """A new draft revision of a finalized bill, re-rated, with its adjustments; it
    replaces the old one once finalized."""
    found = _bill_to_change(bill_id, data)
    return service.unraced(lambda: service.reissue(db.session, actor(), found, data["reason"]))


# -- running costs and budgets -------------------------------------------------------------


@blp.get("/agencies/<int:agency_id>/running")
@blp.response(200, RunningCostOut)
def running(agency_id):
    """The current month so far for the agency's own resources, and its projection."""
    agency = visible_agency(db.session, actor(), agency_id)
    now = utcnow()
    cost = running_cost(db.session, agency, now=now)
    return {
        "agency_id": agency.id,
        "month": month_of(now),
        "usage": cost.usage,
        "service_fee": cost.service_fee,
        "total": cost.total,
        "metered_until": cost.metered_until,
        "projected": cost.projected,
    }


@blp.get("/agencies/<int:agency_id>/budgets/<int:year>")
@blp.response(200, BudgetOut)
def budget(agency_id, year):
    """The agency's budget for the year (its whole subtree) and what has been spent."""
    agency = visible_agency(db.session, actor(), agency_id)
    return budget_status(db.session, agency, _year(year))


@blp.put("/agencies/<int:agency_id>/budgets/<int:year>")
@blp.arguments(BudgetIn)
@blp.response(200, BudgetOut)
def put_budget(data, agency_id, year):
    """Set the agency's budget for the year. Finance officers only."""
    agency = visible_agency(db.session, actor(), agency_id)
    set_budget(db.session, actor(), agency, _year(year), data["amount"])
    return budget_status(db.session, agency, year)


# -- helpers ------------------------------------------------------------------------------


def _visible_bill(bill_id):
    require_billing_viewer(actor())
    return service.get_bill(db.session, actor(), bill_id)


def _bill_to_change(bill_id, data):
    found = _visible_bill(bill_id)
    expected = data.get("expected_version")
    if expected is not None and expected != found.version:
        raise Conflict(
            _l("This bill changed since you read it. Reload it and try again."),
            {"version": _l("Stale: reload the bill.")},
        )
    return found


def _agency_ids(codes):
    rows = db.session.execute(select(Agency.code, Agency.id).where(Agency.code.in_(codes)))
    found = {code: agency_id for code, agency_id in rows}
    unknown = sorted(set(codes) - set(found))
    if unknown:
        raise InvalidInput(
            _l("No such agencies: %(codes)s", codes=", ".join(unknown)),
            {"agency_codes": ", ".join(unknown)},
        )
    return [found[code] for code in dict.fromkeys(codes)]


def _year(year):
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(_l("That is not a year."), {"year": _l("For example 2026")})
    return year


def _language():
    return "zh_CN" if str(get_locale() or "zh").startswith("zh") else "en"


def _download(data, mimetype, filename):
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
