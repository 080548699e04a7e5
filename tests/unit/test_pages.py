"""The pages: ordering through the form, clear errors, both languages, no outside assets."""

import re

import pytest
from sqlalchemy import func, select

from portal.orders.models import Order
from tests.conftest import csrf_token, database

VM_FORM = {
    "hostname": "web-1",
    "flavor": "medium",
    "image": "kylin_v10",
    "root_disk_gb": "40",
    "data_volume_gb": "0",
    "purpose": "门户网站",
    "sla_tier": "standard",
    "catalog_version": "1",
    "action": "submit",
}


def order_form(client, **values):
    page = client.get("/catalog/vm").get_data(as_text=True)
    token = re.search(r'name="client_token" value="([^"]+)"', page).group(1)
    return {
        **VM_FORM,
        "csrf_token": csrf_token(client, "/catalog/vm"),
        "client_token": token,
        **values,
    }


def count_orders(app):
    with database(app) as session:
        return session.scalar(select(func.count()).select_from(Order))


def test_ordering_through_the_form_and_approving_on_the_page(app, as_user):
    member = as_user("member.a")
    member.get("/language/zh_CN")
    response = member.post("/catalog/vm", data=order_form(member))
    assert response.status_code == 302
    order_path = response.headers["Location"]
    assert "待审批" in member.get(order_path).get_data(as_text=True)
    manager = as_user("manager.a")
    assert order_path in manager.get("/orders/approvals").get_data(as_text=True)
    decide = manager.post(
        order_path + "/approve",
        data={"csrf_token": csrf_token(manager, order_path), "comment": "同意"},
    )
    assert decide.status_code == 302
    operator = as_user("operator")
    operator.post(
        order_path + "/approve",
        data={"csrf_token": csrf_token(operator, order_path), "comment": ""},
    )
    assert "已批准" in member.get(order_path).get_data(as_text=True)


def test_form_errors_are_shown_by_the_field_and_nothing_is_saved(app, as_user):
    member = as_user("member.a")
    before = count_orders(app)
    response = member.post(
        "/catalog/vm", data=order_form(member, hostname="Bad Name", root_disk_gb="5")
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.count('class="field-error"') == 2
    assert 'value="Bad Name"' in html  # what the user typed is kept
    assert count_orders(app) == before


def test_a_resubmitted_form_makes_no_second_order(app, as_user):
    member = as_user("member.a")
    form = order_form(member)
    first = member.post("/catalog/vm", data=form)
    again = member.post("/catalog/vm", data=form)
    assert first.headers["Location"] == again.headers["Location"]


def test_a_form_from_an_older_catalog_version_is_refused(app, as_user):
    member = as_user("member.a")
    response = member.post("/catalog/vm", data=order_form(member, catalog_version="0"))
    assert response.status_code == 409


def test_approving_ones_own_request_on_the_page_says_why(app, as_user):
    manager = as_user("manager.a")
    manager.get("/language/zh_CN")
    path = manager.post("/catalog/vm", data=order_form(manager)).headers["Location"]
    response = manager.post(path + "/approve", data={"csrf_token": csrf_token(manager, path)})
    assert response.status_code == 403
    assert "不得审批本人提交的服务申请" in response.get_data(as_text=True)


def test_the_quota_preview_uses_the_items_rules(as_user):
    member = as_user("member.a")
    quote = member.get("/catalog/vm/quote?flavor=large&data_volume_gb=60").get_json()
    assert quote["cost"] == {"instances": 1, "vcpus": 4, "ram_gb": 8, "disk_gb": 100}
    assert quote["remaining"]["vcpus"] == 16


@pytest.mark.parametrize(
    "path",
    ["/", "/catalog/", "/catalog/vm", "/orders/", "/orders/approvals", "/agencies/", "/account"],
)
@pytest.mark.parametrize(("language", "words"), [("zh_CN", "服务目录"), ("en", "Service catalog")])
def test_pages_speak_both_languages_and_load_nothing_from_outside(as_user, path, language, words):
    manager = as_user("manager.a")
    manager.get(f"/language/{language}")
    response = manager.get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert words in html
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not re.match(r"^(https?:)?//", url), f"outside asset {url} on {path}"


def test_an_unknown_page_is_a_friendly_404(as_user):
    response = as_user("member.a").get("/orders/999999")
    assert response.status_code == 404
    assert "<html" in response.get_data(as_text=True)


def test_the_operator_sets_quotas_on_the_agency_page(app, as_user, world):
    operator = as_user("operator")
    path = f"/agencies/{world.agencies['a']}"
    bad = operator.post(
        path + "/quotas", data={"csrf_token": csrf_token(operator, path), "vcpus": "many"}
    )
    assert bad.status_code == 422
    good = operator.post(
        path + "/quotas",
        data={"csrf_token": csrf_token(operator, path), "vcpus": "48", "instances": ""},
    )
    assert good.status_code == 302
    html = operator.get(path).get_data(as_text=True)
    assert 'name="vcpus" value="48"' in html
    assert 'name="instances" value=""' in html


def test_quota_form_changes_only_what_it_sends_and_keeps_typed_values(app, as_user, world):
    operator = as_user("operator")
    path = f"/agencies/{world.agencies['a']}"
    operator.post(
        path + "/quotas", data={"csrf_token": csrf_token(operator, path), "instances": "21"}
    )
    html = operator.get(path).get_data(as_text=True)
    assert 'name="instances" value="21"' in html and 'name="vcpus" value="16"' in html
    bad = operator.post(
        path + "/quotas", data={"csrf_token": csrf_token(operator, path), "vcpus": "1_0"}
    )
    assert bad.status_code == 422 and 'name="vcpus" value="1_0"' in bad.get_data(as_text=True)


def test_an_overlong_comment_is_kept_with_the_reason(app, as_user):
    member = as_user("member.a")
    path = member.post("/catalog/vm", data=order_form(member)).headers["Location"]
    manager = as_user("manager.a")
    comment = "很长的意见" * 500
    response = manager.post(
        path + "/approve", data={"csrf_token": csrf_token(manager, path), "comment": comment}
    )
    assert response.status_code == 422
    assert comment in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/orders/99999999999999999999",
        "/agencies/99999999999",
        "/orders/?page=99999999999999999999",
        "/api/v1/orders/99999999999999999999",
    ],
)
def test_huge_numbers_in_addresses_are_not_errors(as_user, path):
    assert as_user("member.a").get(path).status_code in (200, 401, 404)


def test_control_characters_are_refused_before_anything_is_stored(app, as_user):
    member = as_user("member.a")
    before = count_orders(app)
    response = member.post("/catalog/vm", data=order_form(member, purpose="a\x00b"))
    assert response.status_code == 422
    assert count_orders(app) == before


def test_tampered_hidden_versions_are_clear_errors(app, as_user):
    member = as_user("member.a")
    assert (
        member.post("/catalog/vm", data=order_form(member, catalog_version="abc")).status_code
        == 409
    )
    path = member.post("/catalog/vm", data=order_form(member)).headers["Location"]
    manager = as_user("manager.a")
    response = manager.post(
        path + "/approve", data={"csrf_token": csrf_token(manager, path), "version": "abc"}
    )
    assert response.status_code == 422


def test_the_order_form_says_which_quota_is_short(app, as_user, world):
    operator = as_user("operator")
    path = f"/agencies/{world.agencies['a']}"
    operator.post(path + "/quotas", data={"csrf_token": csrf_token(operator, path), "vcpus": "1"})
    member = as_user("member.a")
    response = member.post("/catalog/vm", data=order_form(member))
    assert response.status_code == 409
    assert "vCPUs: this request needs 2, but only 1 of 1 is left" in response.get_data(as_text=True)
