"""The start page: what needs the user's attention."""

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from portal.extensions import db
from portal.orders.quota import headroom
from portal.orders.service import WITH_ITEM_NAMES, approval_queue, list_orders

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    recent, total = list_orders(db.session, current_user, per_page=8, loads=WITH_ITEM_NAMES)
    queue = approval_queue(db.session, current_user)
    quota = headroom(db.session, current_user.agency) if current_user.is_agency_user else None
    return render_template("home.html", recent=recent, total=total, queue=queue, quota=quota)
