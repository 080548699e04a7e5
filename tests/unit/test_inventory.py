"""Day-2 actions on the simulated cloud, the credentials shown once, and the pages."""

import pytest
from flask import current_app
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound, QuotaExceeded
from portal.inventory.service import allowed_actions, request_action, reveal_secret
from portal.inventory.states import ResourceState
from portal.orders.changes import request_resize
from portal.orders.quota import subtree_usage
from portal.orders.service import approve_order, create_order
from portal.orders.states import OrderState
from portal.provisioning import engine
from portal.provisioning.drivers import current_driver
from portal.provisioning.models import Operation
from portal.provisioning.tasks import runtime
from tests.conftest import csrf_token, database

VM = {"hostname": "app-1", "flavor": "small", "data_volume_gb": 20, "purpose": "应用"}


@pytest.fixture
def user_named():
    return lambda session: lambda name: session.scalar(select(User).where(User.username == name))


def provisioned(session, user, item="vm", params=VM, who="member.a"):
    order = create_order(session, user(who), item, dict(params))
    for approver in ("manager.a", "operator") if order.steps else ():
        approve_order(session, user(approver), order.id, "ok")
    session.commit()
    operation = session.scalar(select(Operation).where(Operation.order_id == order.id))
    assert engine.run(session, operation.id, runtime(current_app)).finished
    return operation.resource


def act(session, actor, resource, action, **params):
    operation = request_action(session, actor, resource.id, action, params)
    session.commit()
    assert engine.run(session, operation.id, runtime(current_app)).finished
    session.refresh(resource)
    return operation


def server(resource):
    return current_driver().get_server(resource.cloud["project_id"], resource.cloud["server_id"])


def test_stop_start_reboot_follow_the_cloud_and_the_lifecycle(session, user):
    vm = provisioned(session, user)
    member = user("member.a")
    act(session, member, vm, "stop")
    assert vm.state == ResourceState.STOPPED and server(vm).status == "stopped"
    assert allowed_actions(session, member, vm) == ["start", "resize", "snapshot", "extend"]
    with pytest.raises(Conflict, match="while the resource is 'Stopped'"):
        request_action(session, member, vm.id, "stop")
    act(session, member, vm, "start")
    act(session, member, vm, "reboot")
    assert vm.state == ResourceState.ACTIVE and server(vm).status == "active"
    assert [e.kind for e in vm.events] == ["created", "stopped", "started", "rebooted"]
    times = [e.occurred_at for e in vm.events]
    assert times == sorted(times) and all(t.tzinfo for t in times)


def resized(session, user, vm, flavor):
    """A resize beyond automatic approval: ordered, approved by both, carried out."""
    _operation, order = request_resize(session, user("member.a"), vm.id, flavor)
    for approver in ("manager.a", "operator"):
        approve_order(session, user(approver), order.id, "ok")
    session.commit()
    operation = session.scalar(select(Operation).where(Operation.order_id == order.id))
    assert engine.run(session, operation.id, runtime(current_app)).finished
    session.refresh(vm)
    return order


def test_resize_rechecks_the_quota_and_moves_the_resources_cost(session, user):
    vm = provisioned(session, user)
    with pytest.raises(Conflict, match="needs approval"):
        request_action(session, user("operator"), vm.id, "resize", {"flavor": "large"})
    resized(session, user, vm, "large")
    assert vm.size["cloud_flavor"] == "jy.large" and server(vm).flavor == "jy.large"
    assert vm.quota_cost["vcpus"] == 4 and vm.quota_cost["ram_gb"] == 8
    assert vm.events[-1].kind == "resized" and vm.events[-1].size["vcpus"] == 4
    assert subtree_usage(session, vm.agency)["vcpus"] == 4
    with pytest.raises(InvalidInput) as refused:
        request_action(session, user("member.a"), vm.id, "resize", {"flavor": "gigantic"})
    assert "flavor" in refused.value.fields


def test_a_resize_beyond_the_quota_is_refused_and_changes_nothing(session, user):
    vm = provisioned(session, user, who="member.c", params={**VM, "data_volume_gb": 0})
    # Community c may hold 4 vCPUs; a large VM needs 4 but its small one already holds 1…
    other = provisioned(
        session, user, who="member.c", params={**VM, "hostname": "app-2", "data_volume_gb": 0}
    )
    with pytest.raises(QuotaExceeded):
        request_resize(session, user("member.c"), vm.id, "large")
    session.rollback()
    assert session.scalars(select(Operation).where(Operation.resource_id == vm.id)).all() == [
        vm.order and session.scalar(select(Operation).where(Operation.order_id == vm.order_id))
    ]
    assert other.state == ResourceState.ACTIVE


def test_extend_and_snapshot_the_data_volume(session, user):
    vm = provisioned(session, user)
    with pytest.raises(InvalidInput):
        request_action(session, user("member.a"), vm.id, "extend", {"size_gb": 10})
    act(session, user("member.a"), vm, "extend", size_gb=30)
    assert vm.size["data_volume_gb"] == 30 and vm.quota_cost["disk_gb"] == 40 + 30
    act(session, user("member.a"), vm, "snapshot")
    assert len(vm.cloud["snapshots"]) == 1 and vm.size["snapshot_gb"] == 30
    assert [e.kind for e in vm.events][-2:] == ["extended", "snapshot_created"]


def test_delete_frees_the_quota_and_leaves_nothing_in_the_cloud(session, user):
    vm = provisioned(session, user)
    with pytest.raises(Forbidden):
        request_action(session, user("member.a"), vm.id, "delete")
    act(session, user("manager.a"), vm, "delete")
    assert vm.state == ResourceState.DELETED and vm.deleted_at is not None
    assert server(vm) is None
    assert [
        o for o in current_driver().list_tagged() if o.tags["jiyun_agency"] == str(vm.agency_id)
    ] == []
    assert subtree_usage(session, vm.agency).get("instances", 0) == 0
    with pytest.raises(Conflict):
        request_action(session, user("manager.a"), vm.id, "resize", {"flavor": "large"})


def test_one_operation_at_a_time_and_only_where_it_applies(session, user):
    vm = provisioned(session, user, params={**VM, "data_volume_gb": 0})
    assert "snapshot" not in allowed_actions(session, user("member.a"), vm)
    with pytest.raises(Conflict, match="does not apply"):
        request_action(session, user("member.a"), vm.id, "snapshot")
    request_action(session, user("member.a"), vm.id, "stop")
    session.commit()
    with pytest.raises(Conflict, match="still running"):
        request_action(session, user("member.a"), vm.id, "reboot")


def test_another_agencys_resource_is_not_found(session, user):
    vm = provisioned(session, user)
    for outsider in ("member.b", "manager.b", "vendor.tech"):
        with pytest.raises(NotFound):
            request_action(session, user(outsider), vm.id, "stop")
    with pytest.raises(Forbidden):
        request_action(session, user("auditor"), vm.id, "stop")


def test_the_password_is_shown_once_to_the_requester(session, user):
    database = provisioned(session, user, "postgresql", {"database_name": "gis", "purpose": "GIS"})
    with pytest.raises(Forbidden):
        reveal_secret(session, user("manager.a"), database.id)
    password = reveal_secret(session, user("member.a"), database.id)
    session.commit()
    assert len(password) >= 20 and database.sealed_secret is None
    with pytest.raises(Conflict, match="shown once"):
        reveal_secret(session, user("member.a"), database.id)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_the_pages_show_progress_resources_and_actions(app, as_user, user_named, language):
    # Pages are requested outside the test's own app context: Flask-WTF keeps the CSRF
    # token in `g`, which a request would otherwise share with the test.
    with database(app) as session:
        vm = provisioned(session, user_named(session))
        vm_id, order_id, server_id = vm.id, vm.order_id, vm.cloud["server_id"]
    client = as_user("member.a")
    client.get(f"/language/{language}")
    page = client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert ("Provisioning" if language == "en" else "开通") in page
    assert f"/resources/{vm_id}" in page and "progress.js" in page
    detail = client.get(f"/resources/{vm_id}").get_data(as_text=True)
    assert server_id in detail
    assert ("Stop" if language == "en" else "关机") in detail
    assert "app-1" in client.get("/resources/").get_data(as_text=True)
    token = csrf_token(client, f"/resources/{vm_id}")
    answer = client.post(f"/resources/{vm_id}/stop", data={"csrf_token": token})
    assert answer.status_code == 302
    with database(app) as session:
        operation_id = session.scalar(
            select(Operation.id).where(Operation.resource_id == vm_id, Operation.kind == "stop")
        )
    live = client.get(f"/operations/{operation_id}/progress").get_data(as_text=True)
    assert 'data-finished="0"' in live
    refused = client.post(f"/resources/{vm_id}/reboot", data={"csrf_token": token})
    assert refused.status_code == 409


@pytest.mark.parametrize(("language", "custom"), [("en", "Custom size"), ("zh_CN", "自定义规格")])
def test_a_custom_size_vm_page_shows_its_size(app, as_user, user_named, language, custom):
    params = {**VM, "flavor": "custom", "vcpus": 3, "ram_gb": 6}
    with database(app) as session:
        vm_id = provisioned(session, user_named(session), params=params).id
    client = as_user("member.a")
    client.get(f"/language/{language}")
    detail = client.get(f"/resources/{vm_id}").get_data(as_text=True)
    assert f"{custom} (3 vCPU / 6 GB)" in detail
    # The choices made at creation: the image.
    assert ("Kylin V10" if language == "en" else "银河麒麟 V10") in detail


@pytest.mark.parametrize(("language", "shown"), [("en", "SSD"), ("zh_CN", "高性能 SSD")])
def test_a_volume_page_shows_its_type(app, as_user, user_named, language, shown):
    params = {"volume_name": "fast-1", "size_gb": 20, "volume_type": "ssd", "purpose": "db"}
    with database(app) as session:
        volume_id = provisioned(session, user_named(session), "volume", params).id
    client = as_user("member.a")
    client.get(f"/language/{language}")
    detail = client.get(f"/resources/{volume_id}").get_data(as_text=True)
    label = "Performance type" if language == "en" else "性能类型"
    assert f"<dt>{label}</dt><dd>{shown}</dd>" in detail


def test_the_api_lists_reads_and_acts(api, session, user):
    vm = provisioned(session, user)
    listing = api("member.a").get("/api/v1/resources").get_json()
    assert [r["id"] for r in listing["resources"]] == [vm.id]
    assert api("member.b").get("/api/v1/resources").get_json()["resources"] == []
    made = api("member.a").get(f"/api/v1/resources?order_id={vm.order_id}").get_json()
    assert [r["id"] for r in made["resources"]] == [vm.id]
    assert api("member.a").get("/api/v1/resources?order_id=999").get_json()["total"] == 0
    detail = api("member.a").get(f"/api/v1/resources/{vm.id}").get_json()
    assert detail["events"][0]["kind"] == "created" and detail["cloud"]["server_id"]
    started = api("member.a").post(f"/api/v1/resources/{vm.id}/actions", json={"action": "stop"})
    assert started.status_code == 202 and started.get_json()["state"] == "queued"
    followed = api("member.a").get(f"/api/v1/operations/{started.get_json()['id']}")
    assert followed.status_code == 200 and followed.get_json()["kind"] == "stop"
    busy = api("member.a").post(f"/api/v1/resources/{vm.id}/actions", json={"action": "reboot"})
    assert busy.status_code == 409 and "still running" in busy.get_json()["error"]["message"]
    bad = api("member.a").post(f"/api/v1/resources/{vm.id}/actions", json={"action": "explode"})
    assert bad.status_code == 422
    assert api("member.b").get(f"/api/v1/operations/{started.get_json()['id']}").status_code == 404


def test_a_resize_beyond_automatic_approval_is_an_order_for_the_items_chain(session, user):
    vm = provisioned(session, user, params={**VM, "data_volume_gb": 0})
    with pytest.raises(InvalidInput):
        request_resize(session, user("member.a"), vm.id, "gigantic")
    operation, order = request_resize(session, user("member.a"), vm.id, "medium")
    session.commit()
    assert operation is None and order.purpose == "resize"
    assert order.state == OrderState.AWAITING_APPROVAL
    assert order.quota_cost == {"vcpus": 1, "ram_gb": 2}  # what it adds, held while pending
    assert subtree_usage(session, vm.agency)["vcpus"] == 2
    with pytest.raises(Conflict, match="already waiting"):
        request_resize(session, user("member2.a"), vm.id, "large")
    session.rollback()
    approve_order(session, user("manager.a"), order.id, "ok")
    approve_order(session, user("operator"), order.id, "ok")
    session.commit()
    assert order.state == OrderState.PROVISIONING
    resize = session.scalar(select(Operation).where(Operation.order_id == order.id))
    assert resize.kind == "resize" and resize.resource_id == vm.id
    assert engine.run(session, resize.id, runtime(current_app)).finished
    session.refresh(order)
    assert order.state == OrderState.FULFILLED
    assert vm.size["cloud_flavor"] == "jy.medium" and server(vm).flavor == "jy.medium"
    assert subtree_usage(session, vm.agency)["vcpus"] == 2  # counted once, on the resource
