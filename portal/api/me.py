"""Who the token belongs to."""

from portal.api.base import Blueprint, actor, authenticate_request
from portal.api.schemas import UserOut

blp = Blueprint("api_me", __name__, url_prefix="/api/v1/me", description="The caller")
blp.before_request(authenticate_request)


@blp.get("")
@blp.response(200, UserOut)
def me():
    return actor()
