"""Login, sessions, throttling, password changes and API tokens."""

import hashlib
import time

from sqlalchemy import select

from portal.accounts.models import ApiToken
from tests.conftest import csrf_token, database, login
from tests.factories import PASSWORD


def post_login(client, username, password):
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_token(client)},
    )


def session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_pages_need_a_login(client):
    response = client.get("/orders/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_wrong_password_is_refused_with_a_form_error(client):
    response = post_login(client, "member.a", "wrong-password-1")
    assert response.status_code == 200
    assert "Wrong user name or password" in response.get_data(
        as_text=True
    ) or "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/orders/").status_code == 302


def test_login_without_csrf_token_is_refused(client):
    response = client.post("/login", data={"username": "member.a", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/orders/").status_code == 302


def test_state_changes_without_csrf_token_are_refused(as_user):
    member = as_user("member.a")
    response = member.post("/account/tokens", data={"name": "x"})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True) or "过期" in response.get_data(as_text=True)


def test_login_throttling_locks_out_after_repeated_failures(client):
    for _ in range(5):
        assert post_login(client, "member.a", "wrong-password-1").status_code == 200
    response = post_login(client, "member.a", PASSWORD)  # even the right password now
    assert response.status_code == 429
    other = post_login(client, "member.b", PASSWORD)  # another user is not affected
    assert other.status_code == 302


def test_failures_from_another_address_do_not_lock_the_user_out(app, client):
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    for _ in range(6):
        post_login(attacker, "member.a", "wrong-password-1")
    assert post_login(attacker, "member.a", PASSWORD).status_code == 429
    assert post_login(client, "member.a", PASSWORD).status_code == 302


def test_an_address_that_fails_for_many_names_is_stopped(app):
    sprayer = app.test_client()
    sprayer.environ_base["REMOTE_ADDR"] = "10.9.8.6"
    for index in range(20):
        post_login(sprayer, f"guess{index}", "wrong-password-1")
    assert post_login(sprayer, "member.b", PASSWORD).status_code == 429


def test_the_session_is_renewed_at_login(client):
    client.get("/login")
    client.set_cookie("session", "planted-by-an-attacker")
    login(client, "member.a")
    assert session_cookie(client) != "planted-by-an-attacker"
    assert client.get("/orders/").status_code == 200


def test_a_password_change_logs_out_every_other_session(app, as_user):
    laptop, phone = as_user("member.a"), as_user("member.a")
    token = csrf_token(laptop, "/account")
    response = laptop.post(
        "/account/password",
        data={
            "csrf_token": token,
            "current_password": PASSWORD,
            "new_password": "New-password-22",
            "confirm": "New-password-22",
        },
    )
    assert response.status_code == 302
    assert laptop.get("/orders/").status_code == 200  # this session lives on
    assert phone.get("/orders/").status_code == 302  # the other one is gone
    fresh = app.test_client()
    assert post_login(fresh, "member.a", PASSWORD).status_code == 200  # old password refused
    assert post_login(fresh, "member.a", "New-password-22").status_code == 302


def test_a_weak_new_password_is_refused_with_the_reason(as_user):
    member = as_user("member.a")
    response = member.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(member, "/account"),
            "current_password": PASSWORD,
            "new_password": "short",
            "confirm": "short",
        },
    )
    assert response.status_code == 422
    assert "10" in response.get_data(as_text=True)


def test_an_idle_session_expires(app, as_user, monkeypatch):
    member = as_user("member.a")
    assert member.get("/orders/").status_code == 200
    later = time.time() + app.config["IDLE_TIMEOUT"].total_seconds() + 5
    monkeypatch.setattr(time, "time", lambda: later)
    response = member.get("/orders/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_api_tokens_are_hashed_at_rest_shown_once_and_revocable(app, as_user):
    member = as_user("member.a")
    page = member.post(
        "/account/tokens",
        data={"csrf_token": csrf_token(member, "/account"), "name": "reporting"},
        follow_redirects=True,
    )
    assert page.status_code == 200 and len(page.history) == 1  # post, redirect, get
    html = page.get_data(as_text=True)
    plaintext = html.split('id="new-token">')[1].split("<")[0]
    assert plaintext.startswith("jy_")
    with database(app) as session:
        token = session.scalar(select(ApiToken).where(ApiToken.name == "reporting"))
        assert token.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
        assert plaintext not in (token.prefix, token.token_hash)
        token_id = token.id
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert app.test_client().get("/api/v1/me", headers=headers).json["username"] == "member.a"
    assert plaintext not in member.get("/account").get_data(as_text=True)  # shown once
    member.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(member, "/account")}
    )
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401


def test_someone_elses_token_cannot_be_revoked(app, as_user, world):
    with database(app) as session:
        other = session.scalar(
            select(ApiToken).join(ApiToken.user).where(ApiToken.user.has(username="member.b"))
        )
        other_id = other.id
    member = as_user("member.a")
    response = member.post(
        f"/account/tokens/{other_id}/revoke", data={"csrf_token": csrf_token(member, "/account")}
    )
    assert response.status_code == 404  # not confirmed to exist
    headers = {"Authorization": f"Bearer {world.tokens['member.b']}"}
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 200


def test_login_redirects_only_to_local_pages(client):
    token = csrf_token(client)
    response = client.post(
        "/login",
        data={
            "username": "member.a",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example/",
        },
    )
    assert response.headers["Location"] == "/"
