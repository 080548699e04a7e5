"""The JSON API: same rules as the pages, clear 4xx bodies naming the field."""

import re
import shutil

import pytest
import yaml
from flask import json
from sqlalchemy import select

from portal.accounts.models import User
from portal.api.schemas import OrderDetailOut, OrderPage
from portal.catalog.service import sync_catalog
from portal.extensions import db
from portal.orders.models import Order
from portal.orders.service import list_orders
from tests.conftest import database

VM = {"item": "vm", "parameters": {"hostname": "api-1", "flavor": "medium", "purpose": "p"}}


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


def test_no_or_bad_token_is_401_with_a_reason(client):
    assert error_of(client.get("/api/v1/orders"))["code"] == "unauthorized"
    response = client.get("/api/v1/orders", headers={"Authorization": "Bearer jy_nope"})
    assert response.status_code == 401
    assert "Authorization: Bearer" in error_of(response)["message"]


def test_a_session_cookie_does_not_authenticate_the_api(as_user):
    assert as_user("member.a").get("/api/v1/me").status_code == 401


def test_order_and_approve_through_the_api(api):
    created = api("member.a").post("/api/v1/orders", json=VM)
    assert created.status_code == 201
    order = created.get_json()
    assert order["state"] == "awaiting_approval"
    assert order["quota_cost"] == {"instances": 1, "vcpus": 2, "ram_gb": 4, "disk_gb": 40}
    queue = api("manager.a").get("/api/v1/approvals").get_json()
    assert [o["id"] for o in queue] == [order["id"]]
    api("manager.a").post(f"/api/v1/orders/{order['id']}/approve", json={"comment": "ok"})
    done = api("operator").post(f"/api/v1/orders/{order['id']}/approve", json={})
    assert done.get_json()["state"] == "approved"
    timeline = api("member.a").get(f"/api/v1/orders/{order['id']}").get_json()["events"]
    assert [e["kind"] for e in timeline][-1] == "approved"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"parameters": {}}, 422, "item"),
        ({"item": "vm"}, 422, "parameters"),
        ({"item": "vm", "parameters": "big"}, 422, "parameters"),
        ({"item": "vm", "parameters": {**VM["parameters"], "hostname": "NO"}}, 422, "hostname"),
        ({"item": "vm", "parameters": {**VM["parameters"], "vcpu": 2}}, 422, "vcpu"),
        ({"item": "nope", "parameters": {}}, 404, "item"),
        ({"item": "vm", "parameters": VM["parameters"], "extra": 1}, 422, "extra"),
    ],
)
def test_bad_order_input_names_the_field(api, body, status, field):
    response = api("member.a").post("/api/v1/orders", json=body)
    assert response.status_code == status
    assert field in error_of(response)["fields"]


def test_malformed_json_is_a_clear_400_or_422(app, world):
    response = app.test_client().post(
        "/api/v1/orders",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {world.tokens['member.a']}"},
    )
    assert response.status_code in (400, 422)
    assert error_of(response)["message"]


@pytest.mark.parametrize("escape", ["\\u0000", "\\u001f", "\\b", "\\u007f"])
def test_a_control_character_escaped_in_json_is_refused_and_nothing_written(app, world, escape):
    before = _order_count(app)
    response = app.test_client().post(
        "/api/v1/orders",
        data=json.dumps(VM).replace('"purpose": "p"', f'"purpose": "a{escape}b"'),
        content_type="application/json",
        headers={"Authorization": f"Bearer {world.tokens['member.a']}"},
    )
    assert response.status_code == 422
    assert "control characters" in error_of(response)["message"]
    assert _order_count(app) == before


def test_a_backslash_in_json_text_is_no_control_character(api):
    body = {**VM, "parameters": {**VM["parameters"], "purpose": "C:\\bin\\fix \\u0000"}}
    response = api("member.a").post("/api/v1/orders", json=body)
    assert response.status_code == 201
    assert response.get_json()["parameters"]["purpose"] == "C:\\bin\\fix \\u0000"


def _order_count(app):
    with app.app_context():
        return len(db.session.scalars(select(Order.id)).all())


def test_quota_exceeded_names_the_resources(api, world):
    api("operator").put(f"/api/v1/agencies/{world.agencies['a']}/quotas", json={"vcpus": 1})
    response = api("member.a").post("/api/v1/orders", json=VM)
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "quota_exceeded" and "vcpus" in error["fields"]


def test_approving_own_or_twice_is_refused_with_reasons(api):
    order = api("manager.a").post("/api/v1/orders", json=VM).get_json()
    own = api("manager.a").post(f"/api/v1/orders/{order['id']}/approve", json={})
    assert own.status_code == 403 and "own request" in error_of(own)["message"]
    api("manager2.a").post(f"/api/v1/orders/{order['id']}/approve", json={})
    twice = api("manager2.a").post(f"/api/v1/orders/{order['id']}/approve", json={})
    assert twice.status_code == 403


def test_another_agencys_order_is_not_found(api):
    order = api("member.a").post("/api/v1/orders", json=VM).get_json()
    for path in (f"/api/v1/orders/{order['id']}",):
        assert api("member.b").get(path).status_code == 404
    refused = api("manager.b").post(f"/api/v1/orders/{order['id']}/approve", json={})
    assert refused.status_code == 404


def test_stale_expected_version_is_409(api):
    order = api("member.a").post("/api/v1/orders", json=VM).get_json()
    api("manager.a").post(f"/api/v1/orders/{order['id']}/approve", json={})
    stale = api("operator").post(
        f"/api/v1/orders/{order['id']}/approve", json={"expected_version": order["version"]}
    )
    assert stale.status_code == 409 and "version" in error_of(stale)["fields"]


def test_quotas_are_set_by_operators_only_and_validated(api, world):
    path = f"/api/v1/agencies/{world.agencies['a']}/quotas"
    assert api("manager.a").put(path, json={"vcpus": 100}).status_code == 403
    bad = api("operator").put(path, json={"vcpus": -1, "gpus": 2})
    assert bad.status_code == 422 and {"vcpus", "gpus"} <= set(error_of(bad)["fields"])
    ok = api("operator").put(path, json={"vcpus": 100, "databases": None}).get_json()
    lines = {line["resource"]: line for line in ok["quotas"]}
    assert lines["vcpus"]["limit"] == 100 and lines["databases"]["limit"] is None


def test_agency_lists_are_scoped(api, world):
    mine = {a["code"] for a in api("manager.t").get("/api/v1/agencies").get_json()}
    assert mine == {"t", "c"}
    assert api("member.a").get(f"/api/v1/agencies/{world.agencies['b']}").status_code == 404
    assert len(api("finance").get("/api/v1/agencies").get_json()) == 5


def test_the_audit_api_is_for_auditors(api):
    assert api("member.a").get("/api/v1/audit/verify").status_code == 403
    result = api("auditor").get("/api/v1/audit/verify").get_json()
    assert result["intact"] and result["checked"] > 0
    events = api("auditor").get("/api/v1/audit/events?limit=5").get_json()
    assert len(events) == 5 and events[0]["id"] < events[1]["id"]


def test_the_openapi_document_describes_every_api_route(app, client):
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    documented = {path for path in spec["paths"]}
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
    }
    assert routes == documented


def test_messages_follow_accept_language(app, world):
    headers = {"Authorization": "Bearer jy_wrong", "Accept-Language": "zh-CN,zh;q=0.9"}
    response = app.test_client().get("/api/v1/me", headers=headers)
    assert "令牌" in error_of(response)["message"]


@pytest.mark.parametrize(
    ("language", "reasons"),
    [
        ("zh-CN", {"item": "缺少必填项。", "per_page": "须在 1 到 200 之间（含两端）。"}),
        (
            "en",
            {
                "item": "Missing data for required field.",
                "per_page": "Must be greater than or equal to 1 and less than or equal to 200.",
            },
        ),
    ],
)
def test_field_reasons_follow_accept_language(app, world, language, reasons):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world.tokens['member.a']}", "Accept-Language": language}
    missing = client.post("/api/v1/orders", json={"parameters": {}}, headers=headers)
    too_many = client.get("/api/v1/orders?per_page=500", headers=headers)
    assert error_of(missing)["fields"]["item"] == reasons["item"]
    assert error_of(too_many)["fields"]["per_page"] == reasons["per_page"]


@pytest.mark.parametrize(
    ("username", "query"),
    [
        ("member.a", ""),
        ("manager.t", "?per_page=1&page=2"),
        ("auditor", "?state=awaiting_approval"),
    ],
)
def test_the_order_list_answers_what_order_out_dumps(app, api, username, query):
    """The list is built from plain rows, not dumped by OrderPage: the same JSON."""
    for maker in ("member.a", "member.c", "member.t", "manager.a"):
        api(maker).post("/api/v1/orders", json=VM)
    api("member.a").post("/api/v1/orders", json={**VM, "submit": False})
    answer = api(username).get(f"/api/v1/orders{query}")
    assert answer.status_code == 200
    args = dict(arg.split("=") for arg in query.lstrip("?").split("&") if arg)
    page, per_page = int(args.get("page", 1)), int(args.get("per_page", 50))
    with app.test_request_context(), database(app) as session:
        actor = session.scalar(select(User).where(User.username == username))
        orders, total = list_orders(
            session, actor, state=args.get("state"), page=page, per_page=per_page
        )
        dumped = OrderPage().dump({"total": total, "page": page, "orders": orders})
        assert orders and answer.get_json() == json.loads(json.dumps(dumped))


def test_an_order_is_answered_as_order_detail_out_dumps(app, api):
    """The answers to a submission and to a read of the order (its author's and its
    approver's) are built from the order, not dumped by OrderDetailOut: the same JSON,
    approved at once, awaiting approval, a draft, and a form sent again once its order
    has a decided step."""

    def submitted(body):
        answer = api("member.a").post("/api/v1/orders", json=body)
        assert answer.status_code == 201
        path = f"/api/v1/orders/{answer.get_json()['id']}"
        reads = [api(reader).get(path) for reader in ("member.a", "manager.a")]
        with app.test_request_context(), database(app) as session:
            order = session.get(Order, answer.get_json()["id"])
            dumped = json.loads(json.dumps(OrderDetailOut().dump(order)))
        assert answer.get_json() == dumped
        assert [read.get_json() for read in reads] == [dumped, dumped]
        return answer.get_json()

    volume = {"volume_name": "logs", "size_gb": 50, "purpose": "p"}
    assert submitted({"item": "volume", "parameters": volume})["state"] == "approved"
    again = {**VM, "client_token": "tok-answer-1"}
    waiting = submitted(again)
    assert submitted({**VM, "submit": False})["state"] == "draft"
    api("manager.a").post(f"/api/v1/orders/{waiting['id']}/approve", json={"comment": "ok"})
    assert submitted(again)["steps"][0]["decided_by"] == "manager.a"


def test_a_disabled_users_token_is_refused(app, api, world):
    assert api("member.a").get("/api/v1/me").status_code == 200
    with database(app) as session:
        session.scalar(select(User).where(User.username == "member.a")).is_enabled = False
        session.commit()
    assert api("member.a").get("/api/v1/me").status_code == 401


def test_the_catalog_list_follows_a_sync_and_answers_304_when_unchanged(app, world, tmp_path):
    client, token = app.test_client(), {"Authorization": f"Bearer {world.tokens['member.a']}"}
    first = client.get("/api/v1/catalog/items", headers=token)
    versions = {item["key"]: item["version"] for item in first.get_json()}
    assert first.headers["ETag"] and versions["volume"] == 1
    unchanged = {**token, "If-None-Match": first.headers["ETag"]}
    again = client.get("/api/v1/catalog/items", headers=unchanged)
    assert again.status_code == 304
    items = tmp_path / "items"
    shutil.copytree(app.config["CATALOG_DIR"], items)
    volume = yaml.safe_load((items / "volume.yaml").read_text())
    volume["name"]["en"] = "Disk"
    (items / "volume.yaml").write_text(yaml.safe_dump(volume, allow_unicode=True))
    (items / "mysql.yaml").unlink()
    with app.test_request_context(), database(app) as session:
        sync_catalog(session, None, items)
        session.commit()
    after = client.get("/api/v1/catalog/items", headers=unchanged)
    assert after.status_code == 200
    listed = {item["key"]: item for item in after.get_json()}
    assert "mysql" not in listed
    assert (listed["volume"]["version"], listed["volume"]["name"]["en"]) == (2, "Disk")
