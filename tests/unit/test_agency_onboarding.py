"""The platform team adds agencies and keeps their profile true (tenancy/onboarding.py),
on the pages and through the API; nobody else may, and bad input changes nothing."""

import pytest
from sqlalchemy import func, select

from portal.core.audit import AuditEvent
from portal.tenancy.models import Agency
from tests.conftest import csrf_token, database

NEW_BUREAU = {
    "code": "b73",
    "kind": "bureau",
    "name_zh": "区数据局",
    "name_en": "District Data Bureau",
    "domain": "general_affairs",
    "outsourcing_mode": "fully_outsourced",
}


def agency_by_code(app, code):
    with database(app) as session:
        agency = session.scalar(select(Agency).where(Agency.code == code))
        if agency is None:
            return None
        return {
            "id": agency.id,
            "parent_id": agency.parent_id,
            "path": agency.path,
            **{name: getattr(agency, name) for name in NEW_BUREAU},
        }


def audit_of(app, action, agency_id):
    """(before, after) of each audit event of ACTION on the agency."""
    with database(app) as session:
        return session.execute(
            select(AuditEvent.before, AuditEvent.after)
            .where(AuditEvent.action == action, AuditEvent.object_id == str(agency_id))
            .order_by(AuditEvent.id)
        ).all()


def agency_count(app):
    with database(app) as session:
        return session.scalar(select(func.count()).select_from(Agency))


def test_the_operator_adds_a_bureau_under_the_district_on_the_page(app, as_user, world):
    operator = as_user("operator")
    district = world.agencies["d"]
    form = operator.get(f"/agencies/new?parent={district}").get_data(as_text=True)
    assert f'<option selected value="{district}">' in form
    # A bureau cannot sit under another bureau: only the district and towns are offered.
    assert f'value="{world.agencies["a"]}"' not in form
    answer = operator.post(
        "/agencies/new",
        data={
            **NEW_BUREAU,
            "parent_id": district,
            "csrf_token": csrf_token(operator, "/agencies/new"),
        },
    )
    assert answer.status_code == 302
    made = agency_by_code(app, "b73")
    assert answer.headers["Location"].endswith(f"/agencies/{made['id']}")
    assert made["parent_id"] == district and made["path"].endswith(f"/{made['id']}/")
    assert {name: made[name] for name in NEW_BUREAU} == NEW_BUREAU
    ((_before, after),) = audit_of(app, "agency.created", made["id"])
    assert after["code"] == "b73"
    page = operator.get(answer.headers["Location"]).get_data(as_text=True)
    assert "District Data Bureau" in page and "Change the profile" in page
    # A bureau takes no agencies under it; the district does.
    assert "Add an agency under it" not in page
    assert "Add an agency under it" in operator.get(f"/agencies/{district}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("change", "field", "reason"),
    [
        ({"code": "B 73"}, "code", "lowercase letters"),
        ({"code": "a"}, "code", "This code is taken."),
        ({"kind": "community"}, "kind", "cannot sit under that parent"),
        ({"parent_id": "0"}, "parent_id", "Only the district has no parent."),
        ({"name_zh": "   "}, "name_zh", "This field is required."),
        ({"name_en": "x" * 161}, "name_en", "160"),
    ],
)
def test_bad_input_on_the_page_names_the_field_and_adds_nothing(
    app, as_user, world, change, field, reason
):
    operator = as_user("operator")
    before = agency_count(app)
    data = {**NEW_BUREAU, "parent_id": world.agencies["d"], **change}
    answer = operator.post(
        "/agencies/new", data={**data, "csrf_token": csrf_token(operator, "/agencies/new")}
    )
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert reason in html
    assert agency_count(app) == before


def test_the_operator_changes_the_profile_and_the_audit_keeps_what_changed(app, as_user, world):
    operator = as_user("operator")
    path = f"/agencies/{world.agencies['a']}/edit"
    form = operator.get(path).get_data(as_text=True)
    assert 'value="Agency a"' in form and 'name="code"' not in form
    answer = operator.post(
        path,
        data={
            "name_zh": "a单位（更名）",
            "name_en": "Agency a",
            "domain": "health",
            "outsourcing_mode": "self_operated",
            "csrf_token": csrf_token(operator, path),
        },
    )
    assert answer.status_code == 302
    ((before, after),) = audit_of(app, "agency.changed", world.agencies["a"])
    assert before == {"name_zh": "a单位", "outsourcing_mode": "hybrid"}
    assert after == {"name_zh": "a单位（更名）", "outsourcing_mode": "self_operated"}
    bad = operator.post(
        path,
        data={
            "name_zh": "",
            "name_en": "Agency a",
            "domain": "astrology",
            "outsourcing_mode": "hybrid",
            "csrf_token": csrf_token(operator, path),
        },
    )
    assert bad.status_code == 422
    assert agency_by_code(app, "a")["outsourcing_mode"] == "self_operated"


@pytest.mark.parametrize("username", ["member.a", "manager.a", "finance", "auditor", "admin"])
def test_only_platform_operators_add_or_change_agencies(app, as_user, api, world, username):
    pages = as_user(username)
    assert pages.get("/agencies/new").status_code == 403
    assert pages.get(f"/agencies/{world.agencies['a']}/edit").status_code == 403
    caller = api(username)
    before = agency_count(app)
    answer = caller.post("/api/v1/agencies", json={**NEW_BUREAU, "parent_id": world.agencies["d"]})
    assert answer.status_code == 403
    answer = caller.patch(f"/api/v1/agencies/{world.agencies['a']}", json={"name_en": "Mine"})
    assert answer.status_code in (403, 404)
    assert agency_count(app) == before
    assert agency_by_code(app, "a")["name_en"] == "Agency a"


def test_the_api_adds_and_changes_an_agency(app, api, world):
    operator = api("operator")
    answer = operator.post(
        "/api/v1/agencies",
        json={**NEW_BUREAU, "code": "t30", "kind": "town", "parent_id": world.agencies["d"]},
    )
    assert answer.status_code == 201, answer.get_json()
    town = answer.get_json()
    assert (town["code"], town["kind"], town["parent_id"]) == ("t30", "town", world.agencies["d"])
    assert {line["resource"] for line in town["quotas"]} >= {"vcpus", "instances"}

    community = operator.post(
        "/api/v1/agencies",
        json={**NEW_BUREAU, "code": "t30-c01", "kind": "community", "parent_id": town["id"]},
    )
    assert community.status_code == 201
    changed = operator.patch(
        f"/api/v1/agencies/{town['id']}", json={"name_en": "Town 30", "domain": "civil_affairs"}
    )
    assert changed.status_code == 200
    assert (changed.get_json()["name_en"], changed.get_json()["domain"]) == (
        "Town 30",
        "civil_affairs",
    )
    # What stays as made is refused by name; a bad value names its field.
    fixed = operator.patch(f"/api/v1/agencies/{town['id']}", json={"code": "t31"})
    assert fixed.status_code == 422 and "code" in fixed.get_data(as_text=True)
    bad = operator.patch(f"/api/v1/agencies/{town['id']}", json={"outsourcing_mode": "partly"})
    assert bad.status_code == 422 and "outsourcing_mode" in bad.get_data(as_text=True)
    assert operator.patch("/api/v1/agencies/99999999", json={"name_en": "x"}).status_code == 404
    duplicate = operator.post(
        "/api/v1/agencies", json={**NEW_BUREAU, "code": "t30", "parent_id": world.agencies["d"]}
    )
    assert duplicate.status_code == 422 and "taken" in duplicate.get_data(as_text=True)
    missing_parent = operator.post("/api/v1/agencies", json={**NEW_BUREAU, "parent_id": 99999999})
    assert missing_parent.status_code == 422
    assert "parent_id" in missing_parent.get_json()["error"]["fields"]


def test_the_forms_speak_chinese(app, as_user, world):
    operator = as_user("operator")
    operator.get("/language/zh_CN")
    assert "新增单位" in operator.get("/agencies/").get_data(as_text=True)
    form = operator.get("/agencies/new").get_data(as_text=True)
    assert "所属上级" in form and "委办局和街镇隶属于区" in form
    page = operator.get(f"/agencies/{world.agencies['t']}").get_data(as_text=True)
    assert "修改单位信息" in page and "在其下新增单位" in page
    token = csrf_token(operator, "/agencies/new")
    refused = operator.post(
        "/agencies/new",
        data={**NEW_BUREAU, "code": "B73", "parent_id": world.agencies["d"], "csrf_token": token},
    )
    assert "1-40 个小写字母" in refused.get_data(as_text=True)
