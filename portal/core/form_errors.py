"""Running a service call for a page's form: a refusal goes back onto the form."""

from portal.core.errors import DomainError
from portal.extensions import db


def run_service(form, call):
    """(result, None), or (None, error) with the session rolled back and the error's
    reasons on the form's fields, for the page to be shown again with what was typed."""
    try:
        return call(), None
    except DomainError as error:
        db.session.rollback()
        for name, reason in error.fields.items():
            if name in form:
                form[name].errors.append(reason)
        return None, error
