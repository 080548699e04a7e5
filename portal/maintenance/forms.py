"""The forms of the maintenance pages: CSRF and the shape of the fixed fields. The
targets come as `resource_ids` checkboxes and the playbook's parameters as
`param-<name>` fields (catalog.parameters_from_form); the rules are the service's."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from portal.core.inputs import MAX_ID


class PlanForm(FlaskForm):
    playbook = StringField(validators=[Length(max=40)])
    incident_id = IntegerField(
        _l("Id of the incident it serves (optional)"),
        validators=[Optional(), NumberRange(1, MAX_ID)],
    )


class RunActionForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])
