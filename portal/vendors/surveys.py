"""Satisfaction surveys (满意度调查): after a request is fulfilled or an incident is
resolved, the agency rates it 1-5 with a comment, once. Who reads the results is a
permission (portal.vendors.permissions.can_read_surveys): the platform team and auditors
read all; a vendor's manager reads the vendor's, without who rated."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.incidents.models import Incident
from portal.incidents.permissions import can_view_incident, is_agency_side
from portal.incidents.states import IncidentState
from portal.orders.models import Order
from portal.orders.states import OrderState
from portal.tenancy.permissions import in_subtree
from portal.vendors.models import SatisfactionSurvey
from portal.vendors.permissions import can_read_surveys
from portal.vendors.service import get_vendor

RATABLE_INCIDENT = (IncidentState.RESOLVED, IncidentState.CLOSED)
MAX_COMMENT = 2000


def rate(session, actor, *, score, comment=None, order_id=None, incident_id=None, now=None):
    """Rate a fulfilled request or a resolved incident of the actor's agency. Only flushes."""
    if (order_id is None) == (incident_id is None):
        raise InvalidInput(_l("Rate one request or one incident."), {"subject": _l("Required.")})
    errors = {}
    if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
        errors["score"] = _l("From 1 (very dissatisfied) to 5 (very satisfied).")
    if comment is not None and len(comment) > MAX_COMMENT:
        errors["comment"] = _l("At most 2000 characters.")
    if errors:
        raise InvalidInput(_l("The rating cannot be saved."), errors)
    if order_id is not None:
        subject, vendor_id = _fulfilled_order(session, actor, order_id), None
        taken = SatisfactionSurvey.order_id == order_id
    else:
        subject = _resolved_incident(session, actor, incident_id)
        vendor_id, taken = subject.vendor_id, SatisfactionSurvey.incident_id == incident_id
    if session.scalar(select(SatisfactionSurvey.id).where(taken)):
        raise Conflict(_l("This has been rated already."))
    survey = SatisfactionSurvey(
        order_id=order_id,
        incident_id=incident_id,
        agency_id=subject.agency_id,
        vendor_id=vendor_id,
        rated_by_id=actor.id,
        score=score,
        comment=(comment or "").strip() or None,
        created_at=now or utcnow(),
    )
    session.add(survey)
    audit.record(
        session,
        actor,
        "survey.rate",
        "survey",
        survey,
        agency_id=subject.agency_id,
        after={"order_id": order_id, "incident_id": incident_id, "score": score},
    )
    session.flush()
    return survey


@dataclass(frozen=True)
class SurveyResults:
    count: int
    average: float | None
    distribution: dict  # score → count
    comments: list  # (when, score, comment, who or None)


def survey_results(session, actor, vendor_id, start, end):
    """The ratings of a vendor's service (vendor_id None: the platform team's) in
    [start, end); raters are named only to the platform team and auditors."""
    if vendor_id is not None:
        get_vendor(session, actor, vendor_id)
    if not can_read_surveys(actor, vendor_id):
        raise Forbidden(_l("You may not read these survey results."))
    rows = session.scalars(
        select(SatisfactionSurvey)
        .where(
            SatisfactionSurvey.vendor_id.is_(None)
            if vendor_id is None
            else SatisfactionSurvey.vendor_id == vendor_id,
            SatisfactionSurvey.created_at >= start,
            SatisfactionSurvey.created_at < end,
        )
        .order_by(SatisfactionSurvey.created_at.desc())
    ).all()
    named = actor.sees_all_agencies
    distribution = {score: 0 for score in range(1, 6)}
    for row in rows:
        distribution[row.score] += 1
    return SurveyResults(
        count=len(rows),
        average=sum(row.score for row in rows) / len(rows) if rows else None,
        distribution=distribution,
        comments=[
            (row.created_at, row.score, row.comment, row.rated_by_id if named else None)
            for row in rows
            if row.comment
        ],
    )


def average_scores(session, start, end):
    """vendor id (None: the platform team) → (count, average score) in [start, end)."""
    return {
        vendor_id: (count, float(average))
        for vendor_id, count, average in session.execute(
            select(
                SatisfactionSurvey.vendor_id,
                func.count(),
                func.avg(SatisfactionSurvey.score),
            )
            .where(SatisfactionSurvey.created_at >= start, SatisfactionSurvey.created_at < end)
            .group_by(SatisfactionSurvey.vendor_id)
        )
    }


def _fulfilled_order(session, actor, order_id):
    order = session.get(Order, order_id)
    if order is None or not (actor.is_agency_user and in_subtree(order.agency, actor.agency)):
        raise NotFound(_l("No such request."))
    if order.state != OrderState.FULFILLED:
        raise Conflict(_l("A request is rated once it is fulfilled."))
    return order


def _resolved_incident(session, actor, incident_id):
    incident = session.get(Incident, incident_id)
    if incident is None or not can_view_incident(actor, incident):
        raise NotFound(_l("No such incident."))
    if not is_agency_side(actor, incident):
        raise Forbidden(_l("The agency that reported the incident rates it."))
    if incident.state not in RATABLE_INCIDENT:
        raise Conflict(_l("An incident is rated once it is resolved."))
    return incident
