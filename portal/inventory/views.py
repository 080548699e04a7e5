"""Resource pages: the list, one resource with its history and actions, the
credentials shown once, and the live progress of operations."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from portal.billing.estimates import resource_cost
from portal.billing.permissions import can_view_billing
from portal.core.errors import DomainError
from portal.core.inputs import page_number
from portal.extensions import db
from portal.incidents.availability import monthly_availability
from portal.inventory import service
from portal.inventory.forms import LeaseExtensionForm, ResourceActionForm
from portal.inventory.leases import lease_of
from portal.inventory.permissions import can
from portal.inventory.states import ResourceState
from portal.orders.changes import request_lease_extension, request_resize
from portal.provisioning.service import get_operation

bp = Blueprint("inventory", __name__)

STARTED = _l("The operation was started; its progress shows below.")


@bp.get("/resources/")
@login_required
def index():
    state = request.args.get("state") or None
    if state and state not in set(ResourceState):
        state = None
    page = page_number(request.args.get("page"))
    resources, total = service.list_resources(db.session, current_user, state=state, page=page)
    return render_template(
        "resources/index.html",
        resources=resources,
        total=total,
        page=page,
        state=state,
        per_page=50,
    )


def _render_detail(resource, form, error=None, secret=None, status=200, lease_form=None):
    return render_template(
        "resources/detail.html",
        resource=resource,
        form=form,
        lease=lease_of(resource),
        lease_form=lease_form or LeaseExtensionForm(),
        error=error,
        secret=secret,
        operations=service.operations_of(db.session, resource),
        actions=service.allowed_actions(db.session, current_user, resource),
        may_reveal=resource.sealed_secret is not None
        and can(current_user, resource, "reveal_secret"),
        availability=monthly_availability(db.session, resource),
        cost=resource_cost(db.session, resource)[0]
        if can_view_billing(current_user, resource.agency)
        else None,
    ), status


@bp.get("/resources/<int:resource_id>")
@login_required
def detail(resource_id):
    resource = service.get_resource(db.session, current_user, resource_id)
    return _render_detail(resource, ResourceActionForm())


@bp.post("/resources/<int:resource_id>/<action>")
@login_required
def act(resource_id, action):
    if action not in service.ACTIONS:
        abort(404)
    form = ResourceActionForm()
    resource = service.get_resource(db.session, current_user, resource_id)
    if not form.validate_on_submit():
        return _render_detail(resource, form, status=422)
    params = {"flavor": form.flavor.data, "size_gb": form.size_gb.data}
    try:
        if action == "resize":
            _operation, order = request_resize(
                db.session, current_user, resource_id, form.flavor.data
            )
            if order is not None:
                flash(_l("This size needs approval: your request was sent."), "success")
                return redirect(url_for("orders.detail", order_id=order.id))
        else:
            service.request_action(db.session, current_user, resource_id, action, params)
    except DomainError as error:
        db.session.rollback()
        resource = service.get_resource(db.session, current_user, resource_id)
        return _render_detail(resource, form, error, status=error.status)
    flash(STARTED, "success")
    return redirect(url_for("inventory.detail", resource_id=resource_id))


@bp.post("/resources/<int:resource_id>/lease")
@login_required
def extend_lease(resource_id):
    form = LeaseExtensionForm()
    resource = service.get_resource(db.session, current_user, resource_id)
    if not form.validate_on_submit():
        return _render_detail(resource, ResourceActionForm(), status=422, lease_form=form)
    try:
        order = request_lease_extension(
            db.session, current_user, resource_id, form.days.data, form.reason.data
        )
    except DomainError as error:
        db.session.rollback()
        resource = service.get_resource(db.session, current_user, resource_id)
        return _render_detail(
            resource, ResourceActionForm(), error, status=error.status, lease_form=form
        )
    flash(_l("Your request for more time was sent for approval."), "success")
    return redirect(url_for("orders.detail", order_id=order.id))


@bp.post("/resources/<int:resource_id>/secret")
@login_required
def reveal(resource_id):
    form = ResourceActionForm()
    resource = service.get_resource(db.session, current_user, resource_id)
    if not form.validate_on_submit():
        return _render_detail(resource, form, status=422)
    try:
        secret = service.reveal_secret(db.session, current_user, resource_id)
    except DomainError as error:
        db.session.rollback()
        return _render_detail(resource, form, error, status=error.status)
    return _render_detail(resource, ResourceActionForm(), secret=secret)


@bp.get("/operations/<operation_id>/progress")
@login_required
def progress(operation_id):
    """The live part of a page: the operation's steps and events, polled by progress.js."""
    operation = get_operation(db.session, current_user, operation_id)
    return render_template("resources/_progress.html", operation=operation)
