"""Provisioning on the simulated cloud and simulated playbooks: the engine's saga
(steps, adoption on re-run, retries, compensation) and what it leaves in the
inventory. The real OpenStack and Ansible runs are in tests/integration."""

import json
import sqlite3

import pytest
from celery.exceptions import Retry
from flask import current_app
from sqlalchemy import select

from portal.core.audit import AuditEvent
from portal.core.sealing import unseal
from portal.inventory.models import Resource
from portal.inventory.states import ResourceState
from portal.orders.quota import subtree_usage
from portal.orders.service import approve_order, create_order
from portal.orders.states import OrderState
from portal.provisioning import engine
from portal.provisioning.ansible import PlaybookResult
from portal.provisioning.drivers import current_driver
from portal.provisioning.drivers.base import tags_for
from portal.provisioning.models import Operation
from portal.provisioning.states import OperationState, StepState
from portal.provisioning.tasks import runtime, sync_project
from portal.tenancy.service import set_quotas

VM_WITH_DATA = {"hostname": "gis-1", "flavor": "small", "data_volume_gb": 50, "purpose": "GIS"}
SMALL_VOLUME = {"volume_name": "logs", "size_gb": 50, "purpose": "日志"}


def approved(session, user, item, params, *, by=("manager.a", "operator")):
    order = create_order(session, user("member.a"), item, params)
    for approver in by if order.state == OrderState.AWAITING_APPROVAL else ():
        approve_order(session, user(approver), order.id, "ok")
    session.commit()
    assert order.state == OrderState.APPROVED
    return order


def operation_of(session, order):
    return session.scalar(select(Operation).where(Operation.order_id == order.id))


def run(session, operation):
    return engine.run(session, operation.id, runtime(current_app))


def run_with_spec(session, order, **changes):
    """Run the order's operation with its spec changed, as a catalog naming what the
    cloud does not have would."""
    operation = operation_of(session, order)
    operation.spec = {**operation.spec, **changes}
    session.commit()
    assert run(session, operation).finished
    return operation


def tagged(operation):
    return [o for o in current_driver().list_tagged() if o.operation_id == operation.id]


def test_an_approved_vm_is_made_step_by_step_and_lands_in_the_inventory(session, user):
    order = approved(session, user, "vm", VM_WITH_DATA)
    operation = operation_of(session, order)
    assert operation.state == OperationState.QUEUED
    assert [s.name for s in operation.steps] == [
        "prepare_project",
        "create_server",
        "create_data_volume",
        "attach_data_volume",
        "post_boot",
    ]
    assert run(session, operation).finished
    session.refresh(order)
    assert operation.state == OperationState.SUCCEEDED
    assert all(s.state == StepState.DONE for s in operation.steps)
    assert order.state == OrderState.FULFILLED
    assert [e.kind for e in order.events][-2:] == ["provisioning", "fulfilled"]
    resource = operation.resource
    assert resource.state == ResourceState.ACTIVE
    assert resource.cloud["server_id"] and resource.cloud["volume_id"]
    assert resource.cloud["addresses"]
    assert [e.kind for e in resource.events] == ["created"]
    assert resource.size["cloud_flavor"] == "jy.small"
    names = sorted((o.kind, o.name) for o in tagged(operation))
    assert names == [("server", "gis-1"), ("volume", "gis-1-data")]
    assert all(o.tags == tags_for(operation.id, order.agency_id) for o in tagged(operation))
    # The order's quota cost moved to the resource: counted once.
    usage = subtree_usage(session, order.agency)
    assert usage["instances"] == 1 and usage["disk_gb"] == 40 + 50
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"operation.provision.succeeded", "resource.created", "order.fulfilled"} <= actions


def test_a_custom_size_vm_is_made_on_a_flavour_named_after_its_size(session, user):
    custom = {"hostname": "etl-1", "flavor": "custom", "vcpus": 3, "ram_gb": 6, "purpose": "ETL"}
    order = approved(session, user, "vm", custom)
    operation = operation_of(session, order)
    assert operation.spec["cloud_flavor"] == "jy.custom-3c6g"
    assert run(session, operation).finished
    assert operation.state == OperationState.SUCCEEDED, operation.error
    resource = operation.resource
    assert resource.state == ResourceState.ACTIVE
    assert (resource.size["vcpus"], resource.size["ram_gb"]) == (3, 6)
    server = current_driver().get_server(resource.cloud["project_id"], resource.cloud["server_id"])
    assert server.flavor == "jy.custom-3c6g"


def test_a_volume_is_made_of_the_cloud_type_its_option_names(session, user, monkeypatch):
    asked = []
    create_volume = current_driver().create_volume
    monkeypatch.setattr(
        current_driver(),
        "create_volume",
        lambda *args, **kwargs: (
            asked.append(kwargs["volume_type"]) or create_volume(*args, **kwargs)
        ),
    )
    for volume_type, cloud_type in (("ssd", "jy-ssd"), ("standard", "jy-standard")):
        order = approved(session, user, "volume", {**SMALL_VOLUME, "volume_type": volume_type})
        operation = operation_of(session, order)
        assert run(session, operation).finished
        assert operation.state == OperationState.SUCCEEDED, operation.error
        assert asked[-1] == cloud_type
        # The inventory keeps the type: metering prices the volume by it.
        assert session.get(Resource, operation.resource_id).size["cloud_volume_type"] == cloud_type
    # A VM's data volume is of the cloud's default type.
    run(session, operation_of(session, approved(session, user, "vm", VM_WITH_DATA)))
    assert asked[-1] is None
    # A type the cloud does not have fails the operation in the cloud's words.
    order = approved(session, user, "volume", SMALL_VOLUME)
    operation = run_with_spec(session, order, cloud_volume_type="jy-nvme")
    assert operation.state == OperationState.FAILED
    assert "jy-nvme" in operation.error


def test_a_step_run_again_adopts_what_the_first_attempt_made(session, user):
    order = approved(session, user, "volume", SMALL_VOLUME)
    operation = operation_of(session, order)
    # A first worker made the volume, then died before recording it.
    project = current_driver().ensure_project("a", {})
    made = current_driver().create_volume(
        project, name="logs", size_gb=50, tags=tags_for(operation.id, order.agency_id)
    )
    # What the first run had committed before making it: the step running, once.
    operation.steps[1].state, operation.steps[1].attempts = StepState.RUNNING, 1
    session.commit()
    assert run(session, operation).finished
    assert operation.state == OperationState.SUCCEEDED
    assert [o.id for o in tagged(operation)] == [made.id]
    assert operation.resource.cloud["volume_id"] == made.id
    assert any(e.kind == "adopted" for e in operation.events)


def test_a_permanent_failure_undoes_what_was_made_and_says_why(session, user):
    broken = {**VM_WITH_DATA, "hostname": "bad-1"}
    order = approved(session, user, "vm", broken)
    operation = operation_of(session, order)
    # The post-boot playbook fails after the server and volume exist.
    app_config = current_app.config
    runner = runtime(current_app)

    def failing_playbook(playbook, **kwargs):
        if kwargs["extravars"].get("state") == "absent":
            return PlaybookResult("successful", 0, {}, None, "")
        return PlaybookResult("failed", 2, {}, "Configure the guest: unreachable host", "")

    runner.run_playbook = failing_playbook
    assert engine.run(session, operation.id, runner).finished
    session.refresh(order)
    assert operation.state == OperationState.FAILED
    assert "unreachable host" in operation.error
    states = {s.name: s.state for s in operation.steps}
    assert states == {
        "prepare_project": StepState.COMPENSATED,
        "create_server": StepState.COMPENSATED,
        "create_data_volume": StepState.COMPENSATED,
        "attach_data_volume": StepState.COMPENSATED,
        "post_boot": StepState.FAILED,
    }
    assert tagged(operation) == []  # nothing left in the cloud
    assert order.state == OrderState.FAILED
    assert "unreachable host" in order.events[-1].comment
    assert operation.resource.state == ResourceState.FAILED
    assert subtree_usage(session, order.agency).get("instances", 0) == 0
    assert app_config["PROVISION_MAX_ATTEMPTS"] >= 1


def test_a_cloud_error_is_reported_in_the_clouds_words(session, user):
    order = approved(session, user, "vm", {**VM_WITH_DATA, "data_volume_gb": 0})
    operation = run_with_spec(session, order, cloud_image="broken")
    assert operation.state == OperationState.FAILED
    assert "hypervisor refused" in operation.error
    assert tagged(operation) == []


def test_the_cloud_away_means_retries_then_a_clean_failure(session, user, app):
    app.config["PROVISION_MAX_ATTEMPTS"] = 2
    order = approved(session, user, "volume", SMALL_VOLUME)
    operation = operation_of(session, order)
    current_driver().reachable = False
    first = run(session, operation)
    assert not first.finished and first.retry_in > 0
    assert operation.state == OperationState.RUNNING
    assert any(e.kind == "retry" for e in operation.events)
    # The second attempt fails too: the operation gives up and undoes what it did
    # (nothing had reached the cloud, so there is nothing to wait for).
    assert run(session, operation).finished
    session.refresh(order)
    assert operation.state == OperationState.FAILED
    assert "did not answer" in operation.error
    assert order.state == OrderState.FAILED
    current_driver().reachable = True
    assert tagged(operation) == []


def test_undoing_waits_for_the_cloud_to_come_back(session, user, app):
    app.config["PROVISION_MAX_ATTEMPTS"] = 1
    order = approved(session, user, "vm", VM_WITH_DATA)
    operation = operation_of(session, order)
    runner = runtime(current_app)
    playbook = runner.run_playbook

    def cloud_goes_away(name, **kwargs):  # after the server and volume were made
        if kwargs["extravars"]["state"] == "absent":
            return playbook(name, **kwargs)
        current_driver().reachable = False
        return PlaybookResult("failed", 2, {}, "Configure the guest: timed out", "")

    runner.run_playbook = cloud_goes_away
    outcome = engine.run(session, operation.id, runner)
    assert not outcome.finished and outcome.retry_in > 0
    assert operation.state == OperationState.COMPENSATING
    current_driver().reachable = True
    assert engine.run(session, operation.id, runner).finished
    assert operation.state == OperationState.FAILED and operation.fully_undone
    assert tagged(operation) == []


def test_the_cloud_back_in_time_means_success(session, user):
    order = approved(session, user, "volume", SMALL_VOLUME)
    operation = operation_of(session, order)
    current_driver().reachable = False
    assert not run(session, operation).finished
    current_driver().reachable = True
    assert run(session, operation).finished
    assert operation.state == OperationState.SUCCEEDED


def test_a_cloud_its_settings_cannot_reach_is_said_once_and_tried_again(
    session, user, app, monkeypatch
):
    # Imported here: a task named at a test module's top is a proxy that pytest's
    # collection evaluates, which binds the Celery app before the e2e tests configure it.
    from portal.provisioning.tasks import run_operation

    order = approved(session, user, "volume", SMALL_VOLUME)
    operation_id = operation_of(session, order).id
    session.rollback()  # the task has its own session: on SQLite this one's BEGIN holds the lock
    # A real openstacksdk, asked for a cloud its clouds.yaml does not name.
    monkeypatch.setitem(app.config, "CLOUD_DRIVER", "openstack")
    monkeypatch.setitem(app.config, "OS_CLOUD", "no-such-cloud")
    monkeypatch.delitem(app.extensions, "jiyun_cloud_driver", raising=False)
    for _ in range(2):
        with pytest.raises(Retry):
            run_operation(operation_id)
    operation = session.get(Operation, operation_id)
    assert operation.state == OperationState.QUEUED and operation.attempts == 0
    (event,) = [e for e in operation.events if e.kind == "retry"]
    assert "Cloud no-such-cloud was not found" in event.message
    assert "again in 60 s" in event.message


def test_a_claimed_operation_is_left_to_its_worker(session, user):
    order = approved(session, user, "volume", SMALL_VOLUME)
    operation = operation_of(session, order)
    runner = runtime(current_app)
    assert engine._claim(session, operation.id, runner) is not None
    outcome = engine.run(session, operation.id, runner)
    assert not outcome.finished and outcome.retry_in > 1
    assert operation.state == OperationState.QUEUED


def test_a_database_gets_unique_names_and_a_password_sealed_for_its_owner(session, user):
    order = create_order(
        session, user("member.a"), "postgresql", {"database_name": "gis", "purpose": "GIS"}
    )
    for approver in ("manager.a", "operator"):
        approve_order(session, user(approver), order.id, "ok")
    session.commit()
    operation = operation_of(session, order)
    assert operation.spec["db_name"] == f"jy{order.id}_gis"
    password = unseal(operation.sealed_secret)
    assert len(password) >= 20 and password not in str(operation.spec)
    assert run(session, operation).finished
    resource = operation.resource
    assert resource.kind == "database"
    assert resource.cloud["database"] == f"jy{order.id}_gis"
    assert unseal(resource.sealed_secret) == password
    assert operation.sealed_secret is None
    assert password not in str([e.message for e in operation.events])


@pytest.mark.parametrize("kind", ["vm", "volume"])
def test_the_operation_is_committed_before_the_worker_is_asked(session, user, kind, monkeypatch):
    sent = []
    monkeypatch.setattr(
        "portal.provisioning.service.celery.send_task",
        lambda name, args: sent.append((name, args, _committed(args[0]))),
    )
    params = VM_WITH_DATA if kind == "vm" else SMALL_VOLUME
    order = approved(session, user, kind, params)
    operation = operation_of(session, order)
    assert sent == [("portal.provisioning.run_operation", [operation.id], True)]


def _committed(operation_id):
    from portal.extensions import db

    with db.engine.connect() as connection:
        return (
            connection.scalar(select(Operation.id).where(Operation.id == operation_id)) is not None
        )


def test_the_resource_is_recorded_once_per_order(session, user):
    order = approved(session, user, "volume", SMALL_VOLUME)
    assert session.scalar(select(Resource).where(Resource.order_id == order.id)) is not None


def project_quotas(app, project):
    """The quotas the simulated cloud holds for a project."""
    with sqlite3.connect(app.config["SIMULATED_CLOUD_PATH"]) as cloud:
        (quotas,) = cloud.execute("SELECT quotas FROM projects WHERE id = ?", (project,)).fetchone()
    return json.loads(quotas)


def test_the_agency_project_is_made_once_and_follows_quota_changes(session, user, app):
    first = approved(session, user, "volume", SMALL_VOLUME)
    agency = first.agency
    # The project is made with the quotas the agency has when it is made.
    set_quotas(session, user("operator"), agency.id, {"instances": 7})
    session.commit()
    run(session, operation_of(session, first))
    project = agency.cloud_project_id
    quotas = project_quotas(app, project)
    assert quotas == agency.quota_limits() and quotas["instances"] == 7
    assert project == operation_of(session, first).resource.cloud["project_id"]
    # The next order of the agency uses the project without asking the cloud again.
    current_driver().reachable = False
    second = approved(session, user, "volume", {**SMALL_VOLUME, "volume_name": "logs-2"})
    operation = operation_of(session, second)
    assert operation.spec["project_id"] == project
    assert not run(session, operation).finished  # create_volume needs the cloud
    assert operation.steps[0].state == StepState.DONE
    current_driver().reachable = True
    # An operator's quota change reaches the project through the worker's task.
    set_quotas(session, user("operator"), agency.id, {"instances": 3})
    session.commit()
    sync_project.apply(args=[agency.id])
    assert project_quotas(app, project)["instances"] == 3
