"""Forms to act on an order: each carries the version the page showed."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import Length


class ActionForm(FlaskForm):
    version = HiddenField()
    comment = TextAreaField(_l("Comment"), validators=[Length(max=2000)])
