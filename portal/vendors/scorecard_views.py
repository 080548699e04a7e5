"""Vendor scorecards (考核) with the expert review, their downloads, the SLA report and a
vendor's survey results; and the agency's rating of a fulfilled request.

Who sees what (anonymous: to the login page):
- scorecards, their downloads and the SLA report: the platform-wide roles see every
  vendor, a vendor's staff their own vendor's lines (the services filter); agency staff
  get 403. Expert reviews are entered by the platform operator only (others: 403).
- survey results, a vendor's or the platform team's own: as permissions.can_read_surveys
  (403), another vendor's: 404.
- rating a request: agency staff (others: 403), of their agency's requests (404), once
  fulfilled and once only (409), decided by surveys.rate.
A period is a month, a quarter or a year ("2026-10", "2026-Q4", "2026"), by default the
last month that ended; a bad one is shown on the page with 422."""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.accounts.models import User
from portal.billing.charts import bar_chart
from portal.billing.periods import month_of, previous_month
from portal.core.db import utcnow
from portal.core.errors import DomainError, InvalidInput, NotFound
from portal.core.form_errors import run_service
from portal.core.inputs import MAX_ID
from portal.extensions import db
from portal.incidents.reports import sla_report
from portal.orders import service as orders
from portal.orders.forms import ActionForm
from portal.orders.views import render_detail
from portal.tenancy.models import Agency
from portal.vendors import scorecard_exports, surveys
from portal.vendors.models import Vendor
from portal.vendors.permissions import can_read_scorecards, can_read_surveys, can_review_vendors
from portal.vendors.scorecard_forms import RatingForm, ReviewForm
from portal.vendors.scorecards import parse_period, scorecards, set_expert_review
from portal.vendors.service import get_vendor

bp = Blueprint("scorecards", __name__, url_prefix="/vendors")


@bp.before_request
@login_required
def _signed_in_only():
    """Each route checks its own readers below."""


@bp.app_context_processor
def _survey_readers():
    return {"may_read_surveys": can_read_surveys}


def _scorecard_readers_only():
    user = current_user
    if not (user.sees_all_agencies or can_read_scorecards(user, user.vendor_id)):
        abort(403)


def _language():
    return "zh_CN" if str(get_locale() or "zh").startswith("zh") else "en"


# ------------------------------------------------------------------ periods


def _last_ended_month():
    return previous_month(month_of(utcnow())).strftime("%Y-%m")


def _chosen_period():
    """(the Period asked for or the last ended month, None), or (None, the error)."""
    try:
        return parse_period(request.args.get("period") or _last_ended_month()), None
    except InvalidInput as error:
        return None, error


def _period_options(chosen):
    """[(group name, [(label, shown)])]: this month and the 12 before it, this quarter
    and the 4 before, this year and the 2 before; a chosen period outside them too."""
    month = month_of(utcnow())
    months, quarters = [month], [(month.year, (month.month - 1) // 3 + 1)]
    for _ in range(12):
        months.append(previous_month(months[-1]))
    for _ in range(4):
        year, quarter = quarters[-1]
        quarters.append((year - 1, 4) if quarter == 1 else (year, quarter - 1))
    groups = {
        "month": [each.strftime("%Y-%m") for each in months],
        "quarter": [f"{year}-Q{quarter}" for year, quarter in quarters],
        "year": [str(month.year - back) for back in range(3)],
    }
    if chosen:
        kind = "quarter" if "Q" in chosen else "month" if "-" in chosen else "year"
        if chosen not in groups[kind]:
            groups[kind] = sorted({*groups[kind], chosen}, reverse=True)
    language = _language()
    names = {"month": _l("Months"), "quarter": _l("Quarters"), "year": _l("Years")}
    return [
        (names[kind], [(label, scorecard_exports.period_text(label, language)) for label in labels])
        for kind, labels in groups.items()
    ]


def _page(template, period, error=None, status=200, **context):
    asked = period.label if period else request.args.get("period", "")[:10]
    return render_template(
        template,
        period=period,
        period_name=scorecard_exports.period_text(period.label, _language()) if period else asked,
        period_options=_period_options(period.label if period else None),
        error=error,
        **context,
    ), status


# ------------------------------------------------------------------ scorecards


def _weights():
    config = current_app.config
    return config["SCORECARD_WEIGHTS"], config["SCORECARD_BREACH_PENALTY"]


@bp.get("/scorecards")
def index():
    _scorecard_readers_only()
    period, error = _chosen_period()
    if error:
        return _page("vendors/scorecards.html", None, error, error.status)
    return _render_scorecards(period)


def _render_scorecards(period, review=None, status=200):
    """`review` is (vendor id, the refused form, the service's error or None)."""
    cards = scorecards(db.session, current_user, period)
    language = _language()
    chart = bar_chart(
        [(card.vendor.name(language), card.score) for card in cards],
        title=str(_l("Scores, best first")),
        unit="",
        limit=max(len(cards), 1),
        empty_text=str(_l("No score above 0 in this period.")),
    )
    weights, penalty = _weights()
    return _page(
        "vendors/scorecards.html",
        period,
        None,  # a refused review is shown on its vendor's row
        status,
        cards=cards,
        chart=chart,
        rule=scorecard_exports.rule_text(weights, penalty, language),
        formats=scorecard_exports.FORMATS,
        can_review=can_review_vendors(current_user),
        review=review,
        review_form=ReviewForm(formdata=None),
        reads_surveys=lambda vendor_id: can_read_surveys(current_user, vendor_id),
    )


@bp.post("/scorecards/review")
def review():
    if not can_review_vendors(current_user):
        abort(403)
    form = ReviewForm()
    vendor_id = form.vendor_id.data
    if not (isinstance(vendor_id, int) and 0 < vendor_id <= MAX_ID):
        raise NotFound(_l("No such vendor."))
    try:
        period = parse_period(form.period.data)
    except InvalidInput as error:
        return _page("vendors/scorecards.html", None, error, error.status)
    if not form.validate_on_submit():
        return _render_scorecards(period, (vendor_id, form, None), 422)
    _, error = run_service(
        form,
        lambda: set_expert_review(
            db.session, current_user, vendor_id, period.label, form.score.data, form.note.data
        ),
    )
    if error:
        return _render_scorecards(period, (vendor_id, form, error), error.status)
    vendor = db.session.get(Vendor, vendor_id)
    flash(
        _l(
            "The expert review of %(vendor)s for %(period)s was saved.",
            vendor=vendor.name(_language()),
            period=scorecard_exports.period_text(period.label, _language()),
        ),
        "success",
    )
    return redirect(url_for("scorecards.index", period=period.label) + f"#review-{vendor_id}")


@bp.get("/scorecards/export")
def export():
    _scorecard_readers_only()
    fmt = request.args.get("format", "")
    if fmt not in scorecard_exports.FORMATS:
        raise InvalidInput(_l("Download as XLSX or PDF."), {"format": "xlsx, pdf"})
    period, error = _chosen_period()
    if error:
        raise error
    cards = scorecards(db.session, current_user, period)
    data, mimetype, filename = scorecard_exports.export(
        fmt, cards, period, _language(), *_weights()
    )
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# ------------------------------------------------------------------ SLA report


@bp.get("/sla-report")
def sla():
    _scorecard_readers_only()
    period, error = _chosen_period()
    if error:
        return _page("vendors/sla_report.html", None, error, error.status)
    try:
        lines = sla_report(db.session, current_user, period)
    except DomainError as error:  # e.g. no SLA definition in effect then
        return _page("vendors/sla_report.html", period, error, error.status)
    vendors = _by_id(Vendor, {line.vendor_id for line in lines} - {None})
    agencies = _by_id(Agency, {line.agency_id for line in lines})
    return _page(
        "vendors/sla_report.html",
        period,
        lines=lines,
        vendors=vendors,
        agencies=agencies,
        breaches=sum(line.breaches for line in lines),
        incidents=sum(line.incidents for line in lines),
    )


def _by_id(model, ids):
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


# ------------------------------------------------------------------ survey results


@bp.get("/<int:vendor_id>/surveys")
def vendor_surveys(vendor_id):
    vendor = get_vendor(db.session, current_user, vendor_id)  # agency staff 403, others' 404
    return _survey_page(vendor)


@bp.get("/platform/surveys")
def platform_surveys():
    """The ratings of the platform team's own service: fulfilled requests, and incidents
    of self-operated agencies."""
    return _survey_page(None)


def _survey_page(vendor):
    vendor_id = vendor.id if vendor is not None else None
    if not can_read_surveys(current_user, vendor_id):
        abort(403)
    period, error = _chosen_period()
    if error:
        return _page("vendors/surveys.html", None, error, error.status, vendor=vendor)
    results = surveys.survey_results(db.session, current_user, vendor_id, period.start, period.end)
    raters = _by_id(User, {who for _, _, _, who in results.comments} - {None})
    dist = results.distribution
    peak = max(dist.values())
    return _page(
        "vendors/surveys.html",
        period,
        vendor=vendor,
        results=results,
        raters=raters,
        # Bar lengths in percent of the most frequent score.
        shares={score: count * 100 // peak if peak else 0 for score, count in dist.items()},
    )


# ------------------------------------------------------------------ rating a request


@bp.post("/surveys/order/<int:order_id>")
def rate_order(order_id):
    if not current_user.is_agency_user:
        abort(403)
    form = RatingForm()
    if not form.validate_on_submit():
        return _order_page(order_id, form, None, 422)
    _, error = run_service(
        form,
        lambda: surveys.rate(
            db.session,
            current_user,
            score=form.score.data,
            comment=form.comment.data,
            order_id=order_id,
        ),
    )
    if error:
        return _order_page(order_id, form, error, error.status)
    flash(_l("Thank you: your rating was saved."), "success")
    return redirect(url_for("orders.detail", order_id=order_id) + "#rating")


def _order_page(order_id, form, error, status):
    """The order's page again, the rating refused on its card; an order the user may not
    see is 404 here as everywhere."""
    order = orders.get_order(db.session, current_user, order_id)
    page = render_detail(order, ActionForm(version=order.version), rating_form=form,
                         rating_error=error)  # fmt: skip
    return page, status
