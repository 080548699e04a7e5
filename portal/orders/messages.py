"""The words for the catalog's field error codes, in the user's language."""

from flask_babel import lazy_gettext as _l


def field_error_message(error):
    params = error.params
    match error.code:
        case "required":
            return _l("This field is required.")
        case "not_integer":
            return _l("Enter a whole number.")
        case "too_small":
            return _l("Must be at least %(min)s.", min=params["min"])
        case "too_large":
            return _l("Must be at most %(max)s.", max=params["max"])
        case "not_text":
            return _l("Enter text.")
        case "too_long":
            return _l("Use at most %(max_length)s characters.", max_length=params["max_length"])
        case "bad_format":
            return _l("The format is not valid.")
        case "not_a_choice":
            return _l("Choose one of: %(choices)s.", choices=params["choices"])
        case "not_boolean":
            return _l("Answer yes or no.")
        case "unknown_field":
            return _l("This item has no such field.")
    return _l("This value is not valid.")
