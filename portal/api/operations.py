"""The operations overview as JSON: the page's figures, for the same readers (the
platform-wide roles; a vendor's staff, their vendor's part; others 403)."""

from portal.api.base import Blueprint, actor, authenticate_request
from portal.api.dashboard_schemas import OverviewArgs, OverviewOut
from portal.billing.periods import month_of
from portal.core.db import utcnow
from portal.dashboards.figures import operations_dashboard
from portal.extensions import db

blp = Blueprint(
    "api_operations",
    __name__,
    url_prefix="/api/v1/operations",
    description="The operations overview: failure rates, clocks at risk, certificates",
)
blp.before_request(authenticate_request)


@blp.get("/dashboard")
@blp.arguments(OverviewArgs, location="query")
@blp.response(200, OverviewOut)
def dashboard(args):
    """Failure rates per resource kind and vendor for a month, the open incidents and
    those whose SLA clocks are at risk, expiring certificates and the weakest spots."""
    now = utcnow()
    return operations_dashboard(db.session, actor(), args.get("month") or month_of(now), now)
