"""Agency pages: the tree within the user's scope, one agency with its quotas, and
the platform team's forms to add an agency and change its profile."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from portal.core.errors import DomainError
from portal.core.form_errors import run_service
from portal.extensions import db
from portal.orders.quota import headroom, subtree_usage
from portal.tenancy import onboarding, service
from portal.tenancy.forms import AgencyProfileForm, NewAgencyForm, QuotaForm
from portal.tenancy.permissions import can_manage_agencies, can_manage_quotas, can_view_agency
from portal.tenancy.vocabulary import CHILD_KINDS, QUOTA_RESOURCES

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
    return render_template(
        "agencies/index.html",
        agencies=agencies,
        query=query,
        can_manage=can_manage_agencies(current_user),
    )


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
        can_change=can_manage_agencies(current_user),
        takes_children=bool(CHILD_KINDS[agency.kind]),
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


def _require_manager():
    if not can_manage_agencies(current_user):
        abort(403)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    _require_manager()
    parents = [
        agency
        for agency in service.visible_agencies(db.session, current_user)
        if CHILD_KINDS[agency.kind]
    ]
    parent_id = request.args.get("parent", 0, type=int)
    # What usually sits under the parent asked for: communities under a town.
    kinds = {agency.id: agency.kind for agency in parents}
    form = NewAgencyForm(
        parent_id=parent_id, kind="community" if kinds.get(parent_id) == "town" else "bureau"
    )
    form.parent_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(agency.id, f"{agency.code} · {agency.name(get_locale())}")
        for agency in parents
    ]
    if form.validate_on_submit():
        agency, _error = run_service(
            form,
            lambda: onboarding.add_agency(
                db.session,
                current_user,
                parent_id=form.parent_id.data or None,
                code=form.code.data,
                name_zh=form.name_zh.data,
                name_en=form.name_en.data,
                kind=form.kind.data,
                domain=form.domain.data,
                mode=form.outsourcing_mode.data,
            ),
        )
        if agency is not None:
            flash(_l("The agency %(code)s was added.", code=agency.code), "success")
            return redirect(url_for("tenancy.detail", agency_id=agency.id))
    status = 422 if request.method == "POST" else 200
    return render_template("agencies/edit.html", form=form, agency=None), status


@bp.route("/<int:agency_id>/edit", methods=["GET", "POST"])
@login_required
def edit(agency_id):
    agency = service.get_visible_agency(db.session, current_user, agency_id)
    _require_manager()
    form = AgencyProfileForm(obj=agency)
    if form.validate_on_submit():
        changed, _error = run_service(
            form,
            lambda: onboarding.change_agency(
                db.session,
                current_user,
                agency.id,
                **{name: form[name].data for name in onboarding.PROFILE},
            ),
        )
        if changed is not None:
            flash(_l("The agency was saved."), "success")
            return redirect(url_for("tenancy.detail", agency_id=agency_id))
        agency = service.get_visible_agency(db.session, current_user, agency_id)
    status = 422 if request.method == "POST" else 200
    return render_template("agencies/edit.html", form=form, agency=agency), status
