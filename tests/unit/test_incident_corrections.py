"""Correcting when an incident's clock stopped: the platform team only, with a reason,
never before what came earlier nor after what came later; the breach is judged again and
the old time stays on the timeline and in the audit log. A refused correction changes
nothing and is kept in the audit log."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEvent
from portal.core.errors import Conflict, Forbidden, InvalidInput
from portal.incidents import service
from portal.incidents.corrections import correct_clock
from portal.incidents.models import Incident
from tests.billing_factories import make_resource
from tests.conftest import csrf_token, database

BEIJING = ZoneInfo("Asia/Shanghai")


def at(day, hour, minute=0):
    return datetime(2026, 10, day, hour, minute, tzinfo=BEIJING)


def answered_late(session, user, world):
    """A P1 on bureau a's database (standard tier: 30 min to respond), opened on Monday
    12 October at 09:00 and answered in the portal at 09:40: a response breach."""
    resource = make_resource(
        session, world.agencies["a"], "postgresql",
        [(at(1, 9), "created", "active", {"storage_gb": 50})], name="jw-db",
    )  # fmt: skip
    incident = service.open_incident(
        session, user("member.a"), priority="P1", title="数据库无法连接",
        resource_id=resource.id, now=at(12, 9),
    )  # fmt: skip
    service.respond(session, user("vendor.tech"), incident.id, now=at(12, 9, 40))
    assert incident.response_breached
    return incident


def test_a_response_by_telephone_is_put_right_and_the_breach_judged_again(session, user, world):
    incident = answered_late(session, user, world)
    correct_clock(session, user("operator"), incident.id, "response", at(12, 9, 5),
                  "供应商 09:05 已电话响应", now=at(12, 10))  # fmt: skip
    assert incident.responded_at == at(12, 9, 5) and not incident.response_breached
    event = incident.events[-1]
    assert event.action == "correct_response"
    assert event.note == "2026-10-12 09:40 → 2026-10-12 09:05: 供应商 09:05 已电话响应"
    session.commit()
    trace = session.scalar(
        select(AuditEvent).where(AuditEvent.action == "incident.correct_response")
    )
    assert trace.before["responded_at"].startswith("2026-10-12T01:40")
    assert trace.after["responded_at"].startswith("2026-10-12T01:05")


@pytest.mark.parametrize(
    ("clock", "moment", "reason"),
    [
        ("response", at(12, 8, 59), "before the incident was opened"),
        ("response", at(12, 10, 30), "in the future"),
        ("resolution", at(12, 9, 20), "before the response"),
    ],
)
def test_a_clock_is_never_set_outside_what_happened(session, user, world, clock, moment, reason):
    incident = answered_late(session, user, world)
    service.resolve(session, user("vendor.tech"), incident.id, "已恢复", now=at(12, 9, 50))
    with pytest.raises(InvalidInput, match=reason) as refused:
        correct_clock(session, user("operator"), incident.id, clock, moment, "更正",
                      now=at(12, 10))  # fmt: skip
    assert "at" in refused.value.fields


def test_only_the_platform_team_corrects_and_only_a_stopped_clock(session, user, world):
    incident = answered_late(session, user, world)
    with pytest.raises(Forbidden):
        correct_clock(session, user("vendor.manager"), incident.id, "response", at(12, 9, 5),
                      "想改一下", now=at(12, 10))  # fmt: skip
    with pytest.raises(Conflict, match="not resolved"):
        correct_clock(session, user("operator"), incident.id, "resolution", at(12, 9, 50),
                      "更正", now=at(12, 10))  # fmt: skip
    with pytest.raises(InvalidInput, match="why"):
        correct_clock(session, user("operator"), incident.id, "response", at(12, 9, 5), " ",
                      now=at(12, 10))  # fmt: skip


def test_the_page_corrects_in_the_users_zone_and_keeps_a_refusal_on_record(app, as_user, world):
    with database(app) as session:
        from portal.accounts.models import User

        def user(name):
            return session.get(User, world.users[name])

        incident_id = answered_late(session, user, world).id
        session.commit()
    operator = as_user("operator")
    page = f"/incidents/{incident_id}"
    assert "Correct when a clock stopped" in operator.get(page).get_data(as_text=True)
    assert "Correct when a clock stopped" not in as_user("vendor.tech").get(page).get_data(
        as_text=True
    )
    action = f"{page}/correct-time"
    backwards = operator.post(action, data={
        "csrf_token": csrf_token(operator, page), "clock": "response",
        "at": "2026-10-12T08:30", "note": "更正",
    })  # fmt: skip
    assert backwards.status_code == 422
    assert "A clock cannot be set before the incident was opened" in backwards.get_data(
        as_text=True
    )
    done = operator.post(action, data={
        "csrf_token": csrf_token(operator, page), "clock": "response",
        "at": "2026-10-12T09:05", "note": "电话响应",
    })  # fmt: skip
    assert done.status_code == 302
    with database(app) as session:
        incident = session.get(Incident, incident_id)
        assert incident.responded_at == at(12, 9, 5)  # typed in Beijing time
        refused = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "request.refused")
        ).all()
        assert [event.after["path"] for event in refused] == [action]


def test_the_api_corrects_with_an_offset_and_names_a_bad_time(app, api, world):
    with database(app) as session:
        from portal.accounts.models import User

        incident_id = answered_late(session, lambda name: session.get(User, world.users[name]),
                                    world).id  # fmt: skip
        session.commit()
    path = f"/api/v1/incidents/{incident_id}/correct-time"

    def correction(moment):
        return {"clock": "response", "at": moment, "note": "电话响应"}

    naive = api("operator").post(path, json=correction("2026-10-12T09:05"))
    assert naive.status_code == 422 and "at" in naive.json["error"]["fields"]
    done = api("operator").post(path, json=correction("2026-10-12T09:05:00+08:00"))
    assert done.status_code == 200 and done.json["clocks"]["response"]["breached"] is False
    refused = api("vendor.tech").post(path, json=correction("2026-10-12T09:06:00+08:00"))
    assert refused.status_code == 403
