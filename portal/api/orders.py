"""Orders: list, create (and submit), read, and act on them."""

from flask import jsonify

from portal.api.base import Blueprint, actor, authenticate_request
from portal.api.schemas import (
    ActionIn,
    DraftIn,
    OrderDetailOut,
    OrderIn,
    OrderListArgs,
    OrderPage,
    order_detail_out,
    order_row_out,
)
from portal.extensions import db
from portal.orders import service
from portal.orders.drafts import update_draft

blp = Blueprint(
    "api_orders", __name__, url_prefix="/api/v1/orders", description="Orders and their approval"
)
blp.before_request(authenticate_request)


@blp.get("")
@blp.arguments(OrderListArgs, location="query")
@blp.response(200, OrderPage)
def orders(args):
    rows, total = service.list_order_rows(
        db.session,
        actor(),
        state=args.get("state"),
        agency_id=args.get("agency_id"),
        page=args["page"],
        per_page=args["per_page"],
    )
    # OrderPage describes the answer; a page is built from plain rows, since dumping
    # it through marshmallow cost more than everything else in this call. The unit
    # tests hold the two to the same JSON.
    page = {"total": total, "page": args["page"], "orders": [order_row_out(r) for r in rows]}
    return jsonify(page)


@blp.post("")
@blp.arguments(OrderIn)
@blp.response(201, OrderDetailOut)
def create(data):
    """Order an item for the caller's agency; submitted unless `submit` is false."""
    order = service.create_order(
        db.session,
        actor(),
        data["item"],
        data["parameters"],
        sla_tier=data.get("sla_tier"),
        submit=data["submit"],
        client_token=data.get("client_token"),
        catalog_version=data.get("catalog_version"),
    )
    # OrderDetailOut describes the answer; built directly from the order, as dumping it
    # through marshmallow took three times as long. The unit tests hold the two to the
    # same JSON.
    return jsonify(order_detail_out(order)), 201


@blp.get("/<int:order_id>")
@blp.response(200, OrderDetailOut)
def order(order_id):
    # Polled while an order is carried out: answered as create does, without marshmallow.
    order = service.get_order(db.session, actor(), order_id, service.DETAIL_LOADS)
    return jsonify(order_detail_out(order))


@blp.put("/<int:order_id>")
@blp.arguments(DraftIn)
@blp.response(200, OrderDetailOut)
def change_draft(data, order_id):
    """Change a draft's values (its author only), and submit it when `submit` is true."""
    return update_draft(
        db.session,
        actor(),
        order_id,
        data["parameters"],
        sla_tier=data.get("sla_tier"),
        submit=data["submit"],
        expected_version=data.get("expected_version"),
    )


@blp.post("/<int:order_id>/submit")
@blp.arguments(ActionIn)
@blp.response(200, OrderDetailOut)
def submit(data, order_id):
    return service.submit_order(db.session, actor(), order_id, data.get("expected_version"))


@blp.post("/<int:order_id>/approve")
@blp.arguments(ActionIn)
@blp.response(200, OrderDetailOut)
def approve(data, order_id):
    return service.approve_order(
        db.session, actor(), order_id, data.get("comment"), data.get("expected_version")
    )


@blp.post("/<int:order_id>/reject")
@blp.arguments(ActionIn)
@blp.response(200, OrderDetailOut)
def reject(data, order_id):
    return service.reject_order(
        db.session, actor(), order_id, data.get("comment"), data.get("expected_version")
    )


@blp.post("/<int:order_id>/cancel")
@blp.arguments(ActionIn)
@blp.response(200, OrderDetailOut)
def cancel(data, order_id):
    return service.cancel_order(
        db.session, actor(), order_id, data.get("comment"), data.get("expected_version")
    )
