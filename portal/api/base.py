"""The Api object, the blueprints' base and the API's authentication."""

import flask_smorest
from flask import g, request
from flask_babel import lazy_gettext as _l
from flask_smorest import Api

from portal.accounts.service import user_for_token
from portal.core.errors import DomainError
from portal.errors import http_error_response
from portal.extensions import db


class PortalApi(Api):
    """flask-smorest, answering errors in the portal's one error format."""

    def _register_error_handlers(self):
        """portal.errors handles HTTPException for the API and the pages alike."""

    def handle_http_exception(self, error):
        return http_error_response(error)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, parsing a call's arguments with one schema instance."""

    def arguments(self, schema, **kwargs):
        # Given a Schema class, webargs makes an instance on every call (a tenth of
        # the order list's own time); one made here serves them all, as flask-smorest
        # already does for the response's schema.
        return super().arguments(schema() if isinstance(schema, type) else schema, **kwargs)


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


def actor():
    """The user whose bearer token authenticated this call."""
    return g.api_user


def authenticate_request():
    """before_request of every API blueprint: a valid bearer token or 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = user_for_token(db.session, token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise Unauthorized(_l("Send a valid API token: Authorization: Bearer <token>."))
    g.api_user = user
