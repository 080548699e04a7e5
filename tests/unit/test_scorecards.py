"""Satisfaction surveys and the vendors' monthly, quarterly and yearly scorecards."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portal.accounts.models import User
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.extensions import db
from portal.incidents import service as incidents
from portal.vendors.scorecards import parse_period, scorecards, set_expert_review
from portal.vendors.surveys import rate, survey_results
from tests.billing_factories import make_resource

BEIJING = ZoneInfo("Asia/Shanghai")


def at(month, day, hour, minute=0):
    return datetime(2026, month, day, hour, minute, tzinfo=BEIJING)


@pytest.fixture
def database(session, world):
    return make_resource(
        session,
        world.agencies["a"],
        "postgresql",
        [(at(9, 1, 9), "created", "active", {"storage_gb": 50})],
    )


def resolved(session, user, resource, opened, resolved_at, priority="P3", respond=None):
    incident = incidents.open_incident(
        session, user("member.a"), priority=priority, title="故障",
        resource_id=resource.id, now=opened,
    )  # fmt: skip
    tech = user("vendor.tech")
    incidents.respond(session, tech, incident.id, now=respond or opened)
    incidents.resolve(session, tech, incident.id, "已处理", now=resolved_at)
    return incident


def test_periods_are_local_months_quarters_and_years():
    quarter = parse_period("2026-Q4")
    assert quarter.start == at(10, 1, 0) and quarter.end == datetime(2027, 1, 1, tzinfo=BEIJING)
    assert len(quarter.months) == 3 and len(parse_period("2026").months) == 12
    with pytest.raises(InvalidInput):
        parse_period("2026-Q5")


def test_the_agency_rates_a_resolved_incident_once(session, user, world, database):
    incident = resolved(session, user, database, at(10, 12, 9), at(10, 12, 11))
    with pytest.raises(NotFound):
        rate(session, user("member.b"), incident_id=incident.id, score=5)
    with pytest.raises(InvalidInput):
        rate(session, user("member.a"), incident_id=incident.id, score=6)
    rate(session, user("member.a"), incident_id=incident.id, score=4, comment="响应及时",
         now=at(10, 12, 12))  # fmt: skip
    with pytest.raises(Conflict):
        rate(session, user("manager.a"), incident_id=incident.id, score=1)
    month = parse_period("2026-10")
    mine = survey_results(session, user("vendor.manager"), world.vendors["v1"], month.start,
                          month.end)  # fmt: skip
    assert mine.count == 1 and mine.average == 4 and mine.comments[0][3] is None  # anonymous
    named = survey_results(session, user("operator"), world.vendors["v1"], month.start,
                           month.end)  # fmt: skip
    assert named.comments[0][3] == world.users["member.a"]
    with pytest.raises(NotFound):  # another vendor's: not even seen
        survey_results(session, user("vendor2.manager"), world.vendors["v1"], month.start,
                       month.end)  # fmt: skip


def test_scorecards_weigh_compliance_satisfaction_and_the_review(session, user, world, database):
    # Two incidents in October: one within its clocks, one whose resolution clock ran out
    # (P3: 27 service hours; resolved six working days later).
    good = resolved(session, user, database, at(10, 12, 9), at(10, 12, 11))
    resolved(session, user, database, at(10, 12, 9), at(10, 20, 17))
    rate(session, user("member.a"), incident_id=good.id, score=5, now=at(10, 13, 9))
    set_expert_review(session, user("operator"), world.vendors["v1"], "2026-10", 80)
    cards = scorecards(session, user("operator"), parse_period("2026-10"), now=at(11, 2, 0))
    # v2 had no incidents, surveys or review: compliance alone, 100, ranks first.
    assert [(card.vendor.code, card.rank) for card in cards] == [("v2", 1), ("v1", 2)]
    assert cards[0].score == Decimal("100.00")
    first = cards[1]
    assert (first.incidents, first.resolution_breaches) == (2, 1)
    assert first.sla_compliance == Decimal("50.00") and first.satisfaction == Decimal("5.00")
    # (50 × 50 + 25 × 100 + 25 × 80) / 100; the resolution breach lowers the compliance,
    # and no availability breach costs penalty points.
    assert first.score == Decimal("70.00") and first.penalty == Decimal("0.00")
    assert first.mean_resolution_hours == Decimal("32.00")  # (2 + 62) / 2 service hours
    own = scorecards(session, user("vendor.manager"), parse_period("2026-10"), now=at(11, 2, 0))
    assert [card.vendor.code for card in own] == ["v1"]
    with pytest.raises(Forbidden):
        scorecards(session, user("member.a"), parse_period("2026-10"))
    with pytest.raises(Forbidden):
        set_expert_review(session, user("vendor.manager"), world.vendors["v1"], "2026-10", 99)


def test_the_api_rates_scores_and_ranks(api, app, world):
    with app.app_context():
        session = db.session
        resource = make_resource(
            session, world.agencies["a"], "postgresql",
            [(at(9, 1, 9), "created", "active", {"storage_gb": 50})],
        )  # fmt: skip
        member, tech = (session.get(User, world.users[n]) for n in ("member.a", "vendor.tech"))
        incident = incidents.open_incident(
            session, member, priority="P3", title="x", resource_id=resource.id
        )
        incidents.respond(session, tech, incident.id)
        incidents.resolve(session, tech, incident.id, "done")
        session.commit()
        incident_id = incident.id
    rated = api("member.a").post(
        "/api/v1/vendors/surveys", json={"incident_id": incident_id, "score": 5}
    )
    assert rated.status_code == 201, rated.json
    again = api("member.a").post(
        "/api/v1/vendors/surveys", json={"incident_id": incident_id, "score": 1}
    )
    assert again.status_code == 409
    period = parse_period(f"{datetime.now(BEIJING):%Y-%m}").label
    review = api("operator").put(
        f"/api/v1/vendors/{world.vendors['v1']}/reviews/{period}", json={"score": 90}
    )
    assert review.status_code == 200, review.json
    assert (
        api("vendor.manager")
        .put(f"/api/v1/vendors/{world.vendors['v1']}/reviews/{period}", json={"score": 100})
        .status_code
        == 403
    )
    cards = api("operator").get("/api/v1/vendors/scorecards", query_string={"period": period}).json
    v1 = next(card for card in cards if card["vendor"] == "v1")
    assert (v1["surveys"], v1["expert"], v1["satisfaction"]) == (1, 90, "5.00")
    results = (
        api("vendor.manager")
        .get(f"/api/v1/vendors/{world.vendors['v1']}/surveys", query_string={"period": period})
        .json
    )
    assert results["count"] == 1 and results["distribution"]["5"] == 1
    bad = api("operator").get("/api/v1/vendors/scorecards", query_string={"period": "2026-13"})
    assert bad.status_code == 422
