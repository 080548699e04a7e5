"""The forms of the vendor pages: CSRF and the shape of the fields; the rules (required
values, overlaps, the pass mark) are the service's, shown on the fields it names."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.tenancy.vocabulary import BUSINESS_DOMAINS
from portal.vendors.vocabulary import SKILLS


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(vocabulary):
    return [SelectChoice(code, label) for code, label in vocabulary.items()]


class VendorForm(FlaskForm):
    code = StringField(_l("Code"), validators=[Length(max=40)])
    name_zh = StringField(_l("Name in Chinese"), validators=[Length(max=120)])
    name_en = StringField(_l("Name in English"), validators=[Length(max=160)])
    contact = TextAreaField(_l("Contact"), validators=[Length(max=1000)])


class ContractForm(FlaskForm):
    """`hybrid_services` gets the catalog's items as choices from the view."""

    number = StringField(_l("Contract number"), validators=[Length(max=60)])
    starts_on = DateField(_l("Starts on"), validators=[Optional()])
    ends_on = DateField(_l("Ends on"), validators=[Optional()])
    domains = Checkboxes(_l("Business domains"), choices=_choices(BUSINESS_DOMAINS))
    hybrid_services = Checkboxes(_l("Services it operates for hybrid agencies"))
    note = TextAreaField(_l("Note"), validators=[Length(max=1000)])


class TechnicianForm(FlaskForm):
    staff_number = StringField(_l("Staff number"), validators=[Length(max=40)])
    name = StringField(_l("Name"), validators=[Length(max=120)])
    username = StringField(_l("Account (user name, optional)"), validators=[Length(max=80)])


class CertificateForm(FlaskForm):
    number = StringField(_l("Certificate number"), validators=[Length(max=60)])
    domains = Checkboxes(_l("Business domains"), choices=_choices(BUSINESS_DOMAINS))
    skills = Checkboxes(_l("Skills"), choices=_choices(SKILLS))
    exam_score = IntegerField(_l("Exam score"), validators=[Optional()])
    issued_on = DateField(_l("Issued on"), validators=[Optional()])
    expires_on = DateField(_l("Valid until"), validators=[Optional()])


class RevokeForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[Length(max=1000)])


class ExamResultsForm(FlaskForm):
    file = FileField(_l("Results file (CSV)"))
