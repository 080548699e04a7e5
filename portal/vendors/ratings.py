"""What a page shows of a satisfaction survey (满意度调查) on the request or incident it
rates: the rating once given, and whether its viewer may give it now. The rule itself is
the service's (portal.vendors.surveys.rate); this only decides which form to offer."""

from sqlalchemy import select

from portal.orders.states import OrderState
from portal.tenancy.permissions import in_subtree
from portal.vendors.models import SatisfactionSurvey


def survey_of(session, *, order_id=None, incident_id=None):
    """The rating of one request or one incident, or None."""
    if (order_id is None) == (incident_id is None):
        raise ValueError("name one request or one incident")
    column = SatisfactionSurvey.order_id if order_id is not None else SatisfactionSurvey.incident_id
    return session.scalar(select(SatisfactionSurvey).where(column == (order_id or incident_id)))


def may_rate_order(user, order):
    """As surveys.rate decides: the staff of the order's agency (or above it), once it
    is fulfilled."""
    return (
        order.state == OrderState.FULFILLED
        and user.is_agency_user
        and in_subtree(order.agency, user.agency)
    )


def order_rating(session, user, order):
    """(the survey or None, whether `user` may rate the order now)."""
    survey = survey_of(session, order_id=order.id)
    return survey, survey is None and may_rate_order(user, order)
