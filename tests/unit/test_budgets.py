"""Budgets: set by finance, spent counted from the year's bills (and usage not billed
yet), warnings at 80% and 100% once each, and orders that would pass a budget refused
or sent to the platform, as their catalog item says."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.billing.budgets import budget_status, set_budget, warn_budgets
from portal.billing.service import generate_bills
from portal.core.errors import Conflict, Forbidden, InvalidInput
from portal.notifications.models import Notification
from portal.orders.service import create_order
from portal.orders.states import OrderState
from portal.tenancy.models import Agency
from tests.billing_factories import AFTER, OCTOBER

SMALL_VOLUME = {"volume_name": "logs", "size_gb": 20, "purpose": "日志"}
DATABASE = {"database_name": "ledger", "storage_gb": 5, "backup": True, "purpose": "台账"}


@pytest.fixture
def billed(session, user, october):
    generate_bills(session, user("finance"), OCTOBER, now=AFTER)
    return session.get(Agency, october.agency_id)


def test_only_finance_sets_a_budget_and_bad_amounts_are_refused(session, user, billed):
    with pytest.raises(Forbidden):
        set_budget(session, user("manager.a"), billed, 2026, "1000")
    for amount, words in (("abc", "not a number"), ("-5", "positive"), ("1.005", "two decimal")):
        with pytest.raises(InvalidInput, match=words):
            set_budget(session, user("finance"), billed, 2026, amount)
    with pytest.raises(InvalidInput, match="not a year"):
        set_budget(session, user("finance"), billed, 1999, "100")
    budget = set_budget(session, user("finance"), billed, 2026, "1,000.50")
    assert budget.amount == Decimal("1000.50")


def test_the_year_counts_its_bills(session, user, world, billed):
    set_budget(session, user("finance"), billed, 2026, "1000")
    status = budget_status(session, billed, 2026)
    assert (status.spent, status.share) == (Decimal("92.80"), Decimal("9.3"))
    district = session.get(Agency, world.agencies["d"])
    assert budget_status(session, district, 2026).spent == Decimal("92.80")  # the subtree
    assert budget_status(session, billed, 2025).spent == 0


def test_warnings_go_out_once_at_80_and_at_100_percent(session, user, billed):
    finance = user("finance")
    set_budget(session, finance, billed, 2026, "110")
    assert warn_budgets(session) == [("a", 80)]
    assert warn_budgets(session) == []
    set_budget(session, finance, billed, 2026, "90")
    assert warn_budgets(session) == [("a", 100)]
    session.commit()
    told = {
        notice.user_id
        for notice in session.scalars(select(Notification))
        if "budget" in notice.subject_en
    }
    assert {user("manager.a").id, finance.id} <= told
    assert user("member.a").id not in told


def test_an_order_over_budget_needs_the_platform_or_is_refused(session, user, billed):
    set_budget(session, user("finance"), billed, 2026, "100")
    # A small volume is approved automatically within budget; over it, the platform decides.
    order = create_order(session, user("member.a"), "volume", dict(SMALL_VOLUME))
    assert order.state == OrderState.AWAITING_APPROVAL
    assert [step.role for step in order.steps][-1] == "platform_operator"
    # The PostgreSQL item's policy is to refuse orders over budget.
    with pytest.raises(Conflict, match="exceed the 2026 budget"):
        create_order(session, user("member.a"), "postgresql", dict(DATABASE))


def test_an_order_within_budget_is_unchanged(session, user, billed):
    set_budget(session, user("finance"), billed, 2026, "100000")
    order = create_order(session, user("member.a"), "volume", dict(SMALL_VOLUME))
    assert order.state == OrderState.APPROVED
