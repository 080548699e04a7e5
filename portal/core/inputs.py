"""Guards on raw input that every route shares: ids the database can hold, numbers
of pages that exist, and no control characters in text (PostgreSQL refuses NUL)."""

import re

from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.routing import IntegerConverter

from portal.core.errors import InvalidInput

# The largest id an INTEGER column holds on PostgreSQL (and so on every database here).
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class IdConverter(IntegerConverter):
    """<int:…> in routes: an id beyond any column is simply not found (404)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def page_number(value):
    """A page number from the query string, within 1..MAX_PAGE."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def refuse_control_characters():
    """before_request: text with control characters is refused before anything reads it."""
    values = list(request.args.values())
    if not request.is_json:
        values += request.form.values()
    # JSON's parser refuses a raw control character in a string, so one can only come
    # as an escape: a body without a backslash holds none, and need not be walked.
    elif b"\\" in request.get_data():
        values += _texts(request.get_json(silent=True))
    for value in values:
        if CONTROL.search(value):
            raise InvalidInput(_l("Text may not contain control characters."))


def init_app(app):
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_control_characters)
