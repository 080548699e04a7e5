"""Resources and operations: list, read, act (day-2 actions), credentials once."""

from flask import jsonify

from portal.api.base import Blueprint, actor, authenticate_request
from portal.api.resource_schemas import (
    LeaseExtensionIn,
    OperationOut,
    ResourceActionIn,
    ResourceDetailOut,
    ResourceListArgs,
    ResourcePage,
    SecretOut,
)
from portal.api.schemas import OrderDetailOut
from portal.extensions import db
from portal.inventory import service
from portal.orders.changes import request_lease_extension, request_resize
from portal.provisioning.service import get_operation

blp = Blueprint(
    "api_resources", __name__, url_prefix="/api/v1", description="Resources and operations"
)
blp.before_request(authenticate_request)


@blp.get("/resources")
@blp.arguments(ResourceListArgs, location="query")
@blp.response(200, ResourcePage)
def resources(args):
    found, total = service.list_resources(
        db.session,
        actor(),
        state=args.get("state"),
        kind=args.get("kind"),
        order_id=args.get("order_id"),
        page=args["page"],
        per_page=args["per_page"],
    )
    return {"total": total, "page": args["page"], "resources": found}


@blp.get("/resources/<int:resource_id>")
@blp.response(200, ResourceDetailOut)
def resource(resource_id):
    return service.get_resource(db.session, actor(), resource_id)


@blp.post("/resources/<int:resource_id>/actions")
@blp.arguments(ResourceActionIn)
@blp.response(202, OperationOut)
@blp.alt_response(201, schema=OrderDetailOut, description="a resize that needs approval")
def act(data, resource_id):
    """Start a day-2 action; follow it at /operations/{id}. A resize beyond what the
    item approves automatically becomes an order for its approvers instead (201)."""
    params = {key: data[key] for key in ("flavor", "size_gb") if key in data}
    if data["action"] == "resize":
        operation, order = request_resize(db.session, actor(), resource_id, data.get("flavor"))
        if order is not None:
            return jsonify(OrderDetailOut().dump(order)), 201
        return operation
    return service.request_action(db.session, actor(), resource_id, data["action"], params)


@blp.post("/resources/<int:resource_id>/lease")
@blp.arguments(LeaseExtensionIn)
@blp.response(201, OrderDetailOut)
def extend_lease(data, resource_id):
    """Ask for more time: an order that goes through the item's approval chain."""
    return request_lease_extension(
        db.session, actor(), resource_id, data["days"], data.get("reason")
    )


@blp.post("/resources/<int:resource_id>/secret")
@blp.response(200, SecretOut)
def secret(resource_id):
    """The credentials, to the person who ordered the resource, once."""
    return {"password": service.reveal_secret(db.session, actor(), resource_id)}


@blp.get("/operations/<uuid:operation_id>")
@blp.response(200, OperationOut)
def operation(operation_id):
    return get_operation(db.session, actor(), str(operation_id))
