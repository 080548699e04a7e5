"""Accounts: password hashing, login with throttling, password changes, API tokens."""

import hashlib
import re
import secrets
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import joinedload

from portal.accounts.models import ApiToken, LoginAttempt, User, UserRole, new_session_epoch
from portal.accounts.roles import AGENCY_ROLES, VENDOR_ROLES, Role
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyAttempts
from portal.tenancy.models import Agency
from portal.vendors.models import Vendor

TOKEN_PREFIX = "jy_"  # noqa: S105 - a marker, not a secret
MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")


def _hasher():
    hasher = current_app.extensions.get("jiyun_password_hasher")
    if hasher is None:
        hasher = PasswordHasher(
            time_cost=current_app.config["ARGON2_TIME_COST"],
            memory_cost=current_app.config["ARGON2_MEMORY_COST"],
        )
        current_app.extensions["jiyun_password_hasher"] = hasher
    return hasher


def check_password_policy(password):
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            _l("The password is too short."),
            {"password": _l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)},
        )
    if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
        raise InvalidInput(
            _l("The password is too weak."), {"password": _l("Use both letters and digits.")}
        )


def hash_password(password):
    return _hasher().hash(password)


def _password_matches(user, password):
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_throttle(session, username, address):
    """Refuse once a user name has failed too often from this address, or the address
    has failed too often for any names. Failures from elsewhere do not lock a user out,
    so nobody can lock out another person by guessing their password."""
    config = current_app.config
    since = utcnow() - config["LOGIN_THROTTLE_WINDOW"]
    failures = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.attempted_at >= since,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.source_address == address,
        )
    )
    by_pair = session.scalar(failures.where(LoginAttempt.username == username))
    by_address = session.scalar(failures)
    if (
        by_pair >= config["LOGIN_MAX_FAILURES_PER_USER"]
        or by_address >= config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    ):
        minutes = int(config["LOGIN_THROTTLE_WINDOW"] / timedelta(minutes=1))
        raise TooManyAttempts(
            _l("Too many failed logins. Try again in %(minutes)d minutes.", minutes=minutes)
        )


def authenticate(session, username, password, address):
    """Return the user whose credentials these are, or None; every attempt is recorded.

    Raises TooManyAttempts before checking anything once the window's failures are used
    up. The caller commits, so that failed attempts are kept.
    """
    username = (username or "").strip().lower()
    _check_throttle(session, username, address)
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        _hasher().hash(password)  # spend the same time as a real check
        ok = False
    else:
        ok = user.is_enabled and _password_matches(user, password)
    session.add(LoginAttempt(username=username, source_address=address, succeeded=ok))
    if ok:
        if _hasher().check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        audit.record(session, user, "user.login", "user", user.id, agency_id=user.agency_id)
        return user
    audit.record(session, None, "user.login_failed", "user", username)
    return None


def change_password(session, user, current_password, new_password):
    if not _password_matches(user, current_password):
        raise InvalidInput(
            _l("The current password is wrong."),
            {"current_password": _l("The current password is wrong.")},
        )
    check_password_policy(new_password)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = False
    user.session_epoch = new_session_epoch()  # every other session ends here
    audit.record(session, user, "user.password_changed", "user", user.id, agency_id=user.agency_id)
    session.flush()


def reset_password(session, actor, user_id, new_password):
    """An administrator gives a user a temporary password (told to them in person): every
    session and API token of theirs ends (a reset answers a lost or stolen account), and
    they choose their own password at the next login. Only flushes."""
    if not actor.has_role(Role.ADMIN):
        raise Forbidden(_l("Only an administrator resets passwords."))
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_l("No such user."))
    if user.id == actor.id:
        raise Conflict(_l("Change your own password on your account page."))
    check_password_policy(new_password)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.must_change_password = True
    user.session_epoch = new_session_epoch()
    revoked = session.scalars(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .returning(ApiToken.prefix)
    ).all()
    audit.record(
        session,
        actor,
        "user.password_reset",
        "user",
        user.id,
        agency_id=user.agency_id,
        after={"api_tokens_revoked": sorted(revoked)},
    )
    session.flush()
    return user


def create_user(
    session,
    actor,
    *,
    username,
    display_name,
    password,
    roles,
    agency_id=None,
    email=None,
    password_hash=None,
    vendor_id=None,
):
    """Create a user. password_hash lets bulk seeding hash a shared password once;
    vendor_id is the vendor a vendor manager or technician works for."""
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise InvalidInput(
            _l("Invalid user name."),
            {"username": _l("Use 2-80 lower-case letters, digits, '.', '_' or '-'.")},
        )
    if session.scalar(select(User.id).where(User.username == username)):
        raise InvalidInput(_l("This user name is taken."), {"username": _l("Already taken.")})
    roles = _checked_roles(session, roles, agency_id, vendor_id)
    if password_hash is None:
        if not password:
            raise InvalidInput(
                _l("Give the user an initial password."), {"password": _l("Required.")}
            )
        check_password_policy(password)
        password_hash = hash_password(password)
    user = User(
        username=username,
        display_name=display_name,
        email=email,
        password_hash=password_hash,
        agency_id=agency_id,
        vendor_id=vendor_id,
        role_rows=[UserRole(role=role.value) for role in roles],
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.created",
        "user",
        user.id,
        agency_id=agency_id,
        after={
            "username": username,
            "roles": [r.value for r in roles],
            "agency_id": agency_id,
            "vendor_id": vendor_id,
        },
    )
    return user


def _checked_roles(session, roles, agency_id, vendor_id):
    """Known roles; an existing agency when an agency role is given, an existing vendor
    when a vendor role is (a vendor's staff without a vendor could see nothing)."""
    try:
        roles = sorted({Role(role) for role in roles})
    except ValueError:
        raise InvalidInput(_l("Unknown role."), {"roles": _l("Unknown role.")}) from None
    if not roles:
        raise InvalidInput(_l("Choose at least one role."), {"roles": _l("Required.")})
    if agency_id is not None and session.get(Agency, agency_id) is None:
        raise InvalidInput(_l("No such agency."), {"agency_id": _l("No such agency.")})
    if set(roles) & AGENCY_ROLES and agency_id is None:
        raise InvalidInput(
            _l("Agency staff belong to an agency."),
            {"agency_id": _l("Choose the agency of this member or manager.")},
        )
    if vendor_id is not None and session.get(Vendor, vendor_id) is None:
        raise InvalidInput(_l("No such vendor."), {"vendor_id": _l("No such vendor.")})
    if set(roles) & VENDOR_ROLES and vendor_id is None:
        raise InvalidInput(
            _l("Vendor staff belong to a vendor."),
            {"vendor_id": _l("Choose the vendor of this manager or technician.")},
        )
    return roles


def update_user(
    session, actor, user_id, *, display_name, email, roles, agency_id, enabled, vendor_id=None
):
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_l("No such user."))
    roles = _checked_roles(session, roles, agency_id, vendor_id)
    if user.id == actor.id and (not enabled or set(roles) != set(user.roles)):
        # No lock-out, and no granting oneself the power to approve: four eyes.
        raise InvalidInput(
            _l("Another administrator must change your roles or access."),
            {"roles": _l("You cannot change your own roles or access.")},
        )
    before = _user_facts(user)
    user.display_name, user.email, user.agency_id = display_name, email, agency_id
    user.vendor_id = vendor_id
    current = {row.role: row for row in user.role_rows}
    for name in set(current) - {role.value for role in roles}:
        user.role_rows.remove(current[name])
    for role in roles:
        if role.value not in current:
            user.role_rows.append(UserRole(role=role.value))
    if user.is_enabled and not enabled:
        user.session_epoch = new_session_epoch()  # a disabled user's sessions end now
    user.is_enabled = enabled
    session.flush()
    audit.record(
        session,
        actor,
        "user.updated",
        "user",
        user.id,
        agency_id=agency_id,
        before=before,
        after=_user_facts(user),
    )
    return user


def _user_facts(user):
    return {
        "display_name": user.display_name,
        "agency_id": user.agency_id,
        "vendor_id": user.vendor_id,
        "roles": sorted(row.role for row in user.role_rows),
        "enabled": user.is_enabled,
    }


def _token_hash(plaintext):
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_api_token(session, user, name):
    """Create a token; the plain text is returned this once and never stored."""
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise InvalidInput(_l("Give the token a name."), {"name": _l("1-80 characters.")})
    secret = secrets.token_urlsafe(32)
    plaintext = TOKEN_PREFIX + secret
    token = ApiToken(
        user_id=user.id, name=name, prefix=plaintext[:10], token_hash=_token_hash(plaintext)
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        user,
        "api_token.created",
        "api_token",
        token.id,
        agency_id=user.agency_id,
        after={"name": name, "prefix": token.prefix},
    )
    return token, plaintext


def revoke_api_token(session, user, token_id):
    token = session.get(ApiToken, token_id)
    # Another's token is answered like a missing one: ids of others are not confirmed.
    if token is None or token.revoked_at is not None or token.user_id != user.id:
        raise NotFound(_l("No such token."))
    token.revoked_at = utcnow()
    audit.record(
        session, user, "api_token.revoked", "api_token", token.id, agency_id=user.agency_id
    )
    session.flush()


# The user alone, with the agency (lazy="joined") and roles every API call needs, in
# one query: the token row is only a condition, not an object worth building. Built
# once: composing it per call cost more than the database spent running it.
_TOKEN_USER = (
    select(User)
    .join(ApiToken, ApiToken.user_id == User.id)
    .options(joinedload(User.role_rows))
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ApiToken.revoked_at.is_(None),
        User.is_enabled.is_(True),
    )
)


def user_for_token(session, plaintext):
    """The enabled user a live token belongs to, or None."""
    if not plaintext or not plaintext.startswith(TOKEN_PREFIX):
        return None
    return session.scalars(_TOKEN_USER, {"token_hash": _token_hash(plaintext)}).unique().first()


def list_api_tokens(session, user):
    return session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc())
    ).all()


def load_session_user(session, login_id):
    """The user named by a session's login id, if its epoch is still current."""
    user_id, _, epoch = (login_id or "").partition(":")
    if not user_id.isdigit():
        return None
    user = session.get(User, int(user_id))
    if user is None or not secrets.compare_digest(user.session_epoch, epoch):
        return None
    return user
