"""Incident pages: the list, reporting one, one incident with its SLA clocks, its
timeline and the moves its viewer may make.

Who sees what is the service's rule (incidents.permissions): agency staff their
subtree's incidents, the platform-wide roles all, a vendor's staff their vendor's;
others get 404 for an incident, whose existence is not confirmed. Agency staff and the
platform team report incidents (others: 403). Every move is decided by the service
and a refusal comes back on the page with its status; the page only offers the forms
the same rules allow (incidents.actions)."""

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from portal.core.db import utcnow
from portal.core.errors import DomainError, NotFound
from portal.core.form_errors import run_service
from portal.core.inputs import MAX_ID, page_number
from portal.extensions import db
from portal.incidents import service
from portal.incidents.actions import MOVES, may_open_incidents, offered
from portal.incidents.corrections import can_correct, correct_clock
from portal.incidents.display import EVENT_LABELS, clock_views, event_note
from portal.incidents.forms import AssignForm, CorrectionForm, IncidentForm, NoteForm
from portal.incidents.permissions import is_agency_side
from portal.incidents.states import IncidentState
from portal.inventory.permissions import can
from portal.inventory.service import get_resource
from portal.knowledge import service as knowledge
from portal.knowledge.display import citation_panel
from portal.knowledge.forms import CiteForm
from portal.tenancy.service import visible_agencies
from portal.vendors.service import technicians_of

bp = Blueprint("incidents", __name__, url_prefix="/incidents")
PER_PAGE = 50


def resource_visible(resource):
    """Vendor staff see an incident but not the resource's page: no link for them."""
    return resource is not None and can(current_user, resource, "view")


@bp.get("/")
@login_required
def index():
    state = request.args.get("state") or None
    if state not in set(IncidentState):
        state = None
    page = page_number(request.args.get("page"))
    incidents, total = service.list_incidents(
        db.session, current_user, state=state, page=page, per_page=PER_PAGE
    )
    now = utcnow()
    return render_template(
        "incidents/index.html",
        rows=[(incident, clock_views(incident, now)) for incident in incidents],
        total=total,
        page=page,
        per_page=PER_PAGE,
        state=state,
        may_open=may_open_incidents(current_user),
        resource_visible=resource_visible,
    )


def _reporter_only():
    if not may_open_incidents(current_user):
        abort(403)


def _resource(raw):
    """The resource named by the form or the query string, None for none; a bad or
    foreign id is not found."""
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise NotFound(_l("No such resource."))
    return get_resource(db.session, current_user, int(raw))


def _render_new(form, resource, error=None, status=200):
    if resource is None:
        agencies = visible_agencies(db.session, current_user)
        form.agency_id.choices = [
            SelectChoice(agency.id, agency.name(get_locale())) for agency in agencies
        ]
        if form.agency_id.data is None and current_user.agency_id is not None:
            form.agency_id.data = current_user.agency_id
    return render_template("incidents/new.html", form=form, resource=resource, error=error), status


@bp.get("/new")
@login_required
def new():
    _reporter_only()
    resource = _resource(request.args.get("resource_id"))
    form = IncidentForm(formdata=None, resource_id=resource.id if resource else None)
    return _render_new(form, resource)


@bp.post("/")
@login_required
def create():
    _reporter_only()
    form = IncidentForm()
    resource = _resource(request.form.get("resource_id"))
    if not form.validate_on_submit():
        return _render_new(form, resource, status=422)
    incident, error = run_service(
        form,
        lambda: service.open_incident(
            db.session,
            current_user,
            priority=form.priority.data,
            title=form.title.data,
            description=form.description.data,
            resource_id=resource.id if resource else None,
            agency_id=None if resource else form.agency_id.data,
        ),
    )
    if error:
        return _render_new(form, resource, error, error.status)
    flash(_l("Incident %(number)s was reported.", number=incident.number), "success")
    return redirect(url_for("incidents.detail", incident_id=incident.id))


@bp.get("/<int:incident_id>")
@login_required
def detail(incident_id):
    return _render_detail(service.get_incident(db.session, current_user, incident_id))


def _assign_form(incident, **kwargs):
    form = AssignForm(**kwargs)
    staff = technicians_of(db.session, incident.vendor) if incident.vendor else []
    form.technician_id.choices = [SelectChoice(t.id, f"{t.staff_number} {t.name}") for t in staff]
    if form.technician_id.data is None:
        form.technician_id.data = incident.technician_id
    return form


def _render_detail(
    incident, *, failed=None, assign_form=None, correction_form=None, error=None, status=200
):
    """`failed`: (move, form) that was refused, shown again with what was typed."""
    now = utcnow()
    forms = {name: NoteForm(formdata=None) for name in MOVES}
    if failed is not None:
        forms[failed[0]] = failed[1]
    return render_template(
        "incidents/detail.html",
        incident=incident,
        clocks=clock_views(incident, now),
        offered=offered(db.session, current_user, incident, now),
        moves=MOVES,
        forms=forms,
        assign_form=assign_form or _assign_form(incident, formdata=None),
        correction_form=correction_form or CorrectionForm(formdata=None),
        may_correct=can_correct(current_user)
        and (incident.responded_at is not None or incident.resolved_at is not None),
        agency_side=is_agency_side(current_user, incident),
        resource_visible=resource_visible,
        event_labels=EVENT_LABELS,
        event_note=event_note,
        knowledge=citation_panel(
            db.session, current_user, incident, request.args.get("article_q"), now
        ),
        error=error,
    ), status


@bp.post("/<int:incident_id>/<action>")
@login_required
def act(incident_id, action):
    if action not in MOVES:
        abort(404)
    form = NoteForm()
    if not form.validate_on_submit():
        incident = service.get_incident(db.session, current_user, incident_id)
        return _render_detail(incident, failed=(action, form), status=422)
    _, error = run_service(
        form, lambda: MOVES[action].run(db.session, current_user, incident_id, form.note.data)
    )
    if error:
        incident = service.get_incident(db.session, current_user, incident_id)
        return _render_detail(incident, failed=(action, form), error=error, status=error.status)
    flash(MOVES[action].done, "success")
    return redirect(url_for("incidents.detail", incident_id=incident_id))


@bp.post("/<int:incident_id>/assign")
@login_required
def assign(incident_id):
    incident = service.get_incident(db.session, current_user, incident_id)
    form = _assign_form(incident)
    if not form.validate_on_submit():
        return _render_detail(incident, assign_form=form, status=422)
    incident, error = run_service(
        form,
        lambda: service.assign(db.session, current_user, incident_id, form.technician_id.data),
    )
    if error:
        incident = service.get_incident(db.session, current_user, incident_id)
        form.technician_id.choices = _assign_form(incident, formdata=None).technician_id.choices
        return _render_detail(incident, assign_form=form, error=error, status=error.status)
    flash(_l("%(name)s was assigned.", name=incident.technician.name), "success")
    return redirect(url_for("incidents.detail", incident_id=incident_id))


@bp.post("/<int:incident_id>/correct-time")
@login_required
def correct_time(incident_id):
    incident = service.get_incident(db.session, current_user, incident_id)
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _render_detail(incident, correction_form=form, status=422)
    at = form.at.data
    if at is not None:  # typed in the user's own zone
        at = at.replace(tzinfo=ZoneInfo(current_user.timezone))
    _, error = run_service(
        form,
        lambda: correct_clock(
            db.session, current_user, incident_id, form.clock.data, at, form.note.data
        ),
    )
    if error:
        incident = service.get_incident(db.session, current_user, incident_id)
        return _render_detail(incident, correction_form=form, error=error, status=error.status)
    flash(_l("The time was corrected and the clock judged again."), "success")
    return redirect(url_for("incidents.detail", incident_id=incident_id))


# The articles of the knowledge base the resolution cites (knowledge.service decides).


def _cited(incident_id, call, done):
    try:
        call()
    except DomainError as error:
        db.session.rollback()
        incident = service.get_incident(db.session, current_user, incident_id)
        return _render_detail(incident, error=error, status=error.status)
    flash(done, "success")
    return redirect(url_for("incidents.detail", incident_id=incident_id, _anchor="knowledge"))


@bp.post("/<int:incident_id>/articles")
@login_required
def cite(incident_id):
    form = CiteForm()
    # No valid article id: the service still answers who may cite first (404, 403).
    article_id = form.article_id.data if form.validate_on_submit() else None
    return _cited(
        incident_id,
        lambda: knowledge.link_article(db.session, current_user, incident_id, article_id),
        _l("The article is cited in the resolution."),
    )


@bp.post("/<int:incident_id>/articles/<int:article_id>/remove")
@login_required
def uncite(incident_id, article_id):
    return _cited(
        incident_id,
        lambda: knowledge.unlink_article(db.session, current_user, incident_id, article_id),
        _l("The article is no longer cited."),
    )
