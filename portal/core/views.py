"""The audit log pages: read-only, for auditors and administrators."""

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import func, select

from portal.accounts.roles import Role
from portal.core.audit import AuditEvent, verify_chain
from portal.core.inputs import page_number
from portal.core.paging import page_of
from portal.extensions import db

bp = Blueprint("audit", __name__, url_prefix="/audit")
PER_PAGE = 100


def _require_auditor():
    if not current_user.has_role(Role.AUDITOR, Role.ADMIN):
        abort(403)


@bp.get("/")
@login_required
def index():
    _require_auditor()
    page = page_number(request.args.get("page"))
    query = select(AuditEvent)
    action = (request.args.get("action") or "").strip()
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    events = db.session.scalars(page_of(query.order_by(AuditEvent.id.desc()), page, PER_PAGE)).all()
    return render_template(
        "audit/index.html", events=events, total=total, page=page, per_page=PER_PAGE, action=action
    )


@bp.post("/verify")
@login_required
def verify():
    _require_auditor()
    checked, broken_at = verify_chain(db.session)
    return render_template("audit/verify.html", checked=checked, broken_at=broken_at)
