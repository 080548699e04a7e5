"""Login, logout, the account page, API tokens, the language switch."""

import secrets

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from portal.accounts import service
from portal.accounts.forms import LoginForm, PasswordForm, TokenForm
from portal.core.errors import InvalidInput
from portal.extensions import db
from portal.web import is_local_url

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = service.authenticate(
            db.session, form.username.data, form.password.data, request.remote_addr or "unknown"
        )
        if user is None:
            # Returned with status 200 so that the failed attempt is committed and counts.
            form.password.errors.append(_l("Wrong user name or password."))
            return render_template("login.html", form=form)
        lang = session.get("lang")
        session.clear()  # a new session at login: nothing from before survives
        if lang:
            session["lang"] = lang
        session["sid"] = secrets.token_hex(16)
        login_user(user)
        target = form.next.data
        return redirect(target if is_local_url(target) else url_for("home.index"))
    return render_template("login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("accounts.login"))


@bp.get("/account")
@login_required
def account():
    new_token = session.pop("new_token", None)
    return render_template(
        "account.html",
        password_form=PasswordForm(),
        token_form=TokenForm(formdata=None),
        tokens=service.list_api_tokens(db.session, current_user),
        new_token=new_token and new_token["plaintext"],
        new_token_name=new_token and new_token["name"],
    )


@bp.post("/account/password")
@login_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(
                db.session, current_user, form.current_password.data, form.new_password.data
            )
        except InvalidInput as error:
            for name, reason in error.fields.items():
                getattr(form, name, form.new_password).errors.append(reason)
        else:
            login_user(
                current_user._get_current_object()
            )  # this session carries the new epoch; others end
            flash(_l("Your password was changed. Other sessions were logged out."), "success")
            return redirect(url_for("accounts.account"))
    return render_template(
        "account.html",
        password_form=form,
        token_form=TokenForm(),
        tokens=service.list_api_tokens(db.session, current_user),
    ), 422


@bp.post("/account/tokens")
@login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return render_template(
            "account.html",
            password_form=PasswordForm(),
            token_form=form,
            tokens=service.list_api_tokens(db.session, current_user),
        ), 422
    token, plaintext = service.create_api_token(db.session, current_user, form.name.data)
    # Shown once, on the next page: a reload of that page makes no second token.
    session["new_token"] = {"name": token.name, "plaintext": plaintext}
    return redirect(url_for("accounts.account"))


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id):
    service.revoke_api_token(db.session, current_user, token_id)
    flash(_l("The token was revoked."), "success")
    return redirect(url_for("accounts.account"))


@bp.get("/language/<code>")
def set_language(code):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.args.get("next")
    return redirect(target if is_local_url(target) else url_for("home.index"))
