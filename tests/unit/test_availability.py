"""A month's availability from P1 incidents and reconciliation, in the tier's service
hours, and the SLA credit it puts on the agency's bill."""

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from portal.billing.models import BillLine
from portal.billing.periods import month_bounds, month_of, previous_month
from portal.billing.prices import sync_price_lists
from portal.billing.service import current_bills, generate_bills
from portal.core.db import utcnow
from portal.incidents import service as incidents
from portal.incidents.availability import monthly_availability, outages
from portal.incidents.reports import sla_report
from portal.incidents.sla import sync_sla_definitions
from portal.inventory import lifecycle
from portal.vendors.scorecards import parse_period, scorecards
from tests.billing_factories import (
    AFTER,
    OCTOBER,
    OCTOBER_END,
    OCTOBER_START,
    make_resource,
    meter,
    write_price_lists,
)
from tests.conftest import database as database_session
from tests.factories import CONTRACT_YEAR, slas_with_contract_terms

V1_CONTRACT = f"HT-v1-{CONTRACT_YEAR[0].year}"  # the contract of vendor v1, who runs jw-db

BEIJING = ZoneInfo("Asia/Shanghai")
# October 2026 on the office calendar: 18 working days (1-7 October are the National
# Day holidays, Saturday the 10th is a make-up working day) of 9 hours.
OCTOBER_OFFICE_HOURS = 18 * 9


def at(day, hour, minute=0):
    return datetime(2026, 10, day, hour, minute, tzinfo=BEIJING)


@pytest.fixture
def database(session, world):
    return make_resource(
        session,
        world.agencies["a"],
        "postgresql",
        [(datetime(2026, 9, 1, tzinfo=BEIJING), "created", "active", {"storage_gb": 50})],
        name="jw-db",
    )


def down_from_nine_to_half_past_one(session, user, resource):
    incident = incidents.open_incident(
        session, user("member.a"), priority="P1", title="数据库宕机",
        resource_id=resource.id, now=at(12, 9),
    )  # fmt: skip
    tech = user("vendor.tech")
    incidents.respond(session, tech, incident.id, now=at(12, 9, 10))
    incidents.resolve(session, tech, incident.id, "已恢复", now=at(12, 13, 30))
    return incident


def test_down_time_counts_in_service_hours_only(session, user, world, database):
    down_from_nine_to_half_past_one(session, user, database)
    found = outages(session, OCTOBER, now=AFTER)[database.id]
    assert found.service_seconds == OCTOBER_OFFICE_HOURS * 3600
    assert found.down_seconds == 4.5 * 3600
    assert found.achieved == Decimal("97.222")  # (162 - 4.5) / 162, rounded down
    assert found.breached and found.target == Decimal("99.5")
    # 22 whole tenths of a point below target at 2% each, capped at 20%.
    assert found.credit_share == Decimal("0.20")


def test_missing_and_an_overlapping_incident_count_once(session, user, world, database):
    down_from_nine_to_half_past_one(session, user, database)
    # Reconciliation found it missing from 12:00 to 15:00 the same day: 1.5 h more.
    lifecycle.record(session, database, "missing", state="missing", at=at(12, 12))
    lifecycle.record(session, database, "returned", state="active", at=at(12, 15))
    found = outages(session, OCTOBER, now=AFTER)[database.id]
    assert found.down_seconds == 6 * 3600


def test_a_short_outage_within_target_earns_no_credit(session, user, world, database):
    incident = incidents.open_incident(
        session, user("operator"), priority="P1", title="闪断",
        resource_id=database.id, now=at(12, 9),
    )  # fmt: skip
    incidents.respond(session, user("vendor.tech"), incident.id, now=at(12, 9, 1))
    incidents.resolve(session, user("vendor.tech"), incident.id, "ok", now=at(12, 9, 30))
    found = outages(session, OCTOBER, now=AFTER)[database.id]
    assert found.achieved == Decimal("99.691") and not found.breached
    assert found.credit_share == 0


def test_the_breach_is_credited_on_the_agencys_bill(session, user, world, database, tmp_path):
    sync_price_lists(session, None, write_price_lists(tmp_path / "prices"))
    down_from_nine_to_half_past_one(session, user, database)
    meter(session, OCTOBER_START, OCTOBER_END)
    generate_bills(session, user("finance"), OCTOBER, now=AFTER)
    bill = next(b for b in current_bills(session, OCTOBER) if b.agency_id == world.agencies["a"])
    lines = session.scalars(select(BillLine).where(BillLine.bill_id == bill.id)).all()
    usage = sum(
        (line.amount for line in lines if line.kind == "usage" and line.resource_id == database.id),
        Decimal(0),
    )
    (credit,) = [line for line in lines if line.kind == "sla_credit"]
    assert credit.amount == -(usage * Decimal("0.20")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert credit.reason == f"97.222% < 99.5% · {V1_CONTRACT}"
    assert credit.resource_id == database.id
    assert bill.credits == credit.amount
    assert bill.total == bill.usage + bill.service_fee + bill.credits
    generate_bills(session, user("finance"), OCTOBER, now=AFTER)  # regenerated, not doubled
    assert bill.credits == credit.amount


def test_the_sla_report_holds_breaches_against_the_vendor(session, user, world, database):
    down_from_nine_to_half_past_one(session, user, database)
    (line,) = sla_report(session, user("operator"), parse_period("2026-10"), now=AFTER)
    assert (line.vendor_id, line.agency_id, line.sla_tier) == (
        world.vendors["v1"],
        world.agencies["a"],
        "standard",
    )
    # P1 on the standard tier: 4 h to resolve; it took 4.5.
    assert (line.incidents, line.response_met, line.resolution_met) == (1, 1, 0)
    assert line.lowest_availability == Decimal("97.222")
    assert line.availability_target == Decimal("99.5") and line.availability_breaches == 1
    assert line.breaches == 2
    assert sla_report(session, user("vendor2.manager"), parse_period("2026-10"), now=AFTER) == []


def test_the_same_breach_is_the_vendors_penalty_entry(session, user, world, database):
    down_from_nine_to_half_past_one(session, user, database)
    cards = scorecards(session, user("operator"), parse_period("2026-10"), now=AFTER)
    v1 = next(card for card in cards if card.vendor.id == world.vendors["v1"])
    assert v1.availability_breaches == 1 and v1.penalty == Decimal("2.00")


def contract_terms(session, tmp_path, terms):
    """A new revision of the shipped SLA version in which v1's contract sets `terms` for
    the standard tier."""
    sync_sla_definitions(session, None, slas_with_contract_terms(tmp_path, V1_CONTRACT, terms))


def test_the_contracts_credit_rule_replaces_the_tiers(session, user, world, database, tmp_path):
    contract_terms(session, tmp_path, {"credit": {"per_point": "0.005", "cap": "0.5"}})
    down_from_nine_to_half_past_one(session, user, database)
    found = outages(session, OCTOBER, now=AFTER)[database.id]
    assert found.contract == V1_CONTRACT and found.target == Decimal("99.5")
    assert found.credit_share == Decimal("0.110")  # 22 tenths at 0.5%, under the 50% cap


LONGER_P1 = {
    "priorities": {
        "P1": {"response": "30m", "resolution": "5h"},
        "P2": {"response": "1h", "resolution": "9h"},
        "P3": {"response": "4h", "resolution": "27h"},
        "P4": {"response": "9h", "resolution": "90h"},
    }
}


def test_the_contracts_targets_set_the_clocks_and_the_report(
    session, user, world, database, tmp_path
):
    contract_terms(session, tmp_path, {"availability": "97", **LONGER_P1})
    incident = down_from_nine_to_half_past_one(session, user, database)
    assert incident.contract_number == V1_CONTRACT
    # Five office hours from 09:00: 14:00 the same day, and 4.5 h met it.
    assert incident.resolution_due_at == at(12, 14) and not incident.resolution_breached
    (line,) = sla_report(session, user("operator"), parse_period("2026-10"), now=AFTER)
    assert (line.resolution_met, line.availability_target) == (1, Decimal("97"))
    assert line.availability_breaches == 0 and line.breaches == 0
    found = outages(session, OCTOBER, now=AFTER)[database.id]
    assert not found.breached and found.credit_share == 0


def test_an_incident_keeps_the_terms_it_was_opened_under(session, user, world, database, tmp_path):
    before = incidents.open_incident(
        session, user("member.a"), priority="P1", title="数据库宕机",
        resource_id=database.id, now=at(12, 9),
    )  # fmt: skip
    contract_terms(session, tmp_path, LONGER_P1)
    after = incidents.open_incident(
        session, user("member.a"), priority="P1", title="又宕机了",
        resource_id=database.id, now=at(13, 9),
    )  # fmt: skip
    assert before.resolution_due_at == at(12, 13)  # the tier's 4 h, as when it opened
    assert after.resolution_due_at == at(13, 14)  # the contract's 5 h


def test_the_resource_shows_its_months_against_the_target(session, user, world, database):
    down_from_nine_to_half_past_one(session, user, database)
    november, october, september = monthly_availability(session, database, now=AFTER)
    assert (november.month, november.achieved, november.breached) == (
        date(2026, 11, 1),
        Decimal(100),
        False,
    )
    assert (october.achieved, october.target, october.down_seconds) == (
        Decimal("97.222"),
        Decimal("99.5"),
        4.5 * 3600,
    )
    assert october.breached and october.credit_share == Decimal("0.20")
    assert september.month == date(2026, 9, 1) and not september.breached  # created then


def test_the_resource_page_and_api_show_the_availability(app, as_user, api, world):
    """The page shows the months up to today: a five-day P1 outage last month."""
    last_month = previous_month(month_of(utcnow()))
    with database_session(app) as session:
        from portal.accounts.models import User

        def user(name):
            return session.get(User, world.users[name])

        resource = make_resource(
            session, world.agencies["a"], "postgresql",
            [(month_bounds(previous_month(last_month))[0], "created", "active",
              {"storage_gb": 50})],
            name="jw-db",
        )  # fmt: skip
        began = datetime(last_month.year, last_month.month, 10, 10, tzinfo=BEIJING)
        incident = incidents.open_incident(
            session, user("member.a"), priority="P1", title="数据库宕机",
            resource_id=resource.id, now=began,
        )  # fmt: skip
        tech = user("vendor.tech")
        incidents.respond(session, tech, incident.id, now=began + timedelta(minutes=5))
        incidents.resolve(session, tech, incident.id, "已恢复", now=began + timedelta(days=5))
        session.commit()
        resource_id = resource.id
    page = as_user("member.a").get(f"/resources/{resource_id}").get_data(as_text=True)
    row = page[page.index(last_month.strftime("%Y-%m")) :].split("</tr>")[0]
    assert "99.5%" in row and "below target" in row and "of the month’s charge credited" in row
    body = api("member.a").get(f"/api/v1/resources/{resource_id}").get_json()
    months = {row["month"]: row for row in body["availability"]}
    assert months[last_month.isoformat()]["breached"]
    assert not months[month_of(utcnow()).isoformat()]["breached"]
    assert api("member.b").get(f"/api/v1/resources/{resource_id}").status_code == 404
