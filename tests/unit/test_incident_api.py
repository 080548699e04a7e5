"""The incidents API: open, follow the clocks, act, with the same rules as the pages."""

from datetime import UTC, datetime

import pytest

from portal.extensions import db
from tests.billing_factories import make_resource


@pytest.fixture
def database_id(app, world):
    """Bureau a's PostgreSQL database: v1 operates it (a is hybrid, v1 runs postgresql)."""
    with app.app_context():
        resource = make_resource(
            db.session,
            world.agencies["a"],
            "postgresql",
            [(datetime(2026, 9, 1, tzinfo=UTC), "created", "active", {"storage_gb": 50})],
        )
        db.session.commit()
        return resource.id


def test_an_incident_goes_from_report_to_confirmation(api, world, database_id):
    member, tech = api("member.a"), api("vendor.tech")
    opened = member.post(
        "/api/v1/incidents",
        json={"resource_id": database_id, "priority": "P2", "title": "数据库连接超时"},
    )
    assert opened.status_code == 201, opened.json
    incident = opened.json
    assert incident["vendor"] == "v1" and incident["state"] == "open"
    clock = incident["clocks"]["response"]
    assert clock["target_seconds"] == 3600 and clock["breached"] is False
    path = f"/api/v1/incidents/{incident['id']}"
    assert member.post(path + "/respond", json={}).status_code == 403
    for action, caller, note in (
        ("respond", tech, None),
        ("wait", tech, "请提供账号"),
        ("resume", member, "已提供"),
        ("resolve", tech, "已修复"),
        ("close", member, None),
    ):
        answer = caller.post(f"{path}/{action}", json={"note": note})
        assert answer.status_code == 200, (action, answer.json)
    detail = member.get(path).json
    assert detail["state"] == "closed" and detail["technician"] == "V1-001"
    assert [e["action"] for e in detail["events"]] == [
        "opened",
        "respond",
        "wait",
        "resume",
        "resolve",
        "close",
    ]
    again = tech.post(path + "/resolve", json={"note": "x"})
    assert again.status_code == 409


def test_each_sees_their_own_incidents(api, world, database_id):
    member = api("member.a")
    made = member.post(
        "/api/v1/incidents",
        json={"resource_id": database_id, "priority": "P3", "title": "慢"},
    ).json
    assert [i["id"] for i in member.get("/api/v1/incidents").json["incidents"]] == [made["id"]]
    assert api("member.b").get("/api/v1/incidents").json["total"] == 0
    assert api("member.b").get(f"/api/v1/incidents/{made['id']}").status_code == 404
    assert api("vendor.manager").get("/api/v1/incidents").json["total"] == 1
    assert api("vendor2.manager").get("/api/v1/incidents").json["total"] == 0
    assert api("auditor").get(f"/api/v1/incidents/{made['id']}").status_code == 200
    refused = api("auditor").post(
        f"/api/v1/incidents/{made['id']}/comment", json={"note": "看一下"}
    )
    assert refused.status_code == 403


def test_bad_input_is_a_422_naming_the_field(api, world, database_id):
    member = api("member.a")
    bad = member.post("/api/v1/incidents", json={"priority": "P7", "title": ""})
    assert bad.status_code == 422
    assert {"priority", "title"} <= set(bad.json["error"]["fields"])
    other = api("member.b").post(
        "/api/v1/incidents", json={"resource_id": database_id, "priority": "P3", "title": "x"}
    )
    assert other.status_code == 404
    made = member.post(
        "/api/v1/incidents", json={"resource_id": database_id, "priority": "P3", "title": "x"}
    ).json
    assign = api("vendor.manager").post(
        f"/api/v1/incidents/{made['id']}/assign",
        json={"technician_id": world.technicians["v2"]},
    )
    assert assign.status_code == 422 and "technician_id" in assign.json["error"]["fields"]
    wait = f"/api/v1/incidents/{made['id']}/wait"
    assert api("vendor.tech").post(wait, json={}).status_code == 422  # say what is needed
    early = api("vendor.tech").post(wait, json={"note": "请提供日志"})
    assert early.status_code == 409  # still open: it must be responded to first
