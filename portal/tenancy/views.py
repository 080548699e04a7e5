"""Agency pages: the tree within the user's scope, one agency with its quotas."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from portal.core.errors import DomainError
from portal.extensions import db
from portal.orders.quota import headroom, subtree_usage
from portal.tenancy import service
from portal.tenancy.forms import QuotaForm
from portal.tenancy.permissions import can_manage_quotas, can_view_agency
from portal.tenancy.vocabulary import QUOTA_RESOURCES

bp = Blueprint("tenancy", __name__, url_prefix="/agencies")


@bp.get("/")
@login_required
def index():
    agencies = service.visible_agencies(db.session, current_user)
    query = (request.args.get("q") or "").strip()
    if query:
        agencies = [
            a for a in agencies if query.lower() in (a.name_zh + a.name_en + a.code).lower()
        ]
    return render_template("agencies/index.html", agencies=agencies, query=query)


def _render_detail(agency, form, errors=None, status=200, typed=None):
    return render_template(
        "agencies/detail.html",
        agency=agency,
        children=service.children(db.session, agency),
        usage=subtree_usage(db.session, agency),
        room=headroom(db.session, agency),
        limits={**agency.quota_limits(), **(typed or {})},
        form=form,
        errors=errors or {},
        can_manage=can_manage_quotas(current_user),
        parent_visible=agency.parent is not None and can_view_agency(current_user, agency.parent),
    ), status


@bp.get("/<int:agency_id>")
@login_required
def detail(agency_id):
    agency = service.get_visible_agency(db.session, current_user, agency_id)
    return _render_detail(agency, QuotaForm())


@bp.post("/<int:agency_id>/quotas")
@login_required
def set_quotas(agency_id):
    agency = service.get_visible_agency(db.session, current_user, agency_id)
    form = QuotaForm()
    if not form.validate_on_submit():
        return _render_detail(agency, form, status=400)
    raw = {name: request.form[name] for name in QUOTA_RESOURCES if name in request.form}
    try:
        service.set_quotas(db.session, current_user, agency.id, service.parse_quota_limits(raw))
    except DomainError as error:
        db.session.rollback()
        agency = service.get_visible_agency(db.session, current_user, agency_id)
        return _render_detail(agency, form, errors=error.fields, status=error.status, typed=raw)
    flash(_l("The quotas were saved."), "success")
    return redirect(url_for("tenancy.detail", agency_id=agency.id))
