"""The forms of the billing pages (CSRF and field checks; the rules are the service's)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class BillActionForm(FlaskForm):
    """Submit for review, finalize: nothing but the token."""


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])


class AdjustmentForm(FlaskForm):
    amount = StringField(
        _l("Amount (yuan; negative for a reduction)"), validators=[DataRequired(), Length(max=20)]
    )
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)])
    resource_id = IntegerField(_l("Resource (optional)"), validators=[Optional()])


class GenerateForm(FlaskForm):
    month = StringField(_l("Month"), validators=[DataRequired(), Length(max=7)])


class BudgetForm(FlaskForm):
    agency_code = StringField(_l("Agency code"), validators=[DataRequired(), Length(max=40)])
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(2000, 2100)])
    amount = StringField(_l("Budget (yuan)"), validators=[DataRequired(), Length(max=20)])
