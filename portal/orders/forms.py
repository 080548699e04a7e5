"""Forms to act on an order: each carries the version the page showed."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional
from wtforms.widgets import HiddenInput


class ActionForm(FlaskForm):
    version = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(0)])
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])
