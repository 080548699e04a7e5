"""Maintenance runs for real: the portal provisions a PostgreSQL database (its order,
approvals and provisioning engine, running database_postgresql.yml through
ansible-runner), the agency fills it, and a certified technician backs it up with
backup_postgresql, in check mode then for real; the dump restores the agency's table and
the owner's password is nowhere in the runs' artifacts, output, results or audit log. A
technician whose certificate lapsed is refused at start; a valid one runs. Then the
playbooks on the automation host (rotate_logs, restart_service on a harmless control
script, patch_os in check mode only) and backup_mysql.

Needs PostgreSQL (JIYUN_TEST_POSTGRES, default 127.0.0.1:5432, trust) with pg_dump and
pg_restore; the MySQL test needs MariaDB at JIYUN_TEST_MYSQL. Skipped, with the reason,
when one is absent. Each run takes a few seconds.
"""

import hashlib
import io
import secrets
import shutil
import subprocess
import zipfile
from datetime import timedelta
from pathlib import Path

import psycopg
import pymysql
import pytest
from flask import current_app
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from portal.accounts.models import User
from portal.core.audit import AuditEvent
from portal.core.db import utcnow
from portal.core.errors import Forbidden
from portal.core.sealing import seal, unseal
from portal.extensions import db
from portal.inventory.models import Resource
from portal.maintenance import approvals, runner, service
from portal.maintenance.artifacts import artifacts_zip, runs_root
from portal.maintenance.models import MaintenanceOutput, MaintenanceRun
from portal.orders.service import approve_order, create_order
from portal.provisioning import engine
from portal.provisioning.ansible import run_playbook
from portal.provisioning.models import Operation
from portal.provisioning.tasks import runtime
from portal.vendors.eligibility import today
from portal.vendors.models import Certificate
from tests.conftest import fresh_app, provisioning_config
from tests.integration.test_playbooks import MYSQL_SERVER
from tests.maintenance_factories import database, local, outsourced_vm, technician

pytestmark = pytest.mark.postgres
NIGHT = local(23)  # inside the maintenance window
MARKER = "集云备份演练 marker"


@pytest.fixture
def live(postgres, tmp_path):
    """An app on PostgreSQL that runs playbooks for real, its folders in tmp_path; its
    context is pushed, and the test world's ids come back."""
    for tool in ("pg_dump", "pg_restore", "psql"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    server, url, world = postgres
    config = {
        **provisioning_config(tmp_path),
        "AUTOMATION": "ansible",
        "BACKUPS_DIR": str(tmp_path / "backups"),
        "MAINTENANCE_LOG_ROOT": str(tmp_path / "logs"),
        "MAINTENANCE_SERVICES_DIR": str(tmp_path / "services"),
    }
    with fresh_app(server, url, **config) as app, app.app_context():
        yield world
        db.session.rollback()


def user(name):
    return db.session.scalar(select(User).where(User.username == name))


def go(run, now=NIGHT):
    """Start the run as its technician, then run it as the worker would."""
    service.start(db.session, run.requested_by, run.id, now=now)
    db.session.commit()
    state = runner.execute(db.session, run.id, run_playbook, current_app)
    db.session.refresh(run)
    return state


@pytest.fixture
def provisioned(live):
    """Bureau a's PostgreSQL database made through the portal, with a table in it;
    dropped from the server afterwards."""
    # Database and owner names come from the order id: start it high and random, so
    # that no other test's database on the shared server has the same names.
    db.session.execute(text("SELECT setval('orders_id_seq', :n)"), {"n": secrets.randbelow(10**8)})
    order = create_order(
        db.session,
        user("member.a"),
        "postgresql",
        {"database_name": "ledger", "purpose": "维护作业测试"},
    )
    for approver in ("manager.a", "operator"):
        approve_order(db.session, user(approver), order.id, "ok")
    db.session.commit()
    operation = db.session.scalar(select(Operation).where(Operation.order_id == order.id))
    assert engine.run(db.session, operation.id, runtime(current_app)).finished
    resource = db.session.scalar(select(Resource).where(Resource.order_id == order.id))
    assert resource.state == "active", [e.message for e in operation.events]
    cloud, password = resource.cloud, unseal(resource.sealed_secret)
    try:
        with psycopg.connect(
            host=cloud["host"],
            port=cloud["port"],
            user=cloud["user"],
            password=password,
            dbname=cloud["database"],
        ) as owner:
            owner.execute("CREATE TABLE ledger_entries (id integer PRIMARY KEY, note text)")
            owner.execute("INSERT INTO ledger_entries VALUES (1, %s)", (MARKER,))
        yield resource, password
    finally:
        admin = make_url(current_app.config["MANAGED_POSTGRES_URL"])
        with psycopg.connect(
            host=admin.host, port=admin.port, user=admin.username, dbname="postgres"
        ) as server:
            server.autocommit = True
            server.execute(f'DROP DATABASE IF EXISTS "{cloud["database"]}" WITH (FORCE)')
            server.execute(f'DROP ROLE IF EXISTS "{cloud["user"]}"')


def test_backup_postgresql_for_real(live, provisioned, tmp_path):
    resource, password = provisioned
    backups = tmp_path / "backups"

    check = service.plan_run(
        db.session, user("vendor.tech"), playbook="backup_postgresql", resource_ids=[resource.id]
    )
    db.session.commit()
    assert go(check) == "succeeded", check.summary
    [measured] = check.result["backups"]
    assert measured["database"] == resource.cloud["database"] and measured["size_estimate"] > 0
    assert "file" not in measured and not backups.exists()  # check mode wrote nothing

    real = service.plan_apply(db.session, user("vendor.tech"), check.id)
    db.session.commit()
    assert go(real) == "succeeded", real.summary
    [backup] = real.result["backups"]
    dump = Path(backup["file"])
    assert dump.is_relative_to(backups / f"agency-{resource.agency_id}")
    assert dump.stat().st_size == backup["size"] and oct(dump.stat().st_mode)[-3:] == "600"
    assert hashlib.sha256(dump.read_bytes()).hexdigest() == backup["sha256"]
    script = subprocess.run(
        ["pg_restore", "--file=-", str(dump)], capture_output=True, text=True, check=True
    ).stdout
    assert "CREATE TABLE public.ledger_entries" in script and MARKER in script

    # As the database's owner: its login is in the run's extravars, its password is not.
    extravars = Path(real.artifact_path).parents[1] / "env" / "extravars"
    assert f"db_user: !unsafe '{resource.cloud['user']}'" in extravars.read_text()
    kinds = {line.kind for line in real.output}
    assert {"state", "start", "ok", "changed"} <= kinds
    assert Path(real.artifact_path, "job_events").is_dir()

    # The owner's password went to pg_dump, and nowhere else.
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert len(files) > 20
    assert [path for path in files if password.encode() in path.read_bytes()] == []
    stored = (
        db.session.execute(select(MaintenanceOutput.task, MaintenanceOutput.message)).all()
        + db.session.execute(select(AuditEvent.before, AuditEvent.after, AuditEvent.note)).all()
    )
    runs = [(r.parameters, r.result, r.summary) for r in db.session.scalars(select(MaintenanceRun))]
    assert password not in repr(stored) + repr(runs)

    # The artifacts as auditors download them: the events and stdout, no password.
    data, _name = artifacts_zip(real, runs_root(current_app.config))
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert "stdout" in archive.namelist()
    assert any(name.startswith("job_events/") for name in archive.namelist())
    assert [n for n in archive.namelist() if password.encode() in archive.read(n)] == []


def test_a_lapsed_certificate_is_refused_at_start_a_valid_one_runs(live, provisioned, tmp_path):
    resource, _password = provisioned
    lapsing = technician(db.session, live, "lapsing.tech")
    db.session.commit()

    def certificate():
        return db.session.scalar(select(Certificate).where(Certificate.number == "HD-lapsing.tech"))

    planned = service.plan_run(
        db.session, lapsing, playbook="backup_postgresql", resource_ids=[resource.id]
    )
    db.session.commit()
    certificate().expires_on = today() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(Forbidden, match="is not licensed to work: certificate"):
        service.start(db.session, lapsing, planned.id)
    db.session.rollback()

    # Revoked after it was started: the worker refuses before anything runs.
    certificate().expires_on = today() + timedelta(days=30)
    queued = service.start(db.session, lapsing, planned.id)
    db.session.commit()
    certificate().revoked_at = utcnow()
    db.session.commit()
    assert runner.execute(db.session, queued.id, run_playbook, current_app) == "failed"
    assert queued.summary.startswith("Refused at start: ") and "was revoked" in queued.summary
    assert not (tmp_path / "ansible" / "maintenance" / queued.uuid).exists()

    valid = service.plan_run(
        db.session, user("vendor.tech"), playbook="backup_postgresql", resource_ids=[resource.id]
    )
    db.session.commit()
    assert go(valid) == "succeeded", valid.summary
    assert Path(valid.artifact_path).is_dir()


def test_the_playbooks_on_the_automation_host(live, tmp_path):
    vm = outsourced_vm(db.session, live)
    technician(db.session, live, "host.tech", skills=("os", "middleware"))
    db.session.commit()
    tech = user("host.tech")

    logs = tmp_path / "logs" / "web"
    logs.mkdir(parents=True)
    (logs / "access.log").write_text("GET /\n" * 500)
    rotate = service.plan_run(
        db.session,
        tech,
        playbook="rotate_logs",
        resource_ids=[vm.id],
        parameters={"directory": "web", "keep": 2},
    )
    db.session.commit()
    assert go(rotate) == "succeeded", rotate.summary
    assert rotate.result["logs"] == [str(logs / "access.log")] and not rotate.result["rotated"]
    assert sorted(path.name for path in logs.iterdir()) == ["access.log"]
    real = service.plan_apply(db.session, tech, rotate.id)
    db.session.commit()
    assert go(real) == "succeeded", real.summary
    assert sorted(path.name for path in logs.iterdir()) == ["access.log", "access.log.1.gz"]
    assert (logs / "access.log").stat().st_size == 0

    # A control script that only records its restarts: nothing of the host is touched.
    services = tmp_path / "services"
    services.mkdir()
    script = services / "jiyun-dummy"
    script.write_text(
        '#!/bin/sh\ncase "$1" in\n  status) test -f "$0.running" ;;\n'
        '  restart) date >> "$0.restarts"; touch "$0.running" ;;\n  *) exit 2 ;;\nesac\n'
    )
    script.chmod(0o755)
    restart = service.plan_run(
        db.session,
        tech,
        playbook="restart_service",
        resource_ids=[vm.id],
        parameters={"service": "jiyun-dummy"},
    )
    db.session.commit()
    assert go(restart) == "succeeded", restart.summary
    assert restart.result == {"service": "jiyun-dummy", "running_before": False}
    real = service.plan_apply(db.session, tech, restart.id)
    assert real.state == "awaiting_approval"  # high risk
    approvals.approve(db.session, user("operator"), real.id)
    db.session.commit()
    assert go(real) == "succeeded", real.summary
    assert real.result["running_after"] is True
    assert len(Path(f"{script}.restarts").read_text().splitlines()) == 1

    # The machine is never upgraded here: check mode lists the pending upgrades only.
    patch = service.plan_run(db.session, tech, playbook="patch_os", resource_ids=[vm.id])
    db.session.commit()
    assert go(patch) == "succeeded", patch.summary
    assert patch.result["upgraded"] is False and patch.result["pending"] >= 0


def test_backup_mysql_for_real(live, tmp_path):
    url = make_url(MYSQL_SERVER)
    try:
        admin = pymysql.connect(
            host=url.host, port=url.port or 3306, user=url.username, autocommit=True
        )
    except pymysql.err.OperationalError as error:
        pytest.skip(f"MariaDB/MySQL is not answering at {url.host}: {error}")
    name, password = f"mt_{secrets.token_hex(6)}", f"pw-{secrets.token_hex(12)}"
    with admin, admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}`")
        cursor.execute(f"CREATE USER '{name}'@'%%' IDENTIFIED BY %s", (password,))
        cursor.execute(f"GRANT ALL ON `{name}`.* TO '{name}'@'%'")
        try:
            owner = pymysql.connect(
                host=url.host, port=url.port or 3306, user=name, password=password, database=name
            )
            with owner, owner.cursor() as work:
                work.execute("CREATE TABLE orders_2026 (id int PRIMARY KEY, note text)")
                work.execute("INSERT INTO orders_2026 VALUES (1, %s)", (MARKER,))
                owner.commit()
            resource = database(
                db.session,
                outsourced_vm(db.session, live).agency_id,
                item="mysql",
                host=url.host,
                port=url.port or 3306,
                database=name,
                user=name,
            )
            resource.sealed_secret = seal(password)
            db.session.commit()
            check = service.plan_run(
                db.session, user("vendor.tech"), playbook="backup_mysql", resource_ids=[resource.id]
            )
            db.session.commit()
            assert go(check) == "succeeded", check.summary
            real = service.plan_apply(db.session, user("vendor.tech"), check.id)
            db.session.commit()
            assert go(real) == "succeeded", real.summary
            dump = Path(real.result["backups"][0]["file"]).read_text()
            assert "CREATE TABLE `orders_2026`" in dump and MARKER in dump
            files = [path for path in tmp_path.rglob("*") if path.is_file()]
            assert [path for path in files if password.encode() in path.read_bytes()] == []
        finally:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"DROP USER IF EXISTS '{name}'@'%'")
