"""The catalog: items on offer and their definitions."""

from flask_smorest import Blueprint

from portal.api.base import authenticate_request
from portal.api.schemas import CatalogItemDetailOut, CatalogItemOut
from portal.catalog.service import get_item, list_items
from portal.extensions import db

blp = Blueprint(
    "api_catalog", __name__, url_prefix="/api/v1/catalog", description="The service catalog"
)
blp.before_request(authenticate_request)


@blp.get("/items")
@blp.response(200, CatalogItemOut(many=True))
def items():
    return list_items(db.session)


@blp.get("/items/<key>")
@blp.response(200, CatalogItemDetailOut)
def item(key):
    return get_item(db.session, key)
