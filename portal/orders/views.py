"""Order pages: the list, one order with its timeline, the approval queue, actions."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from portal.core.errors import DomainError
from portal.core.inputs import page_number
from portal.extensions import db
from portal.orders import service
from portal.orders.forms import ActionForm
from portal.orders.permissions import can_cancel
from portal.orders.states import CANCELLABLE_STATES, OrderState
from portal.provisioning.service import operations_of_order
from portal.vendors.ratings import order_rating
from portal.vendors.scorecard_forms import RatingForm

bp = Blueprint("orders", __name__, url_prefix="/orders")

ACTIONS = {
    "submit": (service.submit_order, _l("The request was submitted.")),
    "approve": (service.approve_order, _l("You approved the request.")),
    "reject": (service.reject_order, _l("You rejected the request.")),
    "cancel": (service.cancel_order, _l("The request was cancelled.")),
}


@bp.get("/")
@login_required
def index():
    state = request.args.get("state") or None
    if state and state not in set(OrderState):
        state = None
    page = page_number(request.args.get("page"))
    agency_id = request.args.get("agency_id", type=int)
    orders, total = service.list_orders(
        db.session,
        current_user,
        state=state,
        agency_id=agency_id,
        page=page,
        loads=service.WITH_ITEM_NAMES,
    )
    return render_template(
        "orders/index.html", orders=orders, total=total, page=page, state=state, per_page=50
    )


def render_detail(order, form, error=None, rating_form=None, rating_error=None):
    """The order's page; the rating card is posted to the scorecards blueprint, which
    draws this page again when it refuses a rating."""
    rating, may_rate = order_rating(db.session, current_user, order)
    return render_template(
        "orders/detail.html",
        order=order,
        form=form,
        error=error,
        can_decide=service.decision_refusal(current_user, order) is None,
        can_cancel=can_cancel(current_user, order) and order.state in CANCELLABLE_STATES,
        operations=operations_of_order(db.session, order),
        rating=rating,
        may_rate=may_rate,
        rating_form=rating_form or RatingForm(formdata=None),
        rating_error=rating_error,
    )


@bp.get("/<int:order_id>")
@login_required
def detail(order_id):
    order = service.get_order(db.session, current_user, order_id)
    return render_detail(order, ActionForm(version=order.version))


@bp.post("/<int:order_id>/<action>")
@login_required
def act(order_id, action):
    if action not in ACTIONS:
        abort(404)
    form = ActionForm()
    if not form.validate_on_submit():
        # Shown again with what was typed and why it was refused.
        order = service.get_order(db.session, current_user, order_id)
        return render_detail(order, form), 422
    operation, message = ACTIONS[action]
    kwargs = {"expected_version": form.version.data}
    if action != "submit":
        kwargs["comment"] = form.comment.data
    try:
        operation(db.session, current_user, order_id, **kwargs)
    except DomainError as error:
        db.session.rollback()
        order = service.get_order(db.session, current_user, order_id)
        return render_detail(order, form, error), error.status
    flash(message, "success")
    return redirect(url_for("orders.detail", order_id=order_id))


@bp.get("/approvals")
@login_required
def approvals():
    return render_template(
        "orders/approvals.html", queue=service.approval_queue(db.session, current_user)
    )
