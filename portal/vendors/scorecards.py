"""Vendor scorecards (考核) for a month, a quarter or a year: SLA compliance, breaches,
incident volume and resolution times, satisfaction and the expert review, combined by
configurable weights into a ranked score.

score = Σ weight × component / Σ weights of the components that have a value, less the
penalty points of every availability breach, never below 0. Components on 0-100: SLA
compliance (incidents opened in the period that breached neither clock, 100 when there
were none), satisfaction ((average − 1) / 4 × 100) and the expert review. A vendor with
no surveys or no review is scored on the rest. Response and resolution breaches lower
the compliance; an availability breach is what credits the agency's bill, and the same
breach is the vendor's penalty entry.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from portal.billing.periods import BILLING_ZONE, FIRST_YEAR, LAST_YEAR, next_month
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Forbidden, InvalidInput
from portal.incidents.availability import outages
from portal.incidents.clocks import clocks_of
from portal.incidents.models import Incident
from portal.incidents.states import IncidentState
from portal.vendors.models import ExpertReview, Vendor
from portal.vendors.permissions import can_read_scorecards, can_review_vendors
from portal.vendors.service import get_vendor
from portal.vendors.surveys import average_scores

PERIOD = re.compile(r"(\d{4})(?:-(0[1-9]|1[0-2])|-Q([1-4]))?")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Period:
    label: str  # "2026-10", "2026-Q4" or "2026"
    start: datetime  # UTC
    end: datetime
    months: tuple  # the first day of each month in it


def parse_period(text):
    match = PERIOD.fullmatch(str(text).strip())
    if match is None or not FIRST_YEAR <= int(match.group(1)) <= LAST_YEAR:
        raise InvalidInput(
            _l("A period is a month (2026-10), a quarter (2026-Q4) or a year (2026)."),
            {"period": _l("YYYY-MM, YYYY-Qn or YYYY.")},
        )
    year = int(match.group(1))
    if match.group(2):
        first, count = int(match.group(2)), 1
    elif match.group(3):
        first, count = 3 * int(match.group(3)) - 2, 3
    else:
        first, count = 1, 12
    months = tuple(date(year, first + offset, 1) for offset in range(count))
    last = months[-1]
    following = next_month(last)
    return Period(
        label=match.group(0),
        start=_local_midnight(months[0]),
        end=_local_midnight(following),
        months=months,
    )


@dataclass(frozen=True)
class Scorecard:
    vendor: Vendor
    incidents: int
    response_breaches: int
    resolution_breaches: int
    availability_breaches: int
    sla_compliance: Decimal  # percent
    mean_resolution_hours: Decimal | None  # service hours, resolved incidents
    surveys: int
    satisfaction: Decimal | None  # average 1-5
    expert: int | None
    penalty: Decimal
    score: Decimal
    rank: int

    @property
    def breaches(self):
        return self.response_breaches + self.resolution_breaches + self.availability_breaches


def scorecards(session, actor, period, now=None):
    """Every vendor's scorecard for the period (a Period), best first; vendor staff get
    their own vendor's only."""
    if not (actor.sees_all_agencies or can_read_scorecards(actor, actor.vendor_id)):
        raise Forbidden(_l("Scorecards are for the platform team and each vendor's staff."))
    now = now or utcnow()
    vendors = session.scalars(select(Vendor).order_by(Vendor.code)).all()
    counts = _incident_counts(session, period)
    hours = _resolution_hours(session, period, now)
    availability = _availability_breaches(session, period, now)
    surveys = average_scores(session, period.start, period.end)
    reviews = dict(
        session.execute(
            select(ExpertReview.vendor_id, ExpertReview.score).where(
                ExpertReview.period == period.label
            )
        ).all()
    )
    weights = current_app.config["SCORECARD_WEIGHTS"]
    penalty_per_breach = Decimal(str(current_app.config["SCORECARD_BREACH_PENALTY"]))
    unranked = []
    for vendor in vendors:
        total, response, resolution, clean = counts.get(vendor.id, (0, 0, 0, 0))
        compliance = Decimal(100) * clean / total if total else Decimal(100)
        rated, average = surveys.get(vendor.id, (0, None))
        components = {
            "sla": compliance,
            "satisfaction": (Decimal(str(average)) - 1) * 25 if average is not None else None,
            "expert": Decimal(reviews[vendor.id]) if vendor.id in reviews else None,
        }
        counted = {key: value for key, value in components.items() if value is not None}
        weight = sum(Decimal(str(weights[key])) for key in counted)
        combined = sum(Decimal(str(weights[key])) * value for key, value in counted.items())
        penalty = penalty_per_breach * availability.get(vendor.id, 0)
        score = max(Decimal(0), combined / weight - penalty) if weight else Decimal(0)
        unranked.append(
            dict(
                vendor=vendor,
                incidents=total,
                response_breaches=response,
                resolution_breaches=resolution,
                availability_breaches=availability.get(vendor.id, 0),
                sla_compliance=compliance.quantize(CENT, ROUND_HALF_UP),
                mean_resolution_hours=hours.get(vendor.id),
                surveys=rated,
                satisfaction=(
                    Decimal(str(average)).quantize(CENT, ROUND_HALF_UP)
                    if average is not None
                    else None
                ),
                expert=reviews.get(vendor.id),
                penalty=penalty.quantize(CENT, ROUND_HALF_UP),
                score=score.quantize(CENT, ROUND_HALF_UP),
            )
        )
    unranked.sort(key=lambda line: (-line["score"], line["vendor"].code))
    cards = [Scorecard(rank=number, **line) for number, line in enumerate(unranked, 1)]
    if not actor.sees_all_agencies:
        cards = [card for card in cards if card.vendor.id == actor.vendor_id]
    return cards


def set_expert_review(session, actor, vendor_id, period, score, note=None):
    """Enter (or replace) the expert review score of a vendor for a period."""
    get_vendor(session, actor, vendor_id)
    if not can_review_vendors(actor):
        raise Forbidden(_l("Expert reviews are entered by the platform team."))
    period = parse_period(period)
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 100:
        raise InvalidInput(_l("The expert review is scored 0 to 100."), {"score": _l("0 to 100.")})
    review = session.scalar(
        select(ExpertReview).where(
            ExpertReview.vendor_id == vendor_id, ExpertReview.period == period.label
        )
    )
    before = {"score": review.score} if review else None
    if review is None:
        review = ExpertReview(vendor_id=vendor_id, period=period.label)
        session.add(review)
    review.score, review.note = score, (note or "").strip() or None
    review.reviewed_by_id, review.reviewed_at = actor.id, utcnow()
    audit.record(
        session,
        actor,
        "vendor.expert_review",
        "vendor",
        vendor_id,
        before=before,
        after={"period": period.label, "score": score},
        note=review.note,
    )
    session.flush()
    return review


def _incident_counts(session, period):
    """vendor id → (incidents, response breaches, resolution breaches, with neither)."""
    clean = case(
        (Incident.response_breached | Incident.resolution_breached, 0),
        else_=1,
    )
    return {
        vendor_id: (total, int(response or 0), int(resolution or 0), int(ok or 0))
        for vendor_id, total, response, resolution, ok in session.execute(
            select(
                Incident.vendor_id,
                func.count(),
                func.sum(case((Incident.response_breached, 1), else_=0)),
                func.sum(case((Incident.resolution_breached, 1), else_=0)),
                func.sum(clean),
            )
            .where(
                Incident.vendor_id.isnot(None),
                Incident.opened_at >= period.start,
                Incident.opened_at < period.end,
            )
            .group_by(Incident.vendor_id)
        )
    }


def _resolution_hours(session, period, now):
    """vendor id → mean service hours to resolve, over incidents resolved in the period."""
    spent = {}
    for incident in session.scalars(
        select(Incident)
        .options(selectinload(Incident.pauses))
        .where(
            Incident.vendor_id.isnot(None),
            Incident.state.in_([IncidentState.RESOLVED, IncidentState.CLOSED]),
            Incident.resolved_at >= period.start,
            Incident.resolved_at < period.end,
        )
    ):
        spent.setdefault(incident.vendor_id, []).append(clocks_of(incident, now).resolution.elapsed)
    return {
        vendor_id: (Decimal(sum(seconds)) / len(seconds) / 3600).quantize(CENT, ROUND_HALF_UP)
        for vendor_id, seconds in spent.items()
    }


def _availability_breaches(session, period, now):
    """vendor id → resources whose month broke its availability target, counted per month,
    held against the vendor of the P1 incidents on them that month."""
    breaches = {}
    for month in period.months:
        breached = {
            resource_id
            for resource_id, found in outages(session, month, now=now).items()
            if found.breached
        }
        if not breached:
            continue
        start = _local_midnight(month)
        following = next_month(month)
        rows = session.execute(
            select(Incident.resource_id, Incident.vendor_id)
            .where(
                Incident.resource_id.in_(breached),
                Incident.priority == "P1",
                Incident.vendor_id.isnot(None),
                Incident.opened_at < _local_midnight(following),
                (Incident.resolved_at.is_(None)) | (Incident.resolved_at > start),
            )
            .distinct()
        ).all()
        for _resource_id, vendor_id in rows:
            breaches[vendor_id] = breaches.get(vendor_id, 0) + 1
    return breaches


def _local_midnight(day):
    return datetime(day.year, day.month, day.day, tzinfo=BILLING_ZONE)
