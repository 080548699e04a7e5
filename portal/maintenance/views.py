"""Maintenance pages: the runs, the plan form, one run with its live output and actions.

Who sees what is the service's (permissions.py): a list shows what the user may see; a
run another may not see is 404; an action the user may not take is 403. A refused plan
or action is shown with its reason and kept in the audit log.
"""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from portal.core import refusals
from portal.core.errors import DomainError
from portal.core.inputs import MAX_ID, page_number
from portal.extensions import db
from portal.inventory.permissions import can
from portal.maintenance import approvals, service
from portal.maintenance.artifacts import artifacts_zip, runs_root
from portal.maintenance.catalog import parameters_from_form, playbooks
from portal.maintenance.forms import PlanForm, RunActionForm
from portal.maintenance.permissions import (
    can_cancel,
    can_decide,
    is_its_technician,
    may_plan,
)
from portal.maintenance.states import CANCELLABLE, MODES, OUTPUT_KINDS, RISKS, RunState
from portal.maintenance.targets import candidates
from portal.maintenance.window import window_text
from portal.vendors.vocabulary import SKILLS

bp = Blueprint("maintenance", __name__, url_prefix="/maintenance")

ACTIONS = {
    "apply": (lambda s, u, i, _note: service.plan_apply(s, u, i), _l("The real run is planned.")),
    "submit": (approvals.submit, _l("The run was sent for approval.")),
    "approve": (approvals.approve, _l("You approved the run.")),
    "reject": (approvals.reject, _l("You rejected the run.")),
    "start": (
        lambda s, u, i, _note: service.start(s, u, i),
        _l("The run was started; its output shows below."),
    ),
    "cancel": (service.cancel, _l("The run was cancelled.")),
}


@bp.context_processor
def _vocabulary():
    return {
        "RunState": RunState,
        "MODES": MODES,
        "RISKS": RISKS,
        "SKILLS": SKILLS,
        "OUTPUT_KINDS": OUTPUT_KINDS,
        "PLAYBOOKS": playbooks(),
    }


@bp.get("/")
@login_required
def index():
    state = request.args.get("state") or None
    if state and state not in set(RunState):
        state = None
    resource_id = request.args.get("resource_id", type=int)
    if resource_id is not None and not 1 <= resource_id <= MAX_ID:
        resource_id = None
    page = page_number(request.args.get("page"))
    runs, total = service.list_runs(
        db.session, current_user, state=state, resource_id=resource_id, page=page
    )
    return render_template(
        "maintenance/index.html",
        runs=runs,
        total=total,
        page=page,
        per_page=50,
        state=state,
        resource_id=resource_id,
        may_plan=may_plan(current_user),
    )


@bp.get("/new")
@login_required
def new():
    return _render_plan(PlanForm(formdata=None), request.args.get("playbook"))


@bp.post("/new")
@login_required
def plan():
    form = PlanForm()
    key = form.playbook.data
    if not form.validate_on_submit():
        return _render_plan(form, key, status=422)
    try:
        resource_ids = [int(value) for value in request.form.getlist("resource_ids")]
    except ValueError:
        resource_ids = []
    try:
        entry = service.playbook_of(key)
        run = service.plan_run(
            db.session,
            current_user,
            playbook=key,
            resource_ids=resource_ids,
            parameters=parameters_from_form(entry, request.form),
            mode="check" if entry.check_mode else "apply",
            incident_id=form.incident_id.data,
        )
    except DomainError as error:
        _record_refusal("plan", error, resource_ids=resource_ids)
        return _render_plan(form, key, error, status=error.status)
    flash(_l("The run %(number)s is planned.", number=run.number), "success")
    return redirect(url_for("maintenance.detail", run_id=run.id))


def _render_plan(form, key, error=None, status=200):
    technician = service.technician_of(db.session, current_user)
    if technician is None:
        abort(403)
    entry = playbooks().get(key or "")
    chosen = request.form.getlist("resource_ids") or request.args.getlist("resource_id")
    return render_template(
        "maintenance/new.html",
        form=form,
        entry=entry,
        technician=technician,
        resources=candidates(db.session, technician, entry) if entry else [],
        chosen={value for value in chosen if value.isdigit()},
        values=request.form,
        error=error,
        window=window_text(),
    ), status


@bp.get("/<int:run_id>")
@login_required
def detail(run_id):
    return _render_detail(service.get_run(db.session, current_user, run_id))


def _render_detail(run, form=None, error=None, status=200):
    user = current_user
    mine = is_its_technician(user, run)
    return render_template(
        "maintenance/detail.html",
        run=run,
        entry=playbooks().get(run.playbook),
        form=form or RunActionForm(formdata=None),
        error=error,
        window=window_text(),
        may_view_resource=lambda resource: can(user, resource, "view"),
        actions={
            "apply": run.mode == "check"
            and run.state == RunState.SUCCEEDED
            and may_plan(user)
            and user.vendor_id == run.vendor_id,
            "submit": mine and run.mode == "apply" and run.state == RunState.PLANNED,
            "start": mine and run.state in (RunState.PLANNED, RunState.APPROVED),
            "approve": can_decide(user, run) and run.state == RunState.AWAITING_APPROVAL,
            "cancel": can_cancel(user, run) and run.state in CANCELLABLE,
        },
    ), status


@bp.get("/<int:run_id>/output")
@login_required
def output(run_id):
    """The live part of the run page, polled by progress.js while the run goes on."""
    run = service.get_run(db.session, current_user, run_id)
    return render_template("maintenance/_output.html", run=run)


@bp.get("/<int:run_id>/artifacts.zip")
@login_required
def artifacts(run_id):
    run = service.get_run(db.session, current_user, run_id)
    data, filename = artifacts_zip(run, runs_root(current_app.config))
    return Response(
        data,
        mimetype="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.post("/<int:run_id>/<action>")
@login_required
def act(run_id, action):
    if action not in ACTIONS:
        abort(404)
    form = RunActionForm()
    run = service.get_run(db.session, current_user, run_id)
    if not form.validate_on_submit():
        return _render_detail(run, form, status=422)
    function, message = ACTIONS[action]
    try:
        result = function(db.session, current_user, run_id, form.note.data)
    except DomainError as error:
        _record_refusal(action, error, run_id=run_id)
        run = service.get_run(db.session, current_user, run_id)
        return _render_detail(run, form, error, status=error.status)
    flash(message, "success")
    return redirect(url_for("maintenance.detail", run_id=result.id))


def _record_refusal(action, error, *, run_id=None, resource_ids=()):
    """Roll back what the refused call did, and commit its trace in the audit log alone
    (the request's own commit point is skipped for an error answer)."""
    db.session.rollback()
    service.record_refusal(
        db.session, current_user, action, error, run_id=run_id, resource_ids=resource_ids
    )
    db.session.commit()
    refusals.already_recorded()
