"""The form behind a resource's action buttons (CSRF, and the action's few inputs)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class ResourceActionForm(FlaskForm):
    flavor = StringField(validators=[Optional(), Length(max=40)])
    size_gb = IntegerField(validators=[Optional(), NumberRange(1, 16000)])


class LeaseExtensionForm(FlaskForm):
    days = IntegerField(_l("Days"), validators=[DataRequired(), NumberRange(1, 3650)])
    reason = TextAreaField(_l("Why"), validators=[Length(max=2000)])
