"""The agency pages' forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal.tenancy.vocabulary import AGENCY_KINDS, BUSINESS_DOMAINS, OUTSOURCING_MODES


def _choices(vocabulary):
    return [SelectChoice(value, label) for value, label in vocabulary.items()]


class QuotaForm(FlaskForm):
    """Only CSRF here: the resource fields are read from the request by name."""


class AgencyProfileForm(FlaskForm):
    name_zh = StringField(_l("Name in Chinese"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=160)])
    domain = SelectField(_l("Business domain"), choices=_choices(BUSINESS_DOMAINS))
    outsourcing_mode = SelectField(_l("Outsourcing mode"), choices=_choices(OUTSOURCING_MODES))


class NewAgencyForm(AgencyProfileForm):
    """Where the agency sits and what it is called in codes: fixed once made."""

    parent_id = SelectField(_l("Under"), coerce=int)
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)])
    kind = SelectField(_l("Kind"), choices=_choices(AGENCY_KINDS))
