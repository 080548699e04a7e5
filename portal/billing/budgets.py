"""Yearly budgets per agency (for its whole subtree), what has been spent against
them, warnings at 80% and 100%, and the check an order passes before it is submitted."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts.models import User, UserRole
from portal.accounts.roles import Role
from portal.billing.estimates import HOURS_PER_MONTH, order_price, rated_usage_of, service_fees
from portal.billing.models import Budget
from portal.billing.periods import (
    BILLING_ZONE,
    FIRST_YEAR,
    LAST_YEAR,
    month_bounds,
    month_of,
)
from portal.billing.permissions import can_manage_bills
from portal.billing.service import current_bills
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import Forbidden, InvalidInput
from portal.i18n import N_
from portal.notifications.service import notify
from portal.tenancy.models import Agency

WARNING = N_("%(agency)s has used %(share)s%% of its %(year)s budget")
WARNING_BODY = N_("Spent %(spent)s yuan of a budget of %(budget)s yuan.")


@dataclass(frozen=True)
class BudgetStatus:
    agency: Agency
    year: int
    budget: Decimal | None
    spent: Decimal

    @property
    def share(self):
        """Percent used, or None without a budget."""
        if not self.budget:
            return None
        return (self.spent * 100 / self.budget).quantize(Decimal("0.1"))


def set_budget(session, actor, agency, year, amount):
    if not can_manage_bills(actor):
        raise Forbidden(_l("Only finance officers set budgets."))
    try:
        amount = Decimal(str(amount).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise InvalidInput(_l("The budget is not a number."), {"amount": _l("A number.")}) from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise InvalidInput(
            _l("The budget is a positive amount in yuan with at most two decimal places."),
            {"amount": _l("For example 120000.00")},
        )
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        raise InvalidInput(_l("That is not a year."), {"year": _l("For example 2026")})
    budget = session.scalar(
        select(Budget).where(Budget.agency_id == agency.id, Budget.year == int(year))
    )
    before = budget.amount if budget else None
    if budget is None:
        budget = Budget(agency_id=agency.id, year=int(year), amount=amount)
        session.add(budget)
    budget.amount, budget.set_by_id, budget.set_at = amount, actor.id, utcnow()
    budget.warned_80_at = budget.warned_100_at = None  # warn again against the new amount
    session.flush()
    audit.record(
        session,
        actor,
        "budget.set",
        "budget",
        budget.id,
        agency_id=agency.id,
        before={"amount": before},
        after={"amount": amount, "year": int(year)},
    )
    return budget


def budget_status(session, agency, year, now=None):
    budget = session.scalar(
        select(Budget.amount).where(Budget.agency_id == agency.id, Budget.year == year)
    )
    return BudgetStatus(agency, year, budget, spent_in_year(session, agency, year, now))


def spent_in_year(session, agency, year, now=None):
    """The subtree's bills of the year; a month without bills counts its usage so far."""
    now = now or utcnow()
    subtree = session.scalars(select(Agency).where(Agency.path.startswith(agency.path))).all()
    ids = {member.id for member in subtree}
    last = month_of(now) if now.astimezone(BILLING_ZONE).year == year else date(year, 12, 1)
    spent = Decimal(0)
    for number in range(1, last.month + 1):
        month = date(year, number, 1)
        bills = [bill for bill in current_bills(session, month) if bill.agency_id in ids]
        if bills:
            spent += sum((bill.total for bill in bills), Decimal(0))
            continue
        start, end = month_bounds(month)
        rated, pieces = rated_usage_of(session, subtree, start, end)
        for member in subtree:
            if member.id in rated:
                spent += sum((line.amount for line in rated[member.id]), Decimal(0))
                spent += service_fees(member, rated[member.id], pieces)
    return spent


def budgets_over(session, agency, extra, now=None):
    """The budgets (of the agency and its ancestors) that `extra` more would exceed."""
    now = now or utcnow()
    year = now.astimezone(BILLING_ZONE).year
    # Only a subtree with a budget is worth the sum of its year.
    budgets = session.scalars(
        select(Budget).where(Budget.agency_id.in_(agency.ancestor_ids), Budget.year == year)
    ).all()
    over = []
    for budget in sorted(budgets, key=lambda budget: agency.ancestor_ids.index(budget.agency_id)):
        status = BudgetStatus(
            budget.agency, year, budget.amount, spent_in_year(session, budget.agency, year, now)
        )
        if status.spent + extra > status.budget:
            over.append(status)
    return over


def warn_budgets(session, now=None):
    """Tell managers and finance once when a subtree passes 80% and 100% of its budget."""
    now = now or utcnow()
    year = now.astimezone(BILLING_ZONE).year
    warned = []
    for budget in session.scalars(select(Budget).where(Budget.year == year)):
        status = budget_status(session, budget.agency, year, now)
        for threshold, column in ((100, "warned_100_at"), (80, "warned_80_at")):
            if status.share is not None and status.share >= threshold:
                if getattr(budget, column) is None:
                    setattr(budget, column, now)
                    notify(
                        session,
                        _budget_people(session, budget.agency),
                        WARNING,
                        WARNING_BODY,
                        link=f"/billing/budgets?year={year}",
                        agency=budget.agency.name_zh,
                        share=threshold,
                        year=year,
                        spent=f"{status.spent:,.2f}",
                        budget=f"{budget.amount:,.2f}",
                    )
                    warned.append((budget.agency.code, threshold))
                break
    session.flush()
    return warned


def _budget_people(session, agency):
    managers = select(UserRole.user_id).where(UserRole.role == Role.AGENCY_MANAGER)
    finance = select(UserRole.user_id).where(UserRole.role == Role.FINANCE_OFFICER)
    return session.scalars(
        select(User).where(
            User.is_enabled,
            ((User.agency_id == agency.id) & User.id.in_(managers)) | User.id.in_(finance),
        )
    ).all()


def order_over_budget(session, order, now=None):
    """The budgets a new resource would exceed if it ran to the end of the year at
    today's prices: [] when none (or when nothing prices it)."""
    now = now or utcnow()
    monthly = order_price(
        session, order.agency, order.item.key, order.item.kind, order.spec, order.sla_tier, now
    )
    if not monthly:
        return []
    local = now.astimezone(BILLING_ZONE)
    year_end = datetime(local.year + 1, 1, 1, tzinfo=BILLING_ZONE)
    hours_left = Decimal((year_end - now).total_seconds()) / 3600
    extra = (monthly * hours_left / HOURS_PER_MONTH).quantize(Decimal("0.01"))
    return budgets_over(session, order.agency, extra, now)
