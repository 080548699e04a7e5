"""The forms of the scorecard pages and of a rating: CSRF and the shape of the fields.
The rules (score ranges, one rating per request) are the services', shown on the fields
they name."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import Length, Optional


class ReviewForm(FlaskForm):
    """An expert review (专家验收论证) of one vendor for one scorecard period."""

    vendor_id = IntegerField(validators=[Optional()])
    period = StringField(validators=[Length(max=10)])
    score = IntegerField(_l("Expert review (0–100)"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])


class RatingForm(FlaskForm):
    """1 to 5 from radio buttons the template draws; a missing score is the service's
    to refuse, with its own words."""

    score = IntegerField(_l("Your rating"), validators=[Optional()])
    comment = TextAreaField(_l("Comment (optional)"))
