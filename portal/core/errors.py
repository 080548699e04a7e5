"""Errors a user can cause, raised by service functions and turned into clear answers.

Pages show them as a form error or a flash message; the API answers with the HTTP
status and a JSON body {"error": {"code", "message", "fields"}}. A refused change is
kept in the audit log (portal.core.refusals).
"""

from portal.core import refusals


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message, fields=None):
        super().__init__(str(message))
        self.message = message
        self.fields = fields or {}
        refusals.note(self)

    def to_dict(self):
        return {
            "code": self.code,
            "message": str(self.message),
            "fields": {name: str(reason) for name, reason in self.fields.items()},
        }


class InvalidInput(DomainError):
    status = 422
    code = "invalid_input"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The object is not in a state that allows this, or changed since it was read."""

    status = 409
    code = "conflict"


class QuotaExceeded(Conflict):
    code = "quota_exceeded"


class TooManyAttempts(DomainError):
    status = 429
    code = "too_many_attempts"
