"""The user's notices."""

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.extensions import db
from portal.notifications import service

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@login_required
def index():
    return render_template(
        "notifications/index.html", notices=service.recent(db.session, current_user)
    )


@bp.post("/read")
@login_required
def read_all():
    service.mark_all_read(db.session, current_user)
    return redirect(url_for("notifications.index"))
