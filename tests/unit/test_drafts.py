"""Changing a draft request: its author only, while it is a draft, checked as a new order
is (every bad field named, nothing half-written), on the page and through the API."""

import pytest
from sqlalchemy import select

from portal.core.audit import AuditEvent
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from portal.orders.drafts import update_draft
from portal.orders.models import Order
from portal.orders.service import create_order, submit_order
from portal.orders.states import OrderState
from tests.conftest import csrf_token, database

VM_MEDIUM = {"hostname": "web-1", "flavor": "medium", "purpose": "门户网站"}
VM_LARGE = {"hostname": "web-2", "flavor": "large", "purpose": "门户网站（扩容）"}


def test_the_author_changes_a_draft_and_submits_it(session, user):
    draft = create_order(session, user("member.a"), "vm", VM_MEDIUM, submit=False)
    changed = update_draft(session, user("member.a"), draft.id, VM_LARGE, sla_tier="important")
    assert changed.state == OrderState.DRAFT and changed.parameters["hostname"] == "web-2"
    assert changed.spec["flavor"] == "large" and changed.sla_tier == "important"
    assert changed.quota_cost["vcpus"] > 2  # the large size's cost, not the medium's
    assert [event.kind for event in changed.events] == ["created", "edited"]
    update_draft(session, user("member.a"), draft.id, VM_LARGE, submit=True)
    assert draft.state == OrderState.AWAITING_APPROVAL
    session.commit()
    trace = session.scalar(select(AuditEvent).where(AuditEvent.action == "order.draft_changed"))
    assert trace.before["parameters"]["flavor"] == "medium"
    assert trace.after["parameters"]["flavor"] == "large"


def test_only_the_author_changes_only_a_draft(session, user):
    draft = create_order(session, user("member.a"), "vm", VM_MEDIUM, submit=False)
    with pytest.raises(Forbidden, match="drafted"):
        update_draft(session, user("member2.a"), draft.id, VM_LARGE)
    with pytest.raises(NotFound):
        update_draft(session, user("member.b"), draft.id, VM_LARGE)
    with pytest.raises(Conflict, match="changed since"):
        update_draft(session, user("member.a"), draft.id, VM_LARGE, expected_version=0)
    submit_order(session, user("member.a"), draft.id)
    with pytest.raises(Conflict, match="Only a draft"):
        update_draft(session, user("member.a"), draft.id, VM_LARGE)


def test_bad_values_are_named_and_the_draft_keeps_its_own(session, user):
    draft = create_order(session, user("member.a"), "vm", VM_MEDIUM, submit=False)
    session.commit()
    with pytest.raises(InvalidInput) as refused:
        update_draft(session, user("member.a"), draft.id, {**VM_LARGE, "hostname": "No Spaces!"})
    assert "hostname" in refused.value.fields
    session.rollback()
    assert session.get(Order, draft.id).parameters["hostname"] == "web-1"


def test_the_page_and_the_api_change_a_draft(app, as_user, api, world):
    member = as_user("member.a")
    made = api("member.a").post(
        "/api/v1/orders", json={"item": "vm", "parameters": VM_MEDIUM, "submit": False}
    )
    assert made.status_code == 201
    order_id, version = made.json["id"], made.json["version"]
    detail = member.get(f"/orders/{order_id}").get_data(as_text=True)
    assert f"/catalog/vm?draft={order_id}" in detail and "Change the draft" in detail
    form = member.get(f"/catalog/vm?draft={order_id}").get_data(as_text=True)
    assert 'value="web-1"' in form and f'name="draft_id" value="{order_id}"' in form
    assert as_user("member.b").get(f"/catalog/vm?draft={order_id}").status_code == 404
    posted = member.post(
        "/catalog/vm",
        data={
            "csrf_token": csrf_token(member, f"/catalog/vm?draft={order_id}"),
            "draft_id": order_id,
            "expected_version": version,
            "action": "draft",
            **VM_LARGE,
        },
    )
    assert posted.status_code == 302 and posted.headers["Location"].endswith(f"/orders/{order_id}")
    with database(app) as session:
        order = session.get(Order, order_id)
        assert order.parameters["hostname"] == "web-2" and order.state == OrderState.DRAFT
        version = order.version
    stale = api("member.a").put(f"/api/v1/orders/{order_id}",
                                json={"parameters": VM_MEDIUM, "expected_version": 0})  # fmt: skip
    assert stale.status_code == 409
    submitted = api("member.a").put(
        f"/api/v1/orders/{order_id}",
        json={"parameters": VM_MEDIUM, "submit": True, "expected_version": version},
    )
    assert submitted.status_code == 200 and submitted.json["state"] == "awaiting_approval"
    assert submitted.json["parameters"]["hostname"] == "web-1"
    again = api("member.a").put(f"/api/v1/orders/{order_id}", json={"parameters": VM_MEDIUM})
    assert again.status_code == 409
