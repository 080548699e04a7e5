"""The audit log, for auditors and administrators."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.roles import Role
from portal.api.base import Blueprint, actor, authenticate_request
from portal.api.schemas import AuditArgs, AuditEventOut, VerifyOut
from portal.core.audit import AuditEvent, verify_chain
from portal.core.errors import Forbidden
from portal.extensions import db

blp = Blueprint(
    "api_audit", __name__, url_prefix="/api/v1/audit", description="The append-only audit log"
)
blp.before_request(authenticate_request)


def _require_auditor():
    if not actor().has_role(Role.AUDITOR, Role.ADMIN):
        raise Forbidden(_l("Only auditors and administrators can read the audit log."))


@blp.get("/events")
@blp.arguments(AuditArgs, location="query")
@blp.response(200, AuditEventOut(many=True))
def events(args):
    """Events in chain order after `after_id`: page by passing the last id seen."""
    _require_auditor()
    return db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.id > args["after_id"])
        .order_by(AuditEvent.id)
        .limit(args["limit"])
    ).all()


@blp.get("/verify")
@blp.response(200, VerifyOut)
def verify():
    _require_auditor()
    checked, broken_at = verify_chain(db.session)
    return {"checked": checked, "intact": broken_at is None, "first_bad_id": broken_at}
