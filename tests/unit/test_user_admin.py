"""Administrators manage users and roles on pages; every change is audited."""

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.audit import AuditEvent
from tests.conftest import csrf_token, database, login


def user_form(client, path, **values):
    return {"csrf_token": csrf_token(client, path), **values}


def test_only_administrators_reach_user_administration(as_user):
    assert as_user("operator").get("/admin/users/").status_code == 403
    assert as_user("admin").get("/admin/users/").status_code == 200


def test_create_a_user_who_can_then_log_in(app, as_user, world):
    admin = as_user("admin")
    response = admin.post(
        "/admin/users/new",
        data=user_form(
            admin,
            "/admin/users/new",
            username="new.clerk",
            display_name="新业务员",
            agency_id=world.agencies["a"],
            roles=["agency_member"],
            password="Clerk-password-9",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    login(app.test_client(), "new.clerk", "Clerk-password-9")
    with database(app) as session:
        created = session.scalar(
            select(AuditEvent)
            .where(AuditEvent.action == "user.created")
            .order_by(AuditEvent.id.desc())
        )
        assert created.actor_name == "admin" and created.after["username"] == "new.clerk"


def test_agency_roles_need_an_agency_and_errors_are_shown(as_user):
    admin = as_user("admin")
    response = admin.post(
        "/admin/users/new",
        data=user_form(
            admin,
            "/admin/users/new",
            username="lost",
            display_name="无单位",
            agency_id=0,
            roles=["agency_manager"],
            password="Lost-password-99",
        ),
    )
    assert response.status_code == 422
    assert 'class="field-error"' in response.get_data(as_text=True)


def test_disabling_a_user_ends_their_sessions(app, as_user, world):
    member = as_user("member.b")
    admin = as_user("admin")
    path = f"/admin/users/{world.users['member.b']}"
    response = admin.post(
        path,
        data=user_form(
            admin,
            path,
            username="member.b",
            display_name="Member.B",
            agency_id=world.agencies["b"],
            roles=["agency_member"],
        ),
    )  # "enabled" unticked
    assert response.status_code == 302
    assert member.get("/orders/").status_code == 302
    with database(app) as session:
        assert not session.get(User, world.users["member.b"]).is_enabled


@pytest.mark.parametrize(
    ("roles", "enabled"),
    [
        (["auditor"], "y"),  # dropping their own admin role: a lock-out
        (["admin"], None),  # disabling themselves
        (["admin", "platform_operator"], "y"),  # granting themselves the power to approve
    ],
)
def test_an_administrator_cannot_change_their_own_roles_or_access(as_user, world, roles, enabled):
    admin = as_user("admin")
    path = f"/admin/users/{world.users['admin']}"
    form = user_form(admin, path, username="admin", display_name="Admin", agency_id=0, roles=roles)
    if enabled:
        form["enabled"] = enabled
    assert admin.post(path, data=form).status_code == 422
    with database(admin.application) as session:
        user = session.get(User, world.users["admin"])
        assert {row.role for row in user.role_rows} == {"admin"} and user.is_enabled


def test_vendor_staff_need_a_vendor_which_the_audit_keeps(app, as_user, world):
    admin = as_user("admin")
    form = user_form(
        admin,
        "/admin/users/new",
        username="new.tech",
        display_name="新技术员",
        agency_id=0,
        vendor_id=0,
        roles=["vendor_technician"],
        password="Tech-password-99",
    )
    refused = admin.post("/admin/users/new", data=form)
    assert refused.status_code == 422
    assert "Choose the vendor of this manager or technician." in refused.get_data(as_text=True)
    made = admin.post("/admin/users/new", data={**form, "vendor_id": world.vendors["v1"]})
    assert made.status_code == 302
    path = f"/admin/users/{world.users['vendor2.manager']}"
    assert f'<option selected value="{world.vendors["v2"]}">' in admin.get(path).get_data(
        as_text=True
    )
    moved = user_form(
        admin,
        path,
        username="vendor2.manager",
        display_name="Vendor2.Manager",
        agency_id=0,
        vendor_id=world.vendors["v1"],
        roles=["vendor_manager"],
        enabled="y",
    )
    assert admin.post(path, data=moved).status_code == 302
    with database(app) as session:
        assert (
            session.scalar(select(User.vendor_id).where(User.username == "new.tech"))
            == (world.vendors["v1"])
        )
        updated = session.scalar(
            select(AuditEvent)
            .where(AuditEvent.action == "user.updated")
            .order_by(AuditEvent.id.desc())
        )
        assert updated.before["vendor_id"] == world.vendors["v2"]
        assert updated.after["vendor_id"] == world.vendors["v1"]


def test_a_reset_password_ends_the_sessions_and_is_replaced_at_the_next_login(
    app, as_user, world, api
):
    member = as_user("member.a")
    assert member.get("/orders/").status_code == 200
    assert api("member.a").get("/api/v1/me").status_code == 200
    admin = as_user("admin")
    user_id = world.users["member.a"]
    page = f"/admin/users/{user_id}"
    weak = admin.post(
        f"{page}/password", data=user_form(admin, page, password="short")
    )  # the policy of every password
    assert weak.status_code == 422 and "Use at least" in weak.get_data(as_text=True)
    done = admin.post(f"{page}/password", data=user_form(admin, page, password="Temp-pass-2026"))
    assert done.status_code == 302 and "was reset" in admin.get(page).get_data(as_text=True)
    assert member.get("/orders/").status_code == 302  # the old session ended
    assert api("member.a").get("/api/v1/me").status_code == 401  # and so did the API token
    assert api("member.t").get("/api/v1/me").status_code == 200  # nobody else's

    client = app.test_client()
    login(client, "member.a", "Temp-pass-2026")
    held = client.get("/orders/")
    assert held.status_code == 302 and held.headers["Location"].endswith("/account")
    assert "choose your own" in client.get("/account").get_data(as_text=True)
    changed = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client, "/account"),
            "current_password": "Temp-pass-2026",
            "new_password": "Own-choice-2027",
            "confirm": "Own-choice-2027",
        },
    )
    assert changed.status_code == 302, changed.get_data(as_text=True)[:300]
    assert client.get("/orders/").status_code == 200
    with database(app) as session:
        trace = session.scalar(select(AuditEvent).where(AuditEvent.action == "user.password_reset"))
        assert trace.actor_name == "admin" and trace.object_id == str(user_id)
        assert trace.after == {"api_tokens_revoked": [world.tokens["member.a"][:10]]}
        assert "Temp-pass" not in repr((trace.before, trace.after, trace.note))
        assert not session.get(User, user_id).must_change_password


def test_only_an_administrator_resets_and_not_their_own(as_user, world):
    operator = as_user("operator")
    path = f"/admin/users/{world.users['member.a']}/password"
    token = csrf_token(operator, "/account")
    assert (
        operator.post(path, data={"csrf_token": token, "password": "Temp-pass-2026"}).status_code
        == 403
    )
    admin = as_user("admin")
    own = f"/admin/users/{world.users['admin']}"
    refused = admin.post(f"{own}/password", data=user_form(admin, own, password="Temp-pass-2026"))
    assert refused.status_code == 409 and "your account page" in refused.get_data(as_text=True)
