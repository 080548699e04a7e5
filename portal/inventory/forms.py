"""The form behind a resource's action buttons (CSRF, and the action's few inputs)."""

from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional


class ResourceActionForm(FlaskForm):
    flavor = StringField(validators=[Optional(), Length(max=40)])
    size_gb = IntegerField(validators=[Optional(), NumberRange(1, 16000)])
