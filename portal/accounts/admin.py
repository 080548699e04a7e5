"""User administration, for administrators: domain rules live in accounts.service."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from wtforms.fields.choices import SelectChoice

from portal.accounts import service
from portal.accounts.forms import ResetPasswordForm, UserForm
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.core.errors import DomainError
from portal.core.form_errors import run_service
from portal.core.inputs import page_number
from portal.core.paging import page_of
from portal.extensions import db
from portal.tenancy.models import Agency
from portal.vendors.models import Vendor

bp = Blueprint("users", __name__, url_prefix="/admin/users")
PER_PAGE = 50


@bp.before_request
@login_required
def _administrators_only():
    if not current_user.has_role(Role.ADMIN):
        abort(403)


def _choices(form):
    agencies = db.session.scalars(select(Agency).order_by(Agency.path)).all()
    form.agency_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(agency.id, f"{agency.code} · {agency.name_zh}") for agency in agencies
    ]
    vendors = db.session.scalars(select(Vendor).order_by(Vendor.code)).all()
    form.vendor_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(vendor.id, f"{vendor.code} · {vendor.name_zh}") for vendor in vendors
    ]


@bp.get("/")
def index():
    query = select(User)
    text = (request.args.get("q") or "").strip()
    if text:
        like = f"%{text}%"
        query = query.where(or_(User.username.ilike(like), User.display_name.ilike(like)))
    page = page_number(request.args.get("page"))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    users = db.session.scalars(page_of(query.order_by(User.username), page, PER_PAGE)).all()
    return render_template(
        "users/index.html", users=users, total=total, page=page, per_page=PER_PAGE, query=text
    )


def _save(form, user=None):
    """Create or update from the form; form errors for what the service refuses."""
    values = {
        "display_name": form.display_name.data.strip(),
        "email": (form.email.data or "").strip() or None,
        "roles": form.roles.data,
        "agency_id": form.agency_id.data or None,
        "vendor_id": form.vendor_id.data or None,
    }
    try:
        if user is None:
            return service.create_user(
                db.session,
                current_user,
                username=form.username.data,
                password=form.password.data,
                **values,
            )
        return service.update_user(
            db.session, current_user, user.id, enabled=form.enabled.data, **values
        )
    except DomainError as error:
        db.session.rollback()
        for name, reason in error.fields.items():
            getattr(form, name, form.username).errors.append(reason)
        if not error.fields:
            form.username.errors.append(error.message)
        return None


@bp.route("/new", methods=["GET", "POST"])
def create():
    form = UserForm(enabled=True)
    _choices(form)
    if form.validate_on_submit():
        user = _save(form)
        if user is not None:
            flash(_l("The user %(name)s was created.", name=user.username), "success")
            return redirect(url_for("users.index", q=user.username))
    status = 422 if request.method == "POST" else 200
    return render_template("users/edit.html", form=form, user=None), status


@bp.route("/<int:user_id>", methods=["GET", "POST"])
def edit(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    form = _user_form(user)
    if form.validate_on_submit() and _save(form, user) is not None:
        flash(_l("The user %(name)s was saved.", name=user.username), "success")
        return redirect(url_for("users.index", q=user.username))
    status = 422 if request.method == "POST" else 200
    reset_form = ResetPasswordForm(formdata=None)
    return render_template("users/edit.html", form=form, user=user, reset_form=reset_form), status


def _user_form(user):
    # Not obj=user: its None agency and vendor would win over the "—" (0) given here.
    form = UserForm(
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        roles=[role.value for role in user.roles],
        agency_id=user.agency_id or 0,
        vendor_id=user.vendor_id or 0,
        enabled=user.is_enabled,
    )
    _choices(form)
    return form


@bp.post("/<int:user_id>/password")
def reset_password(user_id):
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    reset_form = ResetPasswordForm()
    error = None
    if reset_form.validate_on_submit():
        _, error = run_service(
            reset_form,
            lambda: service.reset_password(
                db.session, current_user, user_id, reset_form.password.data
            ),
        )
        if error is None:
            flash(
                _l(
                    "The password of %(name)s was reset: tell them the temporary password in "
                    "person; they choose their own at the next login.",
                    name=user.username,
                ),
                "success",
            )
            return redirect(url_for("users.edit", user_id=user_id))
        user = db.session.get(User, user_id)
    page = render_template(
        "users/edit.html",
        form=_user_form(user),
        user=user,
        reset_form=reset_form,
        reset_error=error,
    )
    return page, error.status if error else 422
