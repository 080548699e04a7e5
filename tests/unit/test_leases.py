"""Leases: warning before the end, extension through approval, retirement after grace;
notices in the portal and by email when SMTP is configured."""

import socket
from datetime import timedelta
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from flask import current_app
from sqlalchemy import select

from portal.core.errors import Conflict, Forbidden, InvalidInput
from portal.inventory.leases import retire_expired, warn_expiring
from portal.inventory.states import ResourceState
from portal.notifications.models import Notification
from portal.notifications.service import unread_count
from portal.orders.changes import request_lease_extension
from portal.orders.service import approve_order, create_order
from portal.orders.states import OrderState
from portal.provisioning import engine
from portal.provisioning.models import Operation
from portal.provisioning.tasks import runtime

TEST_VM = {"hostname": "trial-1", "flavor": "small", "purpose": "试用"}


def leased_vm(session, user):
    order = create_order(session, user("member.a"), "test_vm", dict(TEST_VM))
    session.commit()
    operation = session.scalar(select(Operation).where(Operation.order_id == order.id))
    assert engine.run(session, operation.id, runtime(current_app)).finished
    return operation.resource


def notices(session, username, user):
    return session.scalars(
        select(Notification).where(Notification.user_id == user(username).id)
    ).all()


def test_a_leased_item_sets_the_end_of_its_lease(session, user):
    vm = leased_vm(session, user)
    lent = vm.lease_expires_at - vm.created_at
    assert timedelta(days=29, hours=23) < lent <= timedelta(days=30, minutes=1)


def test_owners_are_warned_once_before_the_end(session, user):
    vm = leased_vm(session, user)
    assert warn_expiring(session) == []  # 30 days left: too early
    soon = vm.lease_expires_at - timedelta(days=6)
    assert warn_expiring(session, now=soon) == [vm.id]
    assert warn_expiring(session, now=soon) == []  # once
    session.commit()
    for who in ("member.a", "manager.a", "manager2.a"):
        (notice,) = notices(session, who, user)
        assert "trial-1" in notice.subject_en and "trial-1" in notice.subject_zh
        assert notice.link == f"/resources/{vm.id}"
    assert notices(session, "member2.a", user) == []
    assert unread_count(session, user("member.a")) == 1


def test_an_extension_is_an_order_approved_by_the_items_chain(session, user):
    vm = leased_vm(session, user)
    end = vm.lease_expires_at
    order = request_lease_extension(session, user("member.a"), vm.id, 14, "还在测试")
    session.commit()
    assert order.state == OrderState.AWAITING_APPROVAL  # never automatic
    assert [s.role for s in order.steps] == ["agency_manager"]
    with pytest.raises(Conflict, match="already waiting"):
        request_lease_extension(session, user("member2.a"), vm.id, 7)
    session.rollback()
    approve_order(session, user("manager.a"), order.id, "同意")
    session.commit()
    assert order.state == OrderState.FULFILLED
    assert vm.lease_expires_at == end + timedelta(days=14)
    assert vm.events[-1].kind == "lease_extended"
    assert any("extended" in n.subject_en for n in notices(session, "member.a", user))


def test_bad_extensions_are_refused(session, user):
    vm = leased_vm(session, user)
    with pytest.raises(InvalidInput) as refused:
        request_lease_extension(session, user("member.a"), vm.id, 31)
    assert "days" in refused.value.fields
    with pytest.raises(Forbidden):
        request_lease_extension(session, user("operator"), vm.id, 5)
    plain = create_order(
        session, user("member.a"), "volume", {"volume_name": "vol", "size_gb": 20, "purpose": "x"}
    )
    session.commit()
    operation = session.scalar(select(Operation).where(Operation.order_id == plain.id))
    engine.run(session, operation.id, runtime(current_app))
    with pytest.raises(Conflict, match="no lease"):
        request_lease_extension(session, user("member.a"), operation.resource_id, 5)


def test_an_expired_lease_is_retired_after_the_grace_period(session, user):
    vm = leased_vm(session, user)
    assert retire_expired(session, now=vm.lease_expires_at + timedelta(days=2)) == []
    assert retire_expired(session, now=vm.lease_expires_at + timedelta(days=3)) == [vm.id]
    session.commit()
    deletion = session.scalar(
        select(Operation).where(Operation.resource_id == vm.id, Operation.kind == "delete")
    )
    assert engine.run(session, deletion.id, runtime(current_app)).finished
    assert vm.state == ResourceState.DELETED
    # Busy or gone: not retired twice.
    assert retire_expired(session, now=vm.lease_expires_at + timedelta(days=9)) == []


@pytest.fixture
def mail_server():
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""
    received = []

    class Keep:
        async def handle_DATA(self, _server, _session, envelope):
            received.append(message_from_bytes(envelope.content))
            return "250 OK"

    with socket.socket() as probe:  # a free port (aiosmtpd cannot take port 0)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, received
    controller.stop()


def test_notices_are_mailed_after_the_commit_when_smtp_is_set(session, user, app, mail_server):
    port, received = mail_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    vm = leased_vm(session, user)
    user("member.a").email = "member.a@example.gov"
    session.commit()
    warn_expiring(session, now=vm.lease_expires_at - timedelta(days=1))
    assert received == []  # nothing leaves before the commit
    session.commit()
    (mail,) = received
    assert mail["To"] == "member.a@example.gov"
    assert "trial-1" in mail["Subject"]
    body = mail.get_payload(decode=True).decode()
    assert ("extension" in body and "延期" in body) or "extension" in body
