"""Maintenance runs: the planning rules (responsible vendor, valid certificate covering
the agency and the playbook's skill, check before apply, approval for high risk and
outside the window, four eyes), the run itself on the simulated runner, and who sees
what. The playbooks run for real in tests/integration/test_maintenance_runs.py."""

import re
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from portal.accounts.roles import Role
from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.core.sealing import seal
from portal.maintenance import approvals, runner, service
from portal.maintenance.catalog import (
    CATALOG,
    CatalogError,
    clean_parameters,
    load_catalog,
    playbooks,
)
from portal.maintenance.models import MaintenanceRun
from portal.maintenance.states import RunState
from portal.maintenance.tasks import sweep
from portal.provisioning.ansible import PlaybookResult
from portal.provisioning.automation import simulated_playbook
from portal.vendors.eligibility import today
from portal.vendors.models import Certificate
from tests.maintenance_factories import database, local, outsourced_vm, technician

NIGHT = local(23)  # inside the window
AFTERNOON = local(15)  # outside it, on a weekday


@pytest.fixture
def db_a(session, world):
    """Bureau a's PostgreSQL database: v1 operates postgresql for a (hybrid)."""
    return database(session, world.agencies["a"])


def plan(session, user, resources, playbook="backup_postgresql", **kwargs):
    return service.plan_run(
        session,
        user,
        playbook=playbook,
        resource_ids=[resource.id for resource in resources],
        **kwargs,
    )


def run_now(session, run, playbook_runner=simulated_playbook, now=NIGHT):
    service.start(session, run.requested_by, run.id, now=now)
    session.commit()
    return runner.execute(session, run.id, playbook_runner, current_app)


def checked(session, user, resources, playbook="backup_postgresql", **kwargs):
    """A succeeded check run."""
    check = plan(session, user, resources, playbook, **kwargs)
    assert run_now(session, check) == RunState.SUCCEEDED
    return check


def test_the_catalog_declares_every_playbook():
    catalog = playbooks()
    assert list(catalog) == [
        "backup_postgresql",
        "backup_mysql",
        "rotate_logs",
        "restart_service",
        "patch_os",
    ]
    assert {key for key, entry in catalog.items() if entry.risk == "high"} == {
        "restart_service",
        "patch_os",
    }
    assert all(entry.check_mode for entry in catalog.values())
    assert catalog["backup_postgresql"].parameters[0].default == "custom"


@pytest.mark.parametrize(
    ("mistake", "message"),
    [
        ("risk: low", "backup.risk: one of low, medium, high"),
        ("skill: database", "backup.skill: one of os, database"),
        ("    format:", "backup.parameters.db_password: credentials are never parameters"),
        ("      default: custom", "backup.parameters.format.default: Choose one of"),
    ],
)
def test_a_wrong_catalog_names_the_entry_and_the_field(tmp_path, mistake, message):
    text = CATALOG.read_text(encoding="utf-8")
    entry = text[text.index("backup_postgresql:") : text.index("backup_mysql:")]
    wrong = {
        "risk: low": "risk: extreme",
        "skill: database": "skill: juggling",
        "    format:": "    db_password:",
        "      default: custom": "      default: zip",
    }[mistake]
    (tmp_path / "backup_postgresql.yml").write_text("- hosts: localhost\n")
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(entry.replace("backup_postgresql:", "backup:").replace(mistake, wrong))
    with pytest.raises(CatalogError, match=re.escape(message)):
        load_catalog(catalog)


def test_parameters_are_checked_against_their_declaration():
    rotate = playbooks()["rotate_logs"]
    assert clean_parameters(rotate, {"keep": 3}) == {
        "directory": "",
        "keep": 3,
        "compress": True,
        "min_size_kb": 0,
    }
    with pytest.raises(InvalidInput) as refused:
        clean_parameters(rotate, {"keep": 99, "directory": "../etc", "password": "x"})
    assert set(refused.value.fields) == {
        "parameters.keep",
        "parameters.directory",
        "parameters.password",
    }
    with pytest.raises(InvalidInput, match="parameters do not fit"):
        clean_parameters(playbooks()["restart_service"], {})


def test_a_check_run_then_the_real_run(session, user, world, db_a):
    tech = user("vendor.tech")
    check = plan(session, tech, [db_a], parameters={"format": "plain"})
    assert (check.state, check.mode, check.needs_approval) == ("planned", "check", False)
    assert check.parameters == {"format": "plain"}
    session.commit()
    assert run_now(session, check, now=AFTERNOON) == RunState.SUCCEEDED  # checks: any time
    assert check.output[0].kind == "state"
    assert check.finished_at and check.artifact_path.endswith(f"{check.uuid} (simulated)")

    real = service.plan_apply(session, tech, check.id)
    assert (real.mode, real.state, real.check_run_id) == ("apply", "planned", check.id)
    assert run_now(session, real) == RunState.SUCCEEDED
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "maintenance_run")
    ).all()
    assert actions == ["maintenance." + a for a in ("plan", "start", "run", "succeed") * 2]
    assert all(
        event.agency_id == world.agencies["a"]
        for event in session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "maintenance_run")
        )
    )


def test_a_real_run_needs_a_succeeded_check_with_the_same_parameters_and_targets(
    session, user, world, db_a
):
    tech = user("vendor.tech")
    with pytest.raises(Conflict, match="check mode first"):
        plan(session, tech, [db_a], mode="apply")

    def failing(playbook, **kwargs):
        return PlaybookResult("failed", 2, {}, "Measure gis: connection refused", "/x")

    failed = plan(session, tech, [db_a])
    assert run_now(session, failed, failing) == RunState.FAILED
    assert failed.summary == "Measure gis: connection refused"
    with pytest.raises(Conflict, match="check mode first"):
        plan(session, tech, [db_a], mode="apply")
    checked(session, tech, [db_a])
    with pytest.raises(Conflict, match="check mode first"):
        plan(session, tech, [db_a], mode="apply", parameters={"format": "plain"})
    other = database(session, world.agencies["b"], name="other")
    with pytest.raises(Conflict, match="check mode first"):
        plan(session, tech, [db_a, other], mode="apply")
    assert plan(session, tech, [db_a], mode="apply").state == "planned"


def test_only_the_responsible_vendor_plans(session, user, world, db_a):
    tech = user("vendor.tech")
    civil = database(session, world.agencies["t"], name="civil")  # v2's domain
    with pytest.raises(Forbidden, match=f"{civil.number} civil: v1服务商 is not responsible"):
        plan(session, tech, [db_a, civil])
    # Hybrid bureau a keeps MySQL with the platform team: v1's contract names postgresql.
    mysql = database(session, world.agencies["a"], item="mysql", name="shop")
    with pytest.raises(Forbidden, match="stays with the platform team"):
        plan(session, tech, [mysql], playbook="backup_mysql")
    with pytest.raises(InvalidInput, match="does not apply"):
        plan(session, tech, [db_a], playbook="backup_mysql")
    with pytest.raises(Forbidden, match="vendors' technicians"):
        plan(session, user("vendor.manager"), [db_a])
    assert session.scalar(select(MaintenanceRun.id)) is None


def test_an_expired_certificate_refuses_planning_and_starting(session, user, world, db_a):
    yesterday = today() - timedelta(days=1)
    technician(session, world, "lapsed.tech", valid=(yesterday - timedelta(days=365), yesterday))
    with pytest.raises(Forbidden, match=r"Lapsed\.Tech is not licensed to work: certificate"):
        plan(session, user("lapsed.tech"), [db_a])

    # Planned while valid; expired by the time it is started.
    soon = technician(session, world, "soon.tech")
    run = plan(session, soon, [db_a])
    session.commit()
    certificate = session.scalar(select(Certificate).where(Certificate.number == "HD-soon.tech"))
    certificate.expires_on = yesterday
    with pytest.raises(Forbidden, match=f"expired on {yesterday}"):
        service.start(session, soon, run.id)
    session.rollback()

    # Started while valid; revoked before a worker takes it: the worker refuses.
    service.start(session, soon, run.id)
    certificate.revoked_at = utcnow()
    session.commit()
    ran = []
    assert runner.execute(session, run.id, lambda *a, **k: ran.append(a), current_app) == "failed"
    assert ran == [] and run.summary.startswith("Refused at start: ")
    assert "was revoked" in run.summary


def test_a_certificate_without_the_playbooks_skill_refuses(session, user, world, db_a):
    technician(session, world, "os.only", skills=("os",))
    with pytest.raises(Forbidden, match=r"Os\.Only's certificate does not cover Database"):
        plan(session, user("os.only"), [db_a])


def test_a_high_risk_real_run_waits_for_another_persons_approval(session, user, world):
    vm = outsourced_vm(session, world)
    # A technician who is also a platform operator: still not their own approver.
    both = technician(
        session, world, "ops.tech", skills=("middleware",), roles=[Role.PLATFORM_OPERATOR]
    )
    params = {"parameters": {"service": "nginx"}}
    check = checked(session, both, [vm], "restart_service", **params)
    assert check.needs_approval is False  # a check run changes nothing

    real = service.plan_apply(session, both, check.id)
    assert (real.state, real.needs_approval) == ("awaiting_approval", True)
    with pytest.raises(Conflict, match="waits for a platform operator"):
        service.start(session, both, real.id, now=NIGHT)
    with pytest.raises(Forbidden, match="Four eyes"):
        approvals.approve(session, both, real.id)
    with pytest.raises(Forbidden, match="Platform operators approve"):
        approvals.approve(session, user("vendor.manager"), real.id)
    with pytest.raises(InvalidInput, match="Say why"):
        approvals.reject(session, user("operator"), real.id, " ")
    approvals.approve(session, user("operator"), real.id, "变更单 CH-42")
    assert (real.state, real.decided_by.username) == ("approved", "operator")
    with pytest.raises(Forbidden, match="Only the technician who planned"):
        service.start(session, user("operator"), real.id, now=AFTERNOON)
    assert run_now(session, real, now=AFTERNOON) == RunState.SUCCEEDED  # approved: any time


def test_a_real_run_outside_the_window_needs_approval(session, user, world):
    vm = outsourced_vm(session, world)
    tech = user("vendor.tech")
    check = checked(session, tech, [vm], "rotate_logs", parameters={"keep": 3})
    real = service.plan_apply(session, tech, check.id)
    assert real.state == "planned"  # medium risk
    session.commit()
    with pytest.raises(Conflict, match="Outside the maintenance window"):
        service.start(session, tech, real.id, now=AFTERNOON)
    assert service.start(session, tech, real.id, now=local(14, weekend=True)).state == "queued"
    session.rollback()

    approvals.submit(session, tech, real.id, "磁盘将满")
    assert real.state == "awaiting_approval"
    approvals.reject(session, user("operator"), real.id, "今晚窗口期再做")
    assert real.state == "rejected" and real.run_state.finished
    with pytest.raises(Conflict):
        service.cancel(session, tech, real.id)


def test_a_run_is_claimed_once_and_a_lapsed_claim_ends_failed(session, user, db_a):
    calls = []

    def counting(playbook, **kwargs):
        calls.append(kwargs["ident"])
        return simulated_playbook(playbook, **kwargs)

    run = plan(session, user("vendor.tech"), [db_a])
    assert run_now(session, run, counting) == RunState.SUCCEEDED
    assert runner.execute(session, run.id, counting, current_app) == RunState.SUCCEEDED
    assert calls == [run.uuid]

    stuck = plan(session, user("vendor.tech"), [db_a])
    service.start(session, stuck.requested_by, stuck.id, now=NIGHT)
    stuck.state, stuck.claimed_until = RunState.RUNNING, utcnow() - timedelta(minutes=1)
    session.commit()
    assert sweep(session) == ([], [stuck.id])
    session.refresh(stuck)
    assert stuck.state == "failed" and "worker stopped" in stuck.summary


def test_credentials_go_to_the_playbook_as_secrets_only(session, user, world, db_a):
    db_a.sealed_secret = seal("owner-pw-123456")
    seen = {}

    def capturing(playbook, **kwargs):
        seen.update(kwargs)
        kwargs["on_event"]({"event": "ok", "task": "Dump", "msg": "done", "changed": False})
        return PlaybookResult("successful", 0, {"backups": []}, None, "/runs/x")

    run = plan(session, user("vendor.tech"), [db_a])
    run_now(session, run, capturing)
    assert seen["secrets"] == {f"db_password_{db_a.id}": "owner-pw-123456"}
    assert "owner-pw-123456" not in repr(seen["extravars"])
    assert seen["extravars"]["targets"][0]["db_user"] == db_a.cloud["user"]
    assert seen["check"] is True and seen["ident"] == run.uuid
    kept = repr([run.parameters, run.result, run.summary]) + repr(
        [(line.task, line.message) for line in run.output]
    )
    assert "owner-pw-123456" not in kept

    # Once the agency has seen its password the portal keeps none: the server's admin.
    db_a.sealed_secret = None
    again = plan(session, user("vendor.tech"), [db_a])
    run_now(session, again, capturing)
    assert seen["secrets"] == {}
    assert seen["extravars"]["targets"][0]["db_user"] == "postgres"


def test_who_sees_a_run(session, user, world, db_a):
    run = plan(session, user("vendor.tech"), [db_a])
    session.commit()
    for name in ("member.a", "manager.a", "operator", "auditor", "vendor.manager"):
        assert service.list_runs(session, user(name))[1] == 1, name
        assert service.get_run(session, user(name), run.id) is run
    for name in ("member.b", "manager.t", "vendor2.manager"):
        assert service.list_runs(session, user(name))[1] == 0, name
        with pytest.raises(NotFound):
            service.get_run(session, user(name), run.id)
    assert service.list_runs(session, user("member.a"), resource_id=db_a.id + 1)[1] == 0
