"""Sessions: who is logged in, idle timeout, and the login id that a password
change invalidates."""

import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from portal.accounts.service import load_session_user
from portal.extensions import db, login_manager

PUBLIC_ENDPOINTS = {"accounts.login", "accounts.set_language", "static"}


def init_app(app):
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(login_id):
        return load_session_user(db.session, login_id)

    app.before_request(_enforce_idle_timeout)


def _enforce_idle_timeout():
    if request.blueprint and request.blueprint.startswith("api"):
        return None  # the API authenticates each call with a token, not the session
    if request.endpoint in PUBLIC_ENDPOINTS or not current_user.is_authenticated:
        return None
    now = int(time.time())
    seen = session.get("seen", now)
    if now - seen > current_app.config["IDLE_TIMEOUT"].total_seconds():
        logout_user()
        session.clear()
        flash(_l("You were logged out after a period of inactivity."), "info")
        return redirect(url_for("accounts.login", next=request.full_path))
    session["seen"] = now
    return None
