"""Sessions: who is logged in, idle timeout, the login id that a password change
invalidates, and the password an administrator reset, which its user replaces first."""

import time

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from portal.accounts.service import load_session_user
from portal.extensions import db, login_manager

PUBLIC_ENDPOINTS = {"accounts.login", "accounts.set_language", "static"}
# What a user whose password was reset may open before choosing a new one.
PASSWORD_CHANGE_ENDPOINTS = {
    "accounts.account",
    "accounts.change_password",
    "accounts.logout",
    "accounts.set_language",
    "static",
}


def init_app(app):
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def _load_user(login_id):
        return load_session_user(db.session, login_id)

    app.before_request(_enforce_idle_timeout)
    app.before_request(_require_own_password)


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


def _require_own_password():
    """After an administrator's reset, the pages wait until the user chose a password."""
    if request.blueprint and request.blueprint.startswith("api"):
        return None
    if not current_user.is_authenticated or not current_user.must_change_password:
        return None
    if request.endpoint in PASSWORD_CHANGE_ENDPOINTS:
        return None
    flash(_l("Your password was reset by an administrator: choose your own to go on."), "info")
    return redirect(url_for("accounts.account"))
