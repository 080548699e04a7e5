"""Catalog pages: browse items, fill an item's order form, see its quota cost."""

import secrets

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from catalog.form import quota_cost, resolve_spec, validate_parameters
from portal.billing.estimates import order_price
from portal.catalog.service import get_item, list_items
from portal.core.errors import DomainError, NotFound
from portal.core.inputs import MAX_ID
from portal.extensions import db
from portal.orders import service as orders
from portal.orders.drafts import update_draft
from portal.orders.permissions import can_order_for
from portal.orders.quota import headroom
from portal.orders.states import OrderState

bp = Blueprint("catalog", __name__, url_prefix="/catalog")

ORDER_MESSAGES = {
    OrderState.DRAFT: _l("The request was saved as a draft. Submit it when it is ready."),
    OrderState.AWAITING_APPROVAL: _l("The request was submitted and waits for approval."),
    OrderState.APPROVED: _l(
        "The request was approved automatically: it is small and within quota."
    ),
}
FORM_META = {
    "csrf_token",
    "client_token",
    "catalog_version",
    "sla_tier",
    "action",
    "draft_id",
    "expected_version",
}


def _form_parameters(version):
    """The posted values of the item's own fields (booleans: an unticked box is absent)."""
    raw = {}
    for form_field in version.definition["fields"]:
        name = form_field["name"]
        if form_field["type"] == "boolean":
            raw[name] = "true" if request.form.get(name) else "false"
        elif name in request.form:
            raw[name] = request.form[name]
    return raw


def _render_form(
    item, values=None, errors=None, message=None, status=200, client_token=None, draft=None
):
    """`draft`: the draft request the form changes, if it does."""
    agency = current_user.agency
    return render_template(
        "catalog/item.html",
        item=item,
        version=item.current_version,
        draft=draft,
        values=values or {},
        errors=errors or {},
        message=message,
        can_order=can_order_for(current_user, agency),
        quota=headroom(db.session, agency) if agency else None,
        client_token=client_token or secrets.token_hex(16),
    ), status


@bp.get("/")
@login_required
def index():
    return render_template("catalog/index.html", items=list_items(db.session))


@bp.get("/<key>")
@login_required
def item(key):
    catalog_item = get_item(db.session, key)
    if not request.args.get("draft"):
        return _render_form(catalog_item)
    draft = _draft(catalog_item, request.args["draft"])
    values = {**draft.parameters, "sla_tier": draft.sla_tier}
    return _render_form(catalog_item, values=values, draft=draft)


def _draft(catalog_item, raw_id):
    """The draft request of this item the form changes (another's: 404 as everywhere)."""
    draft = orders.get_order(db.session, current_user, _as_id(raw_id))
    if draft.item_id != catalog_item.id:
        raise NotFound(_l("No such request."))
    return draft


def _as_id(raw):
    return int(raw) if str(raw).isdigit() and int(raw) <= MAX_ID else 0


@bp.post("/<key>")
@login_required
def order(key):
    catalog_item = get_item(db.session, key)
    raw = _form_parameters(catalog_item.current_version)
    submit = request.form.get("action") != "draft"
    draft_id = request.form.get("draft_id")
    try:
        if draft_id:
            created = update_draft(
                db.session,
                current_user,
                _as_id(draft_id),
                raw,
                sla_tier=request.form.get("sla_tier"),
                submit=submit,
                expected_version=request.form.get("expected_version"),
            )
        else:
            created = orders.create_order(
                db.session,
                current_user,
                key,
                raw,
                sla_tier=request.form.get("sla_tier"),
                submit=submit,
                client_token=request.form.get("client_token"),
                catalog_version=request.form.get("catalog_version"),
            )
    except DomainError as error:
        db.session.rollback()
        values = {**raw, "sla_tier": request.form.get("sla_tier")}
        return _render_form(
            get_item(db.session, key),
            values=values,
            errors=error.fields,
            message=error.message,
            status=error.status,
            client_token=request.form.get("client_token"),
            draft=_draft(catalog_item, draft_id) if draft_id else None,
        )
    flash(
        ORDER_MESSAGES.get(created.state, ORDER_MESSAGES[OrderState.AWAITING_APPROVAL]), "success"
    )
    return redirect(url_for("orders.detail", order_id=created.id))


@bp.get("/<key>/quote")
@login_required
def quote(key):
    """What the form as filled so far takes from the quota, for its live preview.
    Fields not yet valid count as nothing; the submit checks everything."""
    definition = get_item(db.session, key).current_version.definition
    raw = {name: value for name, value in request.args.items() if name not in FORM_META}
    values, _errors = validate_parameters(definition, raw)
    spec = resolve_spec(definition, values)
    cost = quota_cost(definition, spec)
    room = headroom(db.session, current_user.agency) if current_user.agency else {}
    remaining = {resource: (room.get(resource) or (None,))[0] for resource in cost}
    return jsonify(
        {"cost": cost, "remaining": remaining, "monthly_price": _price(definition, spec)}
    )


def _price(definition, spec):
    """The month's price at today's rates as a string of yuan, or None."""
    agency = current_user.agency
    tiers = [tier["key"] for tier in definition["sla_tiers"]]
    tier = request.args.get("sla_tier")
    if agency is None:
        return None
    price = order_price(
        db.session,
        agency,
        definition["key"],
        definition["kind"],
        spec,
        tier if tier in tiers else tiers[0],
    )
    return None if price is None else f"{price:,.2f}"
