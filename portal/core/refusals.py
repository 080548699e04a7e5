"""Refused changes in the audit log. When a request that would change something (POST,
PUT, PATCH, DELETE by a signed-in user or token) is answered with a DomainError's 4xx,
the commit point rolls back what it did and keeps only the refusal: who, which route and
object, the status and the reason. A DomainError notes itself on the request as it is
made, since views catch most of them to show the form again."""

from flask import g, has_request_context, request
from flask_login import current_user

from portal.core import audit

CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def note(error):
    """Remember the latest refusal of this request (called by DomainError)."""
    if has_request_context():
        g.refusal = error


def already_recorded():
    """For a view that wrote its own, more specific refusal trace."""
    g.refusal_recorded = True


def record(session, response):
    """Queue the audit event of the request's refusal, if it was one; True if queued."""
    error = g.get("refusal")
    who = _caller()
    if (
        error is None
        or who is None
        or g.get("refusal_recorded")
        or request.method not in CHANGING
        or response.status_code != error.status
    ):
        return False
    audit.record(
        session,
        who,
        "request.refused",
        "route",
        request.endpoint or request.path,
        after={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "fields": {name: str(reason) for name, reason in error.fields.items()},
        },
        note=str(error.message),
    )
    return True


def _caller():
    """The API token's user, or the signed-in user of a page; None when anonymous."""
    if g.get("api_user") is not None:
        return g.api_user
    return current_user._get_current_object() if current_user.is_authenticated else None
