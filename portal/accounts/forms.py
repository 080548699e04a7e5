"""Account forms (Flask-WTF: CSRF on every one)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from portal.accounts.roles import Role

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    next = HiddenField()


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", _l("The passwords differ."))],
    )


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=80)])


class UserForm(FlaskForm):
    """An administrator's form for a user; the password only when creating one."""

    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = StringField(
        _l("Email"),
        validators=[
            Optional(),
            Regexp(EMAIL, message=_l("Not an email address.")),
            Length(max=200),
        ],
    )
    agency_id = SelectField(_l("Agency"), coerce=int)
    # Absent from a post (older forms, scripts): no vendor, as "—" says.
    vendor_id = SelectField(_l("Vendor (of a vendor manager or technician)"), coerce=int, default=0)
    roles = SelectMultipleField(
        _l("Roles"),
        choices=[SelectChoice(role.value, role.label) for role in Role],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validators=[DataRequired(_l("Choose at least one role."))],
    )
    enabled = BooleanField(_l("May log in"))
    password = PasswordField(_l("Initial password"), validators=[Optional(), Length(max=200)])


class ResetPasswordForm(FlaskForm):
    """An administrator's temporary password for a user, told to them in person."""

    password = PasswordField(_l("Temporary password"), validators=[DataRequired(), Length(max=200)])
