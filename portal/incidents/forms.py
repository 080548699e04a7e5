"""The forms of the incident pages: CSRF and the shape of the fields; the rules (a
priority from the list, a title, a required note, an eligible technician) are the
service's, shown on the fields it names."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional
from wtforms.widgets import HiddenInput

from portal.incidents.states import PRIORITIES

MAX_TEXT = 10_000  # as the API allows


class IncidentForm(FlaskForm):
    """`agency_id` gets the agencies the user may report for from the view, when the
    incident is on no particular resource."""

    resource_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    agency_id = SelectField(_l("Agency"), coerce=int, validate_choice=False)
    priority = SelectField(
        _l("Priority"),
        choices=[SelectChoice(code, label) for code, label in PRIORITIES.items()],
        default="P3",
        validate_choice=False,
    )
    title = StringField(_l("What is wrong, in one line"))
    description = TextAreaField(
        _l("Details (what you see, since when, who is affected)"),
        validators=[Length(max=MAX_TEXT)],
    )


class NoteForm(FlaskForm):
    """Every move of an incident: a note, required or not as the service says."""

    note = TextAreaField(_l("Note"), validators=[Length(max=MAX_TEXT)])


class AssignForm(FlaskForm):
    """`technician_id` gets the vendor's technicians as choices from the view."""

    technician_id = SelectField(_l("Technician"), coerce=int, validate_choice=False)


class CorrectionForm(FlaskForm):
    """When a clock really stopped, in the user's time zone; the service judges it."""

    clock = SelectField(
        _l("Clock"),
        choices=[
            SelectChoice("response", _l("Response time")),
            SelectChoice("resolution", _l("Resolution time")),
        ],
        validate_choice=False,
    )
    at = DateTimeLocalField(
        _l("It really stopped at"),
        format="%Y-%m-%dT%H:%M",
        validators=[Optional()],
    )
    note = TextAreaField(_l("Why (e.g. answered by telephone)"), validators=[Length(max=MAX_TEXT)])
