"""Cost pages: an agency's running month with its projection, budgets, price lists."""

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.billing.budgets import budget_status, set_budget
from portal.billing.charts import bar_chart
from portal.billing.estimates import rated_usage, running_cost
from portal.billing.forms import BudgetForm
from portal.billing.models import Budget
from portal.billing.ops_budget import ops_budget
from portal.billing.ops_budget_export import ops_budget_xlsx
from portal.billing.periods import BILLING_ZONE, FIRST_YEAR, LAST_YEAR, month_bounds, month_of
from portal.billing.permissions import can_manage_bills, can_view_billing
from portal.billing.prices import current_price_lists, price_list_history
from portal.core.db import utcnow
from portal.core.errors import DomainError
from portal.extensions import db
from portal.inventory.models import Resource
from portal.tenancy.models import Agency
from portal.tenancy.permissions import agency_scope
from portal.tenancy.vocabulary import BUSINESS_DOMAINS

bp = Blueprint("costs", __name__, url_prefix="/billing")


def _agency_for_page():
    """The agency asked for (if the user may see it), else the user's own."""
    if not (current_user.sees_all_agencies or current_user.is_agency_user):
        abort(403)
    agency_id = request.args.get("agency_id", type=int)
    agency = db.session.get(Agency, agency_id) if agency_id else current_user.agency
    if agency is None or not can_view_billing(current_user, agency):
        abort(404)
    return agency


@bp.get("/running")
@login_required
def running():
    agency = _agency_for_page()
    now = utcnow()
    cost = running_cost(db.session, agency, now)
    start, end = month_bounds(month_of(now))
    rated, _pieces = rated_usage(db.session, agency, start, end)
    per_resource = {}
    for line in rated:
        per_resource[line.resource_id] = per_resource.get(line.resource_id, 0) + line.amount
    names = dict(
        db.session.execute(
            select(Resource.id, Resource.name).where(Resource.id.in_(per_resource))
        ).all()
    )
    year = now.astimezone(BILLING_ZONE).year
    return render_template(
        "billing/running.html",
        agency=agency,
        cost=cost,
        month=month_of(now),
        resources=sorted(per_resource.items(), key=lambda item: item[1], reverse=True),
        names=names,
        budget=budget_status(db.session, agency, year, now),
    )


@bp.get("/budgets")
@login_required
def budgets():
    if not (current_user.sees_all_agencies or current_user.is_agency_user):
        abort(403)
    year = request.args.get("year", type=int)
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        year = utcnow().astimezone(BILLING_ZONE).year
    return _render_budgets(year, BudgetForm(year=year))


def _render_budgets(year, form, status=200):
    rows = db.session.scalars(
        select(Budget)
        .join(Agency, Agency.id == Budget.agency_id)
        .where(Budget.year == year, agency_scope(current_user, Budget.agency_id))
        .order_by(Agency.path)
    ).all()
    statuses = [budget_status(db.session, row.agency, year) for row in rows]
    return render_template(
        "billing/budgets.html",
        year=year,
        statuses=statuses,
        form=form,
        can_manage=can_manage_bills(current_user),
    ), status


@bp.post("/budgets")
@login_required
def save_budget():
    form = BudgetForm()
    if not form.validate_on_submit():
        return _render_budgets(form.year.data or utcnow().year, form, status=422)
    agency = db.session.scalar(select(Agency).where(Agency.code == form.agency_code.data.strip()))
    if agency is None:
        form.agency_code.errors.append(_l("No agency has this code."))
        return _render_budgets(form.year.data, form, status=422)
    try:
        set_budget(db.session, current_user, agency, form.year.data, form.amount.data)
    except DomainError as error:
        db.session.rollback()
        form.amount.errors.append(error.message)
        return _render_budgets(form.year.data, form, status=error.status)
    flash(_l("The budget of %(agency)s was saved.", agency=agency.name_zh), "success")
    return redirect(url_for("costs.budgets", year=form.year.data))


@bp.get("/prices")
@login_required
def prices():
    return render_template(
        "billing/prices.html",
        current=current_price_lists(db.session),
        history=price_list_history(db.session),
        now=utcnow(),
    )


@bp.get("/ops-budget")
@login_required
def ops_budget_page():
    """Next year's operations budget per business domain, both methods side by side."""
    year = request.args.get("year", type=int) or month_of(utcnow()).year + 1
    parameters, rows = ops_budget(db.session, current_user, year)
    charts = {
        method: bar_chart(
            [(BUSINESS_DOMAINS[row.domain], getattr(row.estimate, method)) for row in rows],
            title=str(title),
            limit=len(rows),
        )
        for method, title in (
            ("asset_amount", _l("Asset-proportion coefficient method")),
            ("workload_amount", _l("Workload method")),
        )
    }
    return render_template(
        "billing/ops_budget.html", year=year, rows=rows, parameters=parameters, charts=charts
    )


@bp.get("/ops-budget/export")
@login_required
def ops_budget_export():
    year = request.args.get("year", type=int) or month_of(utcnow()).year + 1
    _parameters, rows = ops_budget(db.session, current_user, year)
    data = ops_budget_xlsx(year, rows, str(get_locale()))
    return send_file(
        io.BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"ops-budget-{year}.xlsx",
    )
