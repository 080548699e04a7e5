"""Quotas hold under concurrency on PostgreSQL: two requests that each fit but
together exceed a limit cannot both be submitted, nor both finally approved."""

import threading

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.core.errors import QuotaExceeded
from portal.extensions import db
from portal.orders.models import Order
from portal.orders.service import approve_order, create_order
from portal.orders.states import OrderState
from portal.tenancy.models import Quota

pytestmark = pytest.mark.postgres
ROUNDS = 8


def custom_vm(name, vcpus):
    return {"hostname": name, "flavor": "custom", "vcpus": vcpus, "ram_gb": 1, "purpose": "race"}


def by_name(username):
    return db.session.scalar(select(User).where(User.username == username))


def set_limit(agency_id, limit, resource="vcpus"):
    quota = db.session.scalar(
        select(Quota).where(Quota.agency_id == agency_id, Quota.resource == resource)
    )
    quota.limit = limit
    db.session.commit()


def race(app, actions):
    """Run each action in its own thread and session, released together; return outcomes."""
    barrier = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        with app.app_context():
            barrier.wait()
            try:
                action()
                db.session.commit()
                outcomes[index] = "ok"
            except QuotaExceeded:
                db.session.rollback()
                outcomes[index] = "quota"
            except Exception as error:
                db.session.rollback()
                outcomes[index] = repr(error)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_concurrent_final_approvals_cannot_both_pass(pg_app):
    for round_number in range(ROUNDS):
        with pg_app.app_context():
            member, manager = by_name("member.a"), by_name("manager.a")
            set_limit(member.agency_id, 1000, "instances")  # only vCPUs are contended
            set_limit(member.agency_id, 100)
            ids = []
            for index, vcpus in enumerate((3, 2)):
                order = create_order(
                    db.session, member, "vm", custom_vm(f"r{round_number}-{index}", vcpus)
                )
                approve_order(db.session, manager, order.id)
                ids.append(order.id)
            db.session.commit()
            granted = sum(
                o.quota_cost["vcpus"]
                for o in db.session.scalars(
                    select(Order).where(
                        Order.agency_id == member.agency_id, Order.state == OrderState.APPROVED
                    )
                )
            )
            set_limit(member.agency_id, granted + 4)  # room for either, not both

        def approve(order_id, approver):
            return lambda: approve_order(db.session, by_name(approver), order_id)

        outcomes = race(pg_app, [approve(ids[0], "operator"), approve(ids[1], "operator2")])
        assert sorted(outcomes) == ["ok", "quota"], f"round {round_number}: {outcomes}"
        with pg_app.app_context():
            states = sorted(db.session.get(Order, i).state for i in ids)
            assert states == ["approved", "awaiting_approval"]


def test_concurrent_submissions_cannot_both_take_the_last_room(pg_app):
    for round_number in range(ROUNDS):
        with pg_app.app_context():
            member = by_name("member.a")
            set_limit(member.agency_id, 1000, "instances")
            held = sum(
                o.quota_cost.get("vcpus", 0)
                for o in db.session.scalars(
                    select(Order).where(Order.agency_id == member.agency_id)
                )
            )
            set_limit(member.agency_id, held + 5)

        def submit(name, username):
            return lambda: create_order(db.session, by_name(username), "vm", custom_vm(name, 3))

        outcomes = race(
            pg_app,
            [submit(f"s{round_number}-a", "member.a"), submit(f"s{round_number}-b", "member2.a")],
        )
        assert sorted(outcomes) == ["ok", "quota"], f"round {round_number}: {outcomes}"
