"""marshmallow's reasons for a bad field, in the reader's language.

marshmallow words its reasons in English and formats them before the portal sees
them ("Longer than maximum length 40."). The templates it uses for the fields and
validators of the portal's schemas are listed here, so that they are translated like
any other text; a reason is matched back to its template and translated with the
same values. A reason that matches none (a schema's own, already translated) is
returned as it is.
"""

import re
from functools import cache

from flask_babel import gettext

from portal.i18n import N_

TEMPLATES = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Unknown field."),
    N_("Invalid input type."),
    N_("Invalid type."),
    N_("Invalid value."),
    N_("Not a valid string."),
    N_("Not a valid integer."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid aware datetime."),
    N_("Not a valid mapping type."),
    N_("Not a valid list."),
    N_("Not a valid email address."),
    N_("String does not match expected pattern."),
    N_("Shorter than minimum length {min}."),
    N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be less than {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be one of: {choices}."),
)


@cache
def _patterns():
    """(regex, template) for each template, its {placeholders} as named groups; the
    longest first, so that "Must be greater than {min}." does not take the reason of
    "Must be greater than or equal to {min} and less than or equal to {max}."."""
    found = []
    for template in sorted(TEMPLATES, key=len, reverse=True):
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(template))
        found.append((re.compile(pattern + r"\Z"), template))
    return found


def translated(reason):
    """The reason in the current locale, if it is one of marshmallow's."""
    for pattern, template in _patterns():
        if matched := pattern.match(reason):
            return gettext(template).format(**matched.groupdict())
    return reason
