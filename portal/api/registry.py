"""Mount the API blueprints and describe them in the OpenAPI document."""

from portal.api import (
    agencies,
    approvals,
    audit,
    billing,
    catalog,
    incidents,
    knowledge,
    maintenance,
    me,
    operations,
    orders,
    resources,
    vendors,
)
from portal.api.base import PortalApi
from portal.extensions import csrf

MODULES = (
    me,
    catalog,
    agencies,
    orders,
    approvals,
    resources,
    audit,
    billing,
    vendors,
    incidents,
    maintenance,
    knowledge,
    operations,
)


def register_api(app):
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "Jiyun: catalog, agencies, orders and approvals. "
                "Authenticate with `Authorization: Bearer <token>`; "
                "create a token on your account page."
            },
            "security": [{"bearerAuth": []}],
            "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        },
    )
    api = PortalApi(app)  # one per app: its OpenAPI document describes this app
    for module in MODULES:
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp)
