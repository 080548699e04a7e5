"""Ordering and approving: the state machine, four eyes, quotas, stale forms."""

import pytest
from sqlalchemy import func, select

from portal.core.audit import AuditEvent
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound, QuotaExceeded
from portal.inventory.models import Resource
from portal.orders.models import Order, OrderEvent
from portal.orders.quota import headroom
from portal.orders.service import (
    approval_queue,
    approve_order,
    cancel_order,
    create_order,
    get_order,
    list_orders,
    reject_order,
    submit_order,
)
from portal.orders.states import OrderState
from portal.provisioning.models import Operation
from portal.tenancy.service import set_quotas

VM_MEDIUM = {"hostname": "web-1", "flavor": "medium", "purpose": "门户网站"}
SMALL_VOLUME = {"volume_name": "logs", "size_gb": 50, "purpose": "日志"}


def order_count(session):
    return session.scalar(select(func.count()).select_from(Order))


def approved_by_both(session, user, order):
    approve_order(session, user("manager.a"), order.id, "ok")
    return approve_order(session, user("operator"), order.id, "ok")


def test_an_order_walks_the_chain_to_approved(session, user):
    order = create_order(session, user("member.a"), "vm", VM_MEDIUM)
    assert order.state == OrderState.AWAITING_APPROVAL
    assert [s.role for s in order.steps] == ["agency_manager", "platform_operator"]
    assert order.quota_cost == {"instances": 1, "vcpus": 2, "ram_gb": 4, "disk_gb": 40}
    assert approval_queue(session, user("manager.a")) == [order]
    assert approval_queue(session, user("operator")) == []  # not its step yet
    approve_order(session, user("manager.a"), order.id, "同意")
    assert order.state == OrderState.AWAITING_APPROVAL and order.current_step == 2
    assert approval_queue(session, user("operator")) == [order]
    approve_order(session, user("operator"), order.id)
    assert order.state == OrderState.APPROVED and order.decided_at is not None
    assert [e.kind for e in order.events] == [
        "created",
        "submitted",
        "awaiting_approval",
        "step_approved",
        "approved",
    ]
    assert all(e.actor_id for e in order.events)


def test_small_requests_within_quota_are_approved_automatically(session, user):
    order = create_order(session, user("member.a"), "volume", SMALL_VOLUME)
    assert order.state == OrderState.APPROVED
    assert order.steps == []
    assert order.events[-1].kind == "auto_approved"


def test_each_bad_field_is_named_and_nothing_is_written(session, user):
    before = order_count(session)
    with pytest.raises(InvalidInput) as caught:
        create_order(
            session,
            user("member.a"),
            "vm",
            {"hostname": "Web 1", "flavor": "huge", "root_disk_gb": "ten", "bogus": "1"},
        )
    assert set(caught.value.fields) == {"hostname", "flavor", "root_disk_gb", "bogus", "purpose"}
    assert "not valid" in str(caught.value.fields["hostname"])
    session.rollback()
    assert order_count(session) == before


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"flavor": "custom", "vcpus": "0"}, "vcpus", "at least 1"),
        ({"flavor": "custom", "vcpus": "64"}, "vcpus", "at most 32"),
        ({"root_disk_gb": "10"}, "root_disk_gb", "at least 20"),
        ({"data_volume_gb": "-5"}, "data_volume_gb", "at least 0"),
        ({"hostname": ""}, "hostname", "required"),
    ],
)
def test_values_outside_the_items_limits_are_refused(session, user, params, field, words):
    with pytest.raises(InvalidInput) as caught:
        create_order(session, user("member.a"), "vm", {**VM_MEDIUM, **params})
    assert words in str(caught.value.fields[field])


def test_unknown_item_and_unknown_sla_tier(session, user):
    with pytest.raises(NotFound):
        create_order(session, user("member.a"), "gpu_cluster", {})
    with pytest.raises(InvalidInput) as caught:
        create_order(session, user("member.a"), "vm", VM_MEDIUM, sla_tier="platinum")
    assert "sla_tier" in caught.value.fields


def test_nobody_approves_their_own_request(session, user):
    manager = user("manager.a")
    order = create_order(session, manager, "vm", VM_MEDIUM)
    with pytest.raises(Forbidden, match="own request"):
        approve_order(session, manager, order.id)
    assert approval_queue(session, manager) == []
    approve_order(session, user("manager2.a"), order.id)  # another manager may
    assert order.current_step == 2


def test_an_approver_acts_once_per_request(session, user):
    order = create_order(session, user("member.a"), "vm", VM_MEDIUM)
    approve_order(session, user("manager.a"), order.id)
    with pytest.raises(Forbidden):  # not a platform operator, and already decided a step
        approve_order(session, user("manager.a"), order.id)
    approve_order(session, user("operator"), order.id)
    with pytest.raises(Conflict, match="not awaiting approval"):
        approve_order(session, user("operator2"), order.id)


def test_a_person_holding_both_roles_still_cannot_decide_two_steps(session, user):
    from portal.accounts.models import UserRole

    both = user("manager2.a")
    both.role_rows.append(UserRole(role="platform_operator"))
    session.flush()
    order = create_order(session, user("member.a"), "vm", VM_MEDIUM)
    approve_order(session, both, order.id)
    with pytest.raises(Forbidden, match="already decided"):
        approve_order(session, both, order.id)


def test_approvers_of_other_agencies_and_wrong_roles_are_refused(session, user):
    order = create_order(session, user("member.a"), "vm", VM_MEDIUM)
    with pytest.raises(NotFound):  # cannot even see it
        approve_order(session, user("manager.b"), order.id)
    with pytest.raises(Forbidden):
        approve_order(session, user("operator"), order.id)  # step 1 is the agency's
    with pytest.raises(Forbidden):
        approve_order(session, user("member2.a"), order.id)  # a member is no approver


def test_reject_needs_a_reason_and_ends_the_request(session, user):
    order = create_order(session, user("member.a"), "vm", VM_MEDIUM)
    with pytest.raises(InvalidInput) as caught:
        reject_order(session, user("manager.a"), order.id, "  ")
    assert "comment" in caught.value.fields
    reject_order(session, user("manager.a"), order.id, "预算不足")
    assert order.state == OrderState.REJECTED
    assert [s.state for s in order.steps] == ["rejected", "skipped"]
    with pytest.raises(Conflict):
        approve_order(session, user("operator"), order.id)


def test_cancel_by_requester_or_manager_only_while_undecided(session, user):
    order = create_order(session, user("member.a"), "vm", VM_MEDIUM)
    with pytest.raises(Forbidden):
        cancel_order(session, user("member2.a"), order.id)
    cancel_order(session, user("manager.a"), order.id, "重复申请")
    assert order.state == OrderState.CANCELLED
    done = create_order(session, user("member.a"), "volume", SMALL_VOLUME)
    with pytest.raises(Conflict):
        cancel_order(session, user("member.a"), done.id)


def test_a_draft_is_private_until_submitted(session, user):
    draft = create_order(session, user("member.a"), "vm", VM_MEDIUM, submit=False)
    assert draft.state == OrderState.DRAFT
    assert approval_queue(session, user("manager.a")) == []
    with pytest.raises(Forbidden):
        submit_order(session, user("member2.a"), draft.id)
    submit_order(session, user("member.a"), draft.id)
    assert draft.state == OrderState.AWAITING_APPROVAL
    with pytest.raises(Conflict):
        submit_order(session, user("member.a"), draft.id)


def test_a_stale_form_is_refused(session, user):
    order = create_order(session, user("member.a"), "vm", VM_MEDIUM)
    seen = order.version
    approve_order(session, user("manager.a"), order.id, expected_version=seen)
    with pytest.raises(Conflict, match="changed since you opened it"):
        reject_order(session, user("operator"), order.id, "no", expected_version=seen)
    with pytest.raises(Conflict) as caught:
        create_order(session, user("member.a"), "vm", VM_MEDIUM, catalog_version=0)
    assert "catalog_version" in caught.value.fields


def test_the_same_form_posted_twice_makes_one_order(session, user):
    first = create_order(session, user("member.a"), "vm", VM_MEDIUM, client_token="tok-123456")
    again = create_order(session, user("member.a"), "vm", VM_MEDIUM, client_token="tok-123456")
    assert again.id == first.id


def test_pending_requests_count_against_the_quota_at_submit(session, user):
    set_quotas(session, user("operator"), user("member.a").agency_id, {"instances": 2})
    create_order(session, user("member.a"), "vm", VM_MEDIUM)
    create_order(session, user("member.a"), "vm", {**VM_MEDIUM, "hostname": "web-2"})
    with pytest.raises(QuotaExceeded) as caught:
        create_order(session, user("member.a"), "vm", {**VM_MEDIUM, "hostname": "web-3"})
    assert "only 0 of 2" in str(caught.value.fields["instances"])
    room = headroom(session, user("member.a").agency)
    assert room["instances"][0] == 0


def test_a_parent_limit_bounds_its_whole_subtree(session, user):
    community_member = user("member.c")
    town = community_member.agency.parent
    set_quotas(session, user("operator"), town.id, {"vcpus": 2})
    create_order(session, community_member, "vm", {**VM_MEDIUM, "flavor": "small"})
    with pytest.raises(QuotaExceeded) as caught:
        create_order(session, community_member, "vm", {**VM_MEDIUM, "hostname": "web-2"})
    assert f"for {town.name_en}" in str(caught.value.fields["vcpus"])


def test_the_final_approval_rechecks_the_quota(session, user):
    order = create_order(session, user("member.a"), "vm", VM_MEDIUM)
    approve_order(session, user("manager.a"), order.id)
    set_quotas(session, user("operator"), order.agency_id, {"vcpus": 1})
    with pytest.raises(QuotaExceeded):
        approve_order(session, user("operator"), order.id)


def test_agency_users_see_only_their_subtree(session, user):
    mine = create_order(session, user("member.a"), "vm", VM_MEDIUM)
    community = create_order(session, user("member.c"), "volume", SMALL_VOLUME)
    assert [o.id for o in list_orders(session, user("member.b"))[0]] == []
    with pytest.raises(NotFound):
        get_order(session, user("member.b"), mine.id)
    town_view = {o.id for o in list_orders(session, user("manager.t"))[0]}
    assert town_view == {community.id}
    everything = {o.id for o in list_orders(session, user("auditor"))[0]}
    assert {mine.id, community.id} <= everything
    assert list_orders(session, user("vendor.tech"))[0] == []


def test_every_change_is_audited_with_actor_and_states(session, user):
    order = create_order(session, user("member.a"), "vm", VM_MEDIUM)
    approved_by_both(session, user, order)
    session.commit()
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "order", AuditEvent.object_id == str(order.id))
        .order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == [
        "order.created",
        "order.submitted",
        "order.awaiting_approval",
        "order.step_approved",
        "order.approved",
    ]
    assert events[-1].actor_name == "operator"
    assert events[-1].before == {"state": "awaiting_approval"}
    assert events[-1].after == {"state": "approved"}


def test_a_managers_own_request_goes_up_to_the_platform(session, user):
    order = create_order(session, user("manager.b"), "vm", VM_MEDIUM)  # b has one manager
    assert approval_queue(session, user("operator")) == [order]
    approve_order(session, user("operator"), order.id, "上级代审")
    assert approval_queue(session, user("operator")) == []  # one step per person
    assert approval_queue(session, user("operator2")) == [order]
    approve_order(session, user("operator2"), order.id)
    assert order.state == OrderState.APPROVED


def test_a_form_token_reused_for_another_item_is_refused(session, user):
    create_order(session, user("member.a"), "vm", VM_MEDIUM, client_token="tok-abcdefgh")
    with pytest.raises(Conflict) as caught:
        create_order(session, user("member.a"), "volume", SMALL_VOLUME, client_token="tok-abcdefgh")
    assert "client_token" in caught.value.fields


def test_a_submission_is_written_once_in_its_final_state(session, user):
    """The order row is inserted approved (version 1, never updated) with its whole
    timeline, and its audit events name it although it had no id when they were made.
    Its rows are the session's own objects, and its resource and operation are planned."""
    order = create_order(session, user("member.a"), "volume", SMALL_VOLUME)
    assert (order.state, order.version) == (OrderState.APPROVED, 1)
    assert [e.kind for e in order.events] == ["created", "submitted", "auto_approved"]
    events = session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id))
    assert sorted(events, key=lambda e: e.id) == order.events  # the same objects
    assert order.quota_cost == {"disk_gb": 50} and order.steps == []
    session.commit()
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "order", AuditEvent.object_id == str(order.id))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["order.created", "order.submitted", "order.auto_approved"]
    resource = session.scalar(select(Resource).where(Resource.order_id == order.id))
    assert (resource.state, resource.version, resource.name) == ("provisioning", 1, "logs")
    operation = session.scalar(select(Operation).where(Operation.order_id == order.id))
    assert (operation.state, operation.resource_id) == ("queued", resource.id)
    assert [(s.seq, s.name) for s in operation.steps] == [
        (1, "prepare_project"),
        (2, "create_volume"),
    ]
    planned = session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "operation.provision.planned",
            AuditEvent.object_id == operation.id,
        )
    )
    assert planned.after == {"order": order.id, "resource": resource.id}


def test_a_refused_submission_writes_nothing(session, user):
    set_quotas(session, user("operator"), user("member.a").agency_id, {"disk_gb": 10})
    session.commit()
    before = order_count(session)
    with pytest.raises(QuotaExceeded):
        create_order(session, user("member.a"), "volume", SMALL_VOLUME)
    assert order_count(session) == before  # nothing was flushed, not even a draft
