"""Reconciliation against the simulated cloud: orphans, missing and changed resources."""

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from portal.core.audit import AuditEvent
from portal.core.locks import acquire, release
from portal.inventory.models import CloudOrphan
from portal.inventory.reconcile import reconcile
from portal.inventory.states import ResourceState
from portal.inventory.tasks import reconcile_now
from portal.orders.service import create_order
from portal.provisioning import engine
from portal.provisioning.drivers import current_driver
from portal.provisioning.drivers.base import tags_for
from portal.provisioning.models import Operation
from portal.provisioning.tasks import runtime

VM = {"hostname": "rc-1", "flavor": "small", "purpose": "reconcile"}


def active_vm(session, user):
    order = create_order(session, user("member.a"), "vm", dict(VM))
    session.commit()
    operation = session.scalar(select(Operation).where(Operation.order_id == order.id))
    assert engine.run(session, operation.id, runtime(current_app)).finished
    return operation.resource


def test_a_clean_cloud_reports_nothing(session, user):
    active_vm(session, user)
    report = reconcile(session, current_driver())
    assert list(report.lines()) == []


def test_an_orphan_is_reported_then_deleted_after_the_grace_period(session, user):
    vm = active_vm(session, user)
    driver = current_driver()
    stray = driver.create_server(
        vm.cloud["project_id"],
        name="stray",
        flavor="jy.small",
        image="cirros-tiny",
        root_disk_gb=20,
        tags=tags_for("00000000-0000-0000-0000-000000000000", vm.agency_id),
    )
    first = reconcile(session, driver, grace=timedelta(hours=1))
    session.commit()
    assert [line.split(":")[0] for line in first.lines()] == ["orphan found"]
    assert driver.get_server(vm.cloud["project_id"], stray.id) is not None
    # Still within the grace period: reported once, left alone.
    assert list(reconcile(session, driver, grace=timedelta(hours=1)).lines()) == []
    cleaned = reconcile(session, driver, grace=timedelta(0))
    session.commit()
    assert [line.split(":")[0] for line in cleaned.lines()] == ["orphan deleted"]
    assert driver.get_server(vm.cloud["project_id"], stray.id) is None
    assert session.scalar(select(CloudOrphan)).cleaned_at is not None
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"cloud.orphan_found", "cloud.orphan_deleted"} <= actions
    assert driver.get_server(vm.cloud["project_id"], vm.cloud["server_id"]) is not None


def test_a_dry_run_changes_nothing(session, user):
    vm = active_vm(session, user)
    current_driver().delete_server(vm.cloud["project_id"], vm.cloud["server_id"])
    report = reconcile(session, current_driver(), dry_run=True)
    session.rollback()
    assert report.missing and vm.state == ResourceState.ACTIVE


def test_a_vanished_server_is_marked_missing_and_found_again(session, user):
    vm = active_vm(session, user)
    driver = current_driver()
    driver.stop_server(vm.cloud["project_id"], vm.cloud["server_id"])
    report = reconcile(session, driver)
    session.commit()
    assert report.drifted and vm.state == ResourceState.STOPPED
    assert "stopped" in vm.attention and vm.events[-1].kind == "stopped"
    driver.delete_server(vm.cloud["project_id"], vm.cloud["server_id"])
    reconcile(session, driver)
    session.commit()
    assert vm.state == ResourceState.MISSING and vm.events[-1].kind == "missing"


def test_objects_of_a_running_operation_are_left_alone(session, user):
    order = create_order(session, user("member.a"), "vm", dict(VM))
    session.commit()
    operation = session.scalar(select(Operation).where(Operation.order_id == order.id))
    project = current_driver().ensure_project("a", {})
    current_driver().create_server(
        project,
        name="rc-1",
        flavor="jy.small",
        image="cirros-tiny",
        root_disk_gb=20,
        tags=tags_for(operation.id, order.agency_id),
    )
    assert list(reconcile(session, current_driver(), grace=timedelta(0)).lines()) == []


def test_two_reconciliations_never_overlap(session, user):
    holder = acquire(session, "reconcile", timedelta(minutes=5))
    assert holder is not None
    assert reconcile_now(session) is None  # skipped: held
    release(session, "reconcile", holder)
    assert reconcile_now(session) is not None
