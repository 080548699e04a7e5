"""Error answers: JSON for the API, a page for people; never a bare 500 for a user's mistake."""

import logging

from flask import jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from portal.core.errors import DomainError
from portal.core.reasons import translated

log = logging.getLogger(__name__)

GENERIC = {
    400: _l("The server could not understand what was sent."),
    401: _l("Log in first."),
    403: _l("You are not allowed to do this."),
    404: _l("This page does not exist, or you cannot see it."),
    405: _l("This action is not allowed here."),
    413: _l("What was sent is too large."),
    422: _l("Some values are not valid."),
    429: _l("Too many attempts in a short time. Wait a moment."),
    500: _l("Something went wrong on our side. The error was logged."),
}


def wants_json():
    return request.path.startswith("/api/")


def error_response(status, code, message, fields=None):
    if wants_json():
        body = {
            "error": {
                "code": code,
                "message": str(message),
                "fields": {k: str(v) for k, v in (fields or {}).items()},
            }
        }
        return jsonify(body), status
    return render_template(
        "error.html", status=status, message=message, fields=fields or {}
    ), status


def _flatten(messages, prefix=""):
    """webargs/marshmallow messages {"json": {"field": ["reason"]}} as field → reason,
    in the reader's language."""
    for key, value in messages.items():
        name = (
            f"{prefix}.{key}"
            if prefix and key not in ("json", "query")
            else (prefix or ("" if key in ("json", "query", "form") else str(key)))
        )
        if isinstance(value, dict):
            yield from _flatten(value, name)
        else:
            yield (name or "(body)"), " ".join(translated(str(v)) for v in value)


def http_error_response(error):
    """An HTTPException (including the API's input validation errors) as our answer."""
    data = getattr(error, "data", None) or {}
    fields = dict(_flatten(data.get("messages") or data.get("errors") or {}))
    message = GENERIC.get(error.code, error.description)
    return error_response(error.code, error.name.lower().replace(" ", "_"), message, fields)


def init_app(app):
    @app.errorhandler(DomainError)
    def _domain_error(error):
        return error_response(error.status, error.code, error.message, error.fields)

    @app.errorhandler(CSRFError)
    def _csrf_error(_error):
        return error_response(
            400,
            "csrf",
            _l("The form expired or was sent from elsewhere. Reload the page and try again."),
        )

    app.register_error_handler(HTTPException, http_error_response)

    @app.errorhandler(Exception)
    def _unexpected(error):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", GENERIC[500])
