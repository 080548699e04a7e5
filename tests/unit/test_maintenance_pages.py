"""The maintenance pages and API: plan from the form, follow the run page and its live
output, act on a run; refusals answer with their reason and stay in the audit log."""

import io
import zipfile

from flask import current_app
from sqlalchemy import select

from portal.core.audit import AuditEvent
from portal.maintenance import runner
from portal.maintenance.artifacts import runs_root
from portal.maintenance.models import MaintenanceRun
from portal.provisioning.automation import simulated_playbook
from tests.conftest import csrf_token, database
from tests.maintenance_factories import database as make_database


def seeded(app, world, agency="a", item="postgresql"):
    with database(app) as session:
        resource = make_database(session, world.agencies[agency], item=item)
        session.commit()
        return resource.id, resource.number


def refusals(app):
    """(action, actor, after, note) of the refusals in the audit log, oldest first."""
    with database(app) as session:
        return session.execute(
            select(AuditEvent.action, AuditEvent.actor_name, AuditEvent.after, AuditEvent.note)
            .where(AuditEvent.action.endswith(".refused"))
            .order_by(AuditEvent.id)
        ).all()


def test_a_technician_plans_starts_and_follows_a_run_on_the_pages(app, world, as_user):
    resource_id, number = seeded(app, world)
    tech = as_user("vendor.tech")
    form = tech.get("/maintenance/new?playbook=backup_postgresql")
    assert form.status_code == 200 and number in form.get_data(as_text=True)
    planned = tech.post(
        "/maintenance/new",
        data={
            "csrf_token": csrf_token(tech, "/maintenance/new"),
            "playbook": "backup_postgresql",
            "resource_ids": str(resource_id),
            "param-format": "plain",
        },
    )
    assert planned.status_code == 302, planned.get_data(as_text=True)[:800]
    run_path = planned.headers["Location"]
    page = tech.get(run_path).get_data(as_text=True)
    assert "Start the check run" in page and "SQL" in page

    token = csrf_token(tech, run_path)
    assert tech.post(f"{run_path}/start", data={"csrf_token": token}).status_code == 302
    with database(app) as session:
        run = session.scalar(select(MaintenanceRun))
        assert run.state == "queued" and run.parameters == {"format": "plain"}
        runner.execute(session, run.id, simulated_playbook, current_app)
    output = tech.get(f"{run_path}/output").get_data(as_text=True)
    assert 'data-finished="1"' in output and "backup_postgresql.yml (simulated)" in output
    assert "Plan the real run" in tech.get(run_path).get_data(as_text=True)

    # Bureau a's staff see it; bureau b's do not learn it exists.
    assert as_user("member.a").get(run_path).status_code == 200
    assert as_user("member.b").get(run_path).status_code == 404
    assert "Plan the real run" not in as_user("operator").get(run_path).get_data(as_text=True)


def test_a_refused_plan_shows_why_and_is_audited(app, world, as_user):
    resource_id, number = seeded(app, world, agency="t")  # v2's agency
    tech = as_user("vendor.tech")
    refused = tech.post(
        "/maintenance/new",
        data={
            "csrf_token": csrf_token(tech, "/maintenance/new"),
            "playbook": "backup_postgresql",
            "resource_ids": str(resource_id),
        },
    )
    assert refused.status_code == 403
    assert f"{number} gis: v1服务商 is not responsible" in refused.get_data(as_text=True)
    [(action, actor, after, note)] = refusals(app)
    assert (action, actor) == ("maintenance.plan.refused", "vendor.tech")
    assert after == {"resource_ids": [resource_id]} and "not responsible" in note
    with database(app) as session:
        assert session.scalar(select(MaintenanceRun.id)) is None
    assert as_user("member.a").get("/maintenance/new").status_code == 403


def test_the_api_plans_refuses_and_streams_the_output(app, world, api):
    resource_id, _number = seeded(app, world)
    tech = api("vendor.tech")
    playbooks = tech.get("/api/v1/maintenance/playbooks").get_json()
    assert [entry["key"] for entry in playbooks][:2] == ["backup_postgresql", "backup_mysql"]

    bad = tech.post(
        "/api/v1/maintenance/runs",
        json={
            "playbook": "backup_postgresql",
            "resource_ids": [resource_id],
            "parameters": {"format": "zip", "password": "x"},
        },
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"parameters.format", "parameters.password"}
    assert refusals(app)[0][0] == "maintenance.plan.refused"

    created = tech.post(
        "/api/v1/maintenance/runs",
        json={"playbook": "backup_postgresql", "resource_ids": [resource_id]},
    )
    assert created.status_code == 201, created.get_json()
    run = created.get_json()
    assert (run["state"], run["mode"], run["technician"]) == ("planned", "check", "V1-001")
    path = f"/api/v1/maintenance/runs/{run['id']}"
    assert api("operator").post(f"{path}/start").status_code == 403
    assert refusals(app)[-1][0] == "maintenance.start.refused"
    assert api("member.b").get(path).status_code == 404
    assert tech.post(f"{path}/start").get_json()["state"] == "queued"
    with database(app) as session:
        runner.execute(session, run["id"], simulated_playbook, current_app)
    lines = tech.get(f"{path}/output").get_json()
    assert lines["finished"] and lines["state"] == "succeeded"
    last = lines["lines"][-1]["id"]
    assert tech.get(f"{path}/output?after={last}").get_json()["lines"] == []
    real = tech.post(f"{path}/apply")
    assert real.status_code == 200 and real.get_json()["check_run_id"] == run["id"]
    listed = api("member.a").get(f"/api/v1/maintenance/runs?resource_id={resource_id}")
    assert listed.get_json()["total"] == 2


def test_the_runs_artifacts_download_as_a_zip_for_those_who_see_the_run(
    app, world, as_user, api, tmp_path
):
    resource_id, _number = seeded(app, world)
    with database(app) as session:
        from portal.accounts.models import User
        from portal.maintenance import service

        tech = session.get(User, world.users["vendor.tech"])
        run = service.plan_run(
            session, tech, playbook="backup_postgresql", resource_ids=[resource_id]
        )
        session.commit()
        run_id, uuid = run.id, run.uuid
    path = f"/maintenance/{run_id}/artifacts.zip"
    missing = as_user("vendor.tech").get(path)
    assert missing.status_code == 404 and "kept no artifacts" in missing.get_data(as_text=True)

    folder = runs_root(app.config) / uuid / "artifacts" / uuid
    (folder / "job_events").mkdir(parents=True)
    (folder / "stdout").write_text("PLAY [backup] ok=2 changed=1", encoding="utf-8")
    (folder / "job_events" / "1-start.json").write_text('{"event": "playbook_on_start"}')
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with database(app) as session:
        session.get(MaintenanceRun, run_id).artifact_path = str(folder)
        session.commit()
    page = as_user("vendor.tech").get(f"/maintenance/{run_id}").get_data(as_text=True)
    assert f'href="{path}"' in page
    answer = as_user("manager.a").get(path)  # the agency sees runs on its resources
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    assert sorted(archive.namelist()) == ["job_events/1-start.json", "stdout"]
    assert archive.read("stdout").startswith(b"PLAY [backup]")
    assert api("operator").get(f"/api/v1/maintenance/runs/{run_id}/artifacts").status_code == 200
    assert as_user("vendor2.manager").get(path).status_code == 404
    assert as_user("member.b").get(path).status_code == 404

    with database(app) as session:  # a folder outside the runs' root is never read
        session.get(MaintenanceRun, run_id).artifact_path = str(outside)
        session.commit()
    assert as_user("vendor.tech").get(path).status_code == 404
