"""The forms of the knowledge-base pages: CSRF and the shape of the fields; the rules
(a title, a body, codes from the vocabularies, the version an edit started from) are
the service's, shown on the fields it names."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, HiddenInput, ListWidget

from portal.core.inputs import MAX_ID
from portal.knowledge.service import MAX_BODY, MAX_NOTE, MAX_TITLE
from portal.tenancy.vocabulary import BUSINESS_DOMAINS
from portal.vendors.vocabulary import SKILLS


class Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(vocabulary):
    return [SelectChoice(code, label) for code, label in vocabulary.items()]


class ArticleForm(FlaskForm):
    """Writing an article, or editing it from `version`."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional(), NumberRange(0)])
    title = StringField(_l("Article title"), validators=[Length(max=MAX_TITLE)])
    body = TextAreaField(
        _l("Text (symptoms, cause, steps to fix, how to check)"),
        validators=[Length(max=MAX_BODY)],
    )
    domains = Checkboxes(
        _l("Business domains"), choices=_choices(BUSINESS_DOMAINS), validate_choice=False
    )
    skills = Checkboxes(_l("Skills"), choices=_choices(SKILLS), validate_choice=False)
    note = StringField(_l("What changed, and why"), validators=[Length(max=MAX_NOTE)])


class CiteForm(FlaskForm):
    article_id = IntegerField(
        widget=HiddenInput(), validators=[InputRequired(), NumberRange(1, MAX_ID)]
    )
