"""A refused change is kept in the audit log, alone: the rules' refusals (403, 404, 409,
422 with a reason) of pages and API calls, with who, where and why, while what the
request did before it was refused is rolled back. Reading is not a change."""

from sqlalchemy import func, select

from portal.core.audit import AuditEvent
from portal.vendors.models import Contract
from tests.conftest import csrf_token, database
from tests.factories import CONTRACT_YEAR

VM = {"item": "vm", "parameters": {"hostname": "api-1", "flavor": "medium", "purpose": "p"}}


def refusals(app):
    with database(app) as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "request.refused").order_by(AuditEvent.id)
        ).all()
        session.expunge_all()
        return events


def test_approving_ones_own_request_is_refused_on_the_record(app, api):
    order = api("manager.a").post("/api/v1/orders", json=VM).get_json()
    own = api("manager.a").post(f"/api/v1/orders/{order['id']}/approve", json={})
    assert own.status_code == 403
    (event,) = refusals(app)
    assert event.actor_name == "manager.a" and event.object_id == "api_orders.approve"
    assert event.after["path"] == f"/api/v1/orders/{order['id']}/approve"
    assert event.after["status"] == 403 and "own request" in event.note


def test_an_overlapping_contract_is_refused_on_the_record_and_not_written(app, as_user, world):
    operator = as_user("operator")
    page = f"/vendors/{world.vendors['v2']}"
    overlapping = {
        "csrf_token": csrf_token(operator, page),
        "number": "HT-overlap",
        "starts_on": CONTRACT_YEAR[0].isoformat(),
        "ends_on": CONTRACT_YEAR[1].isoformat(),
        "domains": ["health"],  # vendor v1's domain in the same years
    }
    refused = operator.post(f"{page}/contracts", data=overlapping)
    assert refused.status_code == 409
    (event,) = refusals(app)
    assert event.actor_name == "operator" and event.after["fields"] == {
        "domains": "Overlaps contract " + f"HT-v1-{CONTRACT_YEAR[0].year}."
    }
    assert "one designated vendor at a time" in event.note
    with database(app) as session:
        assert not session.scalar(select(Contract.id).where(Contract.number == "HT-overlap"))


def test_rating_another_agencys_request_is_refused_on_the_record(app, api, as_user):
    order = api("member.b").post("/api/v1/orders", json=VM).get_json()
    member = as_user("member.a")
    rated = member.post(
        f"/vendors/surveys/order/{order['id']}",
        data={"csrf_token": csrf_token(member, "/orders/"), "score": "5"},
    )
    assert rated.status_code == 404
    (event,) = refusals(app)
    assert event.actor_name == "member.a" and event.after["status"] == 404


def test_reading_and_succeeding_leave_no_refusal(app, api):
    member = api("member.a")
    assert member.get("/api/v1/orders/999999").status_code == 404
    assert member.post("/api/v1/orders", json=VM).status_code == 201
    assert refusals(app) == []
    with database(app) as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) > 0
