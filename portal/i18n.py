"""Which language and time zone a page is shown in."""

from flask import current_app, request, session
from flask_login import current_user


def select_locale():
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"]) if request else None
    if best == "en":
        return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone():
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return None
