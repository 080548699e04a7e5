"""Maintenance runs: the playbooks on offer; plan, approve, start, follow and cancel runs.
A refused plan or action answers 4xx and is kept in the audit log."""

from flask import Response, current_app

from portal.api.base import Blueprint, actor, authenticate_request
from portal.api.maintenance_schemas import (
    OutputArgs,
    OutputOut,
    PlaybookOut,
    RunIn,
    RunListArgs,
    RunNoteIn,
    RunOut,
    RunPage,
)
from portal.core import refusals
from portal.core.errors import DomainError
from portal.extensions import db
from portal.maintenance import approvals, service
from portal.maintenance.artifacts import artifacts_zip, runs_root
from portal.maintenance.catalog import playbooks

blp = Blueprint(
    "api_maintenance",
    __name__,
    url_prefix="/api/v1/maintenance",
    description="Maintenance playbook runs by certified technicians",
)
blp.before_request(authenticate_request)


def _recorded(action, call, *, run_id=None, resource_ids=()):
    """The call's result; a refusal is rolled back, kept in the audit log, and raised."""
    try:
        return call()
    except DomainError as error:
        db.session.rollback()
        service.record_refusal(
            db.session, actor(), action, error, run_id=run_id, resource_ids=resource_ids
        )
        db.session.commit()
        refusals.already_recorded()
        raise


@blp.get("/playbooks")
@blp.response(200, PlaybookOut(many=True))
def playbook_list():
    """The maintenance catalog: each playbook's targets, risk, skill and parameters."""
    return list(playbooks().values())


@blp.get("/runs")
@blp.arguments(RunListArgs, location="query")
@blp.response(200, RunPage)
def runs(args):
    rows, total = service.list_runs(db.session, actor(), **args)
    return {"total": total, "page": args["page"], "runs": rows}


@blp.post("/runs")
@blp.arguments(RunIn)
@blp.response(201, RunOut)
def plan(data):
    """Plan a run (vendor technicians): every target must be of an agency the vendor is
    responsible for, and the technician licensed for it and the playbook's skill."""
    return _recorded(
        "plan",
        lambda: service.plan_run(db.session, actor(), **data),
        resource_ids=data["resource_ids"],
    )


@blp.get("/runs/<int:run_id>")
@blp.response(200, RunOut)
def run(run_id):
    return service.get_run(db.session, actor(), run_id)


@blp.get("/runs/<int:run_id>/output")
@blp.arguments(OutputArgs, location="query")
@blp.response(200, OutputOut)
def output(args, run_id):
    """The run's output lines after `after`: poll while `finished` is false."""
    found = service.get_run(db.session, actor(), run_id)
    return {
        "state": found.state,
        "finished": found.run_state.finished,
        "lines": service.output_after(db.session, found, args["after"]),
    }


@blp.get("/runs/<int:run_id>/artifacts")
@blp.response(200, content_type="application/zip")
def artifacts(run_id):
    """The run's ansible-runner artifacts (job events, stdout, status, rc) as a zip."""
    found = service.get_run(db.session, actor(), run_id)
    data, filename = artifacts_zip(found, runs_root(current_app.config))
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _action(name, function, doc):
    """POST /runs/<id>/<name> {"note": …}: one of the run's moves."""

    def act(data, run_id):
        return _recorded(
            name, lambda: function(db.session, actor(), run_id, data["note"]), run_id=run_id
        )

    act.__doc__ = doc
    route = blp.post(f"/runs/<int:run_id>/{name}", endpoint=name)
    route(blp.arguments(RunNoteIn)(blp.response(200, RunOut)(act)))


_action(
    "apply",
    lambda session, user, run_id, _note: service.plan_apply(session, user, run_id),
    "Plan the real run of a succeeded check run (a new run, same parameters and targets).",
)
_action("submit", approvals.submit, "Ask a platform operator to approve a planned real run.")
_action("approve", approvals.approve, "Approve (platform operators; not a run you planned).")
_action("reject", approvals.reject, "Reject, with a note (platform operators).")
_action(
    "start",
    lambda session, user, run_id, _note: service.start(session, user, run_id),
    "Start (the technician who planned it): the worker runs it after the commit.",
)
_action("cancel", service.cancel, "Cancel before it runs (its technician or an operator).")
