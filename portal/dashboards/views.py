"""The operations overview page (运维概览): GET /operations?month=YYYY-MM.

Who sees it is permissions.can_view_operations (anonymous: to the login page; agency
staff and accounts without a platform or vendor role: 403); what they see is scoped by
figures.operations_dashboard. The month defaults to the current one (Asia/Shanghai); a
bad one is shown on the page with 422. The navigation offers the page to its readers."""

from flask import Blueprint, abort, render_template, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from portal.billing.charts import bar_chart
from portal.billing.periods import month_of, parse_month, previous_month
from portal.core.db import utcnow
from portal.core.errors import InvalidInput
from portal.dashboards.figures import operations_dashboard
from portal.dashboards.permissions import can_view_operations
from portal.extensions import db
from portal.incidents.display import clock_views
from portal.inventory.permissions import can
from portal.inventory.states import RESOURCE_KINDS
from portal.vendors.eligibility import today
from portal.vendors.scorecard_exports import period_text

bp = Blueprint("dashboards", __name__)
MONTHS_OFFERED = 13  # this month and the twelve before


@bp.app_context_processor
def _helpers():
    # The navigation of every page offers the overview to those who may read it.
    return {"may_view_operations": can_view_operations}


def _language():
    return "zh_CN" if str(get_locale() or "zh").startswith("zh") else "en"


def kind_label(kind):
    return str(RESOURCE_KINDS.get(kind, kind))


def _month_options(current, chosen):
    """[(YYYY-MM, shown)], newest first: the months offered, and the chosen one."""
    months = [current]
    for _ in range(MONTHS_OFFERED - 1):
        months.append(previous_month(months[-1]))
    if chosen is not None and chosen not in months:
        months = sorted({*months, chosen}, reverse=True)
    language = _language()
    return [(m.strftime("%Y-%m"), period_text(m.strftime("%Y-%m"), language)) for m in months]


@bp.get("/operations")
@login_required
def operations():
    if not can_view_operations(current_user):
        abort(403)
    now = utcnow()
    current = month_of(now)
    asked = request.args.get("month")
    try:
        month = parse_month(asked) if asked else current
    except InvalidInput as error:
        return render_template(
            "dashboards/operations.html",
            board=None,
            error=error,
            month_options=_month_options(current, None),
            chosen=None,
            month_name=str(asked)[:20],
        ), error.status
    board = operations_dashboard(db.session, current_user, month, now)
    label = month.strftime("%Y-%m")
    return render_template(
        "dashboards/operations.html",
        board=board,
        error=None,
        month_options=_month_options(current, month),
        chosen=label,
        month_name=period_text(label, _language()),
        weak_from=period_text(board.weak_from.strftime("%Y-%m"), _language()),
        charts=_charts(board),
        risks=[(risk, clock_views(risk.incident, now)) for risk in board.at_risk],
        kind_label=kind_label,
        today=today(now),
        resource_visible=lambda resource: can(current_user, resource, "view"),
    )


def _charts(board):
    language = _language()
    empty = str(_l("No incidents in this period."))
    platform = board.vendor_id is None
    rates = board.kind_rates if platform else board.vendor_rates
    charts = {
        "kinds": bar_chart(
            [(kind_label(r.kind), r.rate) for r in rates if r.rate is not None],
            title=str(_l("Failure rate by resource class")),
            unit="%",
            limit=max(len(rates), 1),
            empty_text=empty,
        ),
        "weak": bar_chart(
            [(kind_label(count.subject), count.incidents) for count in board.weak_kinds],
            title=str(_l("Incidents by resource class")),
            unit="",
            limit=max(len(board.weak_kinds), 1),
            empty_text=empty,
            places=0,
        ),
    }
    if platform:
        charts["vendors"] = bar_chart(
            [(r.vendor.name(language), r.rate) for r in board.vendor_totals if r.rate is not None],
            title=str(_l("Failure rate by vendor")),
            unit="%",
            limit=max(len(board.vendor_totals), 1),
            empty_text=empty,
        )
    return charts
