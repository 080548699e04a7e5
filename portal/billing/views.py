"""Bill pages: a month's bills with charts, one bill with its subtotals and lines, the
hours behind a resource's lines, finance's actions, and the exports."""

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from billing.exports import FORMATS, export
from portal.billing import service
from portal.billing.charts import bar_chart, share_chart, trend_chart
from portal.billing.documents import bill_document, month_document
from portal.billing.forms import AdjustmentForm, BillActionForm, GenerateForm, ReasonForm
from portal.billing.metering import last_ended_hour
from portal.billing.overview import (
    application_subtotals,
    month_overview,
    resource_hours,
    resource_subtotals,
    trend,
)
from portal.billing.periods import month_of, parse_month, previous_month
from portal.billing.permissions import can_manage_bills
from portal.core.errors import DomainError
from portal.extensions import db
from portal.tenancy.models import Agency
from portal.tenancy.vocabulary import AGENCY_KINDS, BUSINESS_DOMAINS

bp = Blueprint("billing", __name__, url_prefix="/billing")

LINES_PER_PAGE = 200
YUAN = _l("yuan")


def _language():
    return "zh_CN" if str(get_locale() or "zh").startswith("zh") else "en"


def _billable(user):
    """Costs are for agency staff and the platform-wide roles; vendors are not billed."""
    if not (user.sees_all_agencies or user.is_agency_user):
        abort(403)


def _chosen_month():
    """The month asked for, else the latest with bills, else the last one that ended."""
    if request.args.get("month"):
        return parse_month(request.args["month"])
    months = service.bill_months(db.session, current_user)
    return months[0] if months else previous_month(month_of(last_ended_hour()))


@bp.get("/")
@login_required
def index():
    _billable(current_user)
    try:
        month = _chosen_month()
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("billing.index"))
    overview = month_overview(db.session, current_user, month)
    label = _language()
    charts = {
        "trend": trend_chart(
            [(f"{each:%Y-%m}", total) for each, total in trend(db.session, current_user, month)],
            title=_l("Monthly total, last 12 months"),
            unit=str(YUAN),
            empty_text=_l("No bills yet"),
        ),
        "top": bar_chart(
            [(bill.agency.name(label), bill.total) for bill in overview.top if bill.total],
            title=_l("Top consumers"),
            unit=str(YUAN),
            empty_text=_l("No bills yet"),
        ),
        "kinds": share_chart(
            [(str(AGENCY_KINDS[kind]), total) for kind, total in overview.by_kind.items()],
            title=_l("By agency kind"),
            unit=str(YUAN),
            empty_text=_l("No bills yet"),
        ),
        "domains": share_chart(
            [
                (str(BUSINESS_DOMAINS[domain]), total)
                for domain, total in overview.by_domain.items()
            ],
            title=_l("By business domain"),
            unit=str(YUAN),
            empty_text=_l("No bills yet"),
        ),
    }
    return render_template(
        "billing/index.html",
        overview=overview,
        charts=charts,
        months=_recent_months(),
        formats=FORMATS,
        generate_form=GenerateForm(month=f"{month:%Y-%m}"),
        can_manage=can_manage_bills(current_user),
    )


@bp.post("/generate")
@login_required
def generate():
    if not can_manage_bills(current_user):
        abort(403)
    form = GenerateForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        month = parse_month(form.month.data)
        report = service.generate_bills(db.session, current_user, month)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("billing.index", month=form.month.data))
    flash(
        _l(
            "%(created)s bills made, %(remade)s drafts remade, %(skipped)s under review or "
            "finalized left as they were.",
            created=len(report.created),
            remade=len(report.regenerated),
            skipped=len(report.skipped),
        ),
        "success",
    )
    return redirect(url_for("billing.index", month=f"{month:%Y-%m}"))


@bp.get("/<month>/export.<fmt>")
@login_required
def export_month(month, fmt):
    _billable(current_user)
    if fmt not in FORMATS:
        abort(404)
    document = month_document(db.session, current_user, parse_month(month), _language())
    return _download(*export("month", fmt, document, _language()))


@bp.get("/bills/<int:bill_id>")
@login_required
def bill(bill_id):
    _billable(current_user)
    return _render_bill(service.get_bill(db.session, current_user, bill_id))


def _render_bill(bill, *, error=None, adjust_form=None, reason_form=None, status=200):
    page = max(request.args.get("page", 1, type=int), 1)
    lines = list(service.lines_of(db.session, bill))
    resources = resource_subtotals(db.session, bill)
    has_children = db.session.scalar(
        select(Agency.id).where(Agency.parent_id == bill.agency_id).limit(1)
    )
    revisions = db.session.scalars(
        select(service.Bill)
        .where(service.Bill.agency_id == bill.agency_id, service.Bill.month == bill.month)
        .order_by(service.Bill.revision)
    ).all()
    return render_template(
        "billing/bill.html",
        bill=bill,
        lines=lines[(page - 1) * LINES_PER_PAGE : page * LINES_PER_PAGE],
        line_count=len(lines),
        page=page,
        per_page=LINES_PER_PAGE,
        resources=resources,
        applications=application_subtotals(resources),
        subtree_total=service.subtree_total(db.session, bill) if has_children else None,
        revisions=revisions,
        formats=FORMATS,
        can_manage=can_manage_bills(current_user),
        action_form=BillActionForm(),
        adjust_form=adjust_form or AdjustmentForm(),
        reason_form=reason_form or ReasonForm(),
        error=error,
    ), status


@bp.get("/bills/<int:bill_id>/export.<fmt>")
@login_required
def export_bill(bill_id, fmt):
    _billable(current_user)
    if fmt not in FORMATS:
        abort(404)
    bill = service.get_bill(db.session, current_user, bill_id)
    document = bill_document(db.session, bill, _language())
    return _download(*export("bill", fmt, document, _language()))


@bp.get("/bills/<int:bill_id>/resources/<int:resource_id>")
@login_required
def resource_detail(bill_id, resource_id):
    _billable(current_user)
    bill = service.get_bill(db.session, current_user, bill_id)
    resource, hours = resource_hours(db.session, current_user, bill, resource_id)
    lines = [line for line in service.lines_of(db.session, bill) if line.resource_id == resource_id]
    return render_template(
        "billing/resource.html", bill=bill, resource=resource, hours=hours, lines=lines
    )


@bp.post("/bills/<int:bill_id>/adjust")
@login_required
def adjust(bill_id):
    _billable(current_user)
    bill = service.get_bill(db.session, current_user, bill_id)
    form = AdjustmentForm()
    if not form.validate_on_submit():
        return _render_bill(bill, adjust_form=form, status=422)
    return _act(
        bill,
        lambda: service.adjust(
            db.session,
            current_user,
            bill,
            form.amount.data,
            form.reason.data,
            resource_id=form.resource_id.data,
        ),
        _l("The adjustment was added."),
        adjust_form=form,
    )


@bp.post("/bills/<int:bill_id>/<action>")
@login_required
def act(bill_id, action):
    _billable(current_user)
    bill = service.get_bill(db.session, current_user, bill_id)
    if action in ("submit", "finalize"):
        form = BillActionForm()
        if not form.validate_on_submit():
            abort(400)
        run = {
            "submit": lambda: service.submit_for_review(db.session, current_user, bill),
            "finalize": lambda: service.finalize(db.session, current_user, bill),
        }[action]
        done = {"submit": _l("Sent for review."), "finalize": _l("The bill is finalized.")}
        return _act(bill, run, done[action])
    if action in ("return", "reissue"):
        form = ReasonForm()
        if not form.validate_on_submit():
            return _render_bill(bill, reason_form=form, status=422)
        if action == "return":
            return _act(
                bill,
                lambda: service.return_to_draft(db.session, current_user, bill, form.reason.data),
                _l("The bill is a draft again."),
                reason_form=form,
            )
        return _act(
            bill,
            lambda: service.reissue(db.session, current_user, bill, form.reason.data),
            _l("A new revision was made as a draft."),
            reason_form=form,
        )
    abort(404)


def _act(bill, run, done, **forms):
    bill_id = bill.id
    try:
        result = service.unraced(run)
    except DomainError as error:
        db.session.rollback()
        bill = service.get_bill(db.session, current_user, bill_id)
        return _render_bill(bill, error=error, status=error.status, **forms)
    flash(done, "success")
    target = result.id if isinstance(result, service.Bill) else bill_id
    return redirect(url_for("billing.bill", bill_id=target))


def _download(data, mimetype, filename):
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _recent_months():
    month = previous_month(month_of(last_ended_hour()))
    months = [month]
    for _ in range(11):
        months.append(previous_month(months[-1]))
    return months
