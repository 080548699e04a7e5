"""The caller's approval queue."""

from portal.api.base import Blueprint, actor, authenticate_request
from portal.api.schemas import OrderOut
from portal.extensions import db
from portal.orders.service import approval_queue

blp = Blueprint(
    "api_approvals",
    __name__,
    url_prefix="/api/v1/approvals",
    description="Orders waiting for the caller's decision",
)
blp.before_request(authenticate_request)


@blp.get("")
@blp.response(200, OrderOut(many=True))
def queue():
    return approval_queue(db.session, actor())
