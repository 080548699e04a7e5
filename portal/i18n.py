"""Which language and time zone a page is shown in; N_ marks texts translated later."""

from flask import current_app, has_request_context, request, session
from flask_login import current_user


def select_locale():
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the CLI and workers speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
    if best is None:
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return "en" if best == "en" else "zh_CN"


def select_timezone():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.timezone
    return None


def N_(message):
    """Mark a message for extraction only: it is translated where it is used, in the
    reader's language (notifications are stored in both)."""
    return message
