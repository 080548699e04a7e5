"""Daily rollups: a whole metered day becomes one row per resource and metric, bills,
cost estimates and budget spending read whole days from the rollups and are the same
as when read from the hours, and re-metering an hour drops its day's rollup until it
is rolled up again."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from portal.billing.budgets import spent_in_year
from portal.billing.estimates import rated_usage_of
from portal.billing.metering import meter_hour
from portal.billing.models import Bill, BillLine, RolledDay, UsageDay, UsageRecord
from portal.billing.periods import month_bounds
from portal.billing.prices import sync_price_lists
from portal.billing.rollup import pending_days, roll_up_day
from portal.billing.service import generate_bills
from portal.billing.tasks import meter_now
from portal.extensions import db
from portal.tenancy.models import Agency
from tests.billing_factories import (
    AFTER,
    CREATED,
    OCTOBER,
    OCTOBER_END,
    OCTOBER_LIST,
    SMALL_VM,
    make_resource,
    meter,
    write_price_lists,
)

H = timedelta(hours=1)
FIRST_DAY = datetime(2026, 10, 14, 16, tzinfo=UTC)  # 15 October in Beijing: CREATED's day
DAY_25 = datetime(2026, 10, 24, 16, tzinfo=UTC)  # 25 October in Beijing, a whole day
NOON_20 = datetime(2026, 10, 20, 4, tzinfo=UTC)  # 12:00 on 20 October in Beijing
DAY_20 = datetime(2026, 10, 19, 16, tzinfo=UTC)
# A third price list, in effect from noon: it cuts 20 October in two.
NOON_LIST = (
    OCTOBER_LIST.replace('"T2"', '"T4"')
    .replace('"2026-10-16T00:00:00+08:00"', '"2026-10-20T12:00:00+08:00"')
    .replace('standard: "0.18"', 'standard: "0.17"')
)


def make_october(session, world):
    for code, item, size in (("a", "vm", SMALL_VM), ("b", "volume", {"size_gb": 100})):
        make_resource(session, world.agencies[code], item, [(CREATED, "created", "active", size)])


def summed(model, column, start, end):
    return db.session.execute(
        select(model.resource_id, model.metric, func.sum(model.quantity))
        .where(column >= start, column < end)
        .group_by(model.resource_id, model.metric)
        .order_by(model.resource_id, model.metric)
    ).all()


def bill_lines(session):
    return session.execute(
        select(
            Bill.agency_id,
            BillLine.kind,
            BillLine.resource_id,
            BillLine.metric,
            BillLine.period_start,
            BillLine.quantity,
            BillLine.rate,
            BillLine.amount,
        )
        .join(Bill, Bill.id == BillLine.bill_id)
        .order_by(Bill.agency_id, BillLine.kind, BillLine.resource_id, BillLine.metric)
        .order_by(BillLine.period_start)
    ).all()


def test_a_whole_day_becomes_one_row_per_resource_and_metric(session, world):
    make_october(session, world)
    meter(session, CREATED, OCTOBER_END, roll_up=False)
    days = pending_days(session, AFTER)
    # From CREATED's day (counted from its hour, as metering does) to 31 October.
    assert days[0] == FIRST_DAY and len(days) == 17
    assert roll_up_day(session, DAY_25, now=AFTER) == 3  # vm: instance, disk; volume
    end = DAY_25 + 24 * H
    assert summed(UsageDay, UsageDay.day_start, DAY_25, end) == summed(
        UsageRecord, UsageRecord.hour, DAY_25, end
    )
    assert DAY_25 not in pending_days(session, AFTER)
    assert roll_up_day(session, DAY_25, now=AFTER) == 3  # rebuilt, not doubled


def test_a_day_with_an_hour_not_metered_is_not_rolled_up(session, world):
    make_october(session, world)
    meter(session, CREATED, DAY_25 + 5 * H, roll_up=False)
    meter(session, DAY_25 + 6 * H, OCTOBER_END, roll_up=False)
    days = pending_days(session, AFTER)
    assert DAY_25 not in days and DAY_25 - 24 * H in days and DAY_25 + 24 * H in days


def test_bills_are_the_same_from_rollups_as_from_hours(session, user, world, tmp_path):
    sync_price_lists(session, None, write_price_lists(tmp_path / "prices", NOON_LIST))
    make_october(session, world)
    meter(session, CREATED, OCTOBER_END, roll_up=False)
    finance = user("finance")
    generate_bills(session, finance, OCTOBER, now=AFTER)
    from_hours = bill_lines(session)
    for day in pending_days(session, AFTER):
        roll_up_day(session, day, now=AFTER)
    generate_bills(session, finance, OCTOBER, now=AFTER)
    assert bill_lines(session) == from_hours
    # A whole day is read from its rollup, a day the price change cuts from its hours.
    session.execute(update(UsageDay).where(UsageDay.day_start == DAY_20).values(quantity=0))
    generate_bills(session, finance, OCTOBER, now=AFTER)
    assert bill_lines(session) == from_hours
    session.execute(update(UsageDay).where(UsageDay.day_start == DAY_25).values(quantity=0))
    generate_bills(session, finance, OCTOBER, now=AFTER)
    assert bill_lines(session) != from_hours


def test_estimates_and_budgets_are_the_same_from_rollups_as_from_hours(session, world, tmp_path):
    sync_price_lists(session, None, write_price_lists(tmp_path / "prices", NOON_LIST))
    make_october(session, world)
    meter(session, CREATED, OCTOBER_END, roll_up=False)
    agencies = [session.get(Agency, world.agencies[code]) for code in ("a", "b")]
    district = session.get(Agency, world.agencies["d"])
    start, end = month_bounds(OCTOBER)

    def estimates():
        rated, pieces = rated_usage_of(session, agencies, start, end)
        lines = {agency: sorted(rows, key=repr) for agency, rows in rated.items()}
        return lines, pieces, spent_in_year(session, district, 2026, AFTER)

    from_hours = estimates()
    assert from_hours[2] > 0 and len(from_hours[1]) == 3  # three price periods in October
    for day in pending_days(session, AFTER):
        roll_up_day(session, day, now=AFTER)
    assert estimates() == from_hours
    # Whole days are read from their rollups, the day the noon price change cuts from
    # its hours.
    session.execute(update(UsageDay).where(UsageDay.day_start == DAY_20).values(quantity=0))
    assert estimates() == from_hours
    session.execute(update(UsageDay).where(UsageDay.day_start == DAY_25).values(quantity=0))
    assert estimates()[2] < from_hours[2]


def test_re_metering_an_hour_drops_its_days_rollup(session, user, world, prices):
    make_october(session, world)
    meter(session, CREATED, OCTOBER_END)
    finance = user("finance")
    generate_bills(session, finance, OCTOBER, now=AFTER)
    before = bill_lines(session)
    meter_hour(session, DAY_25 + 3 * H, force=True, now=AFTER)
    assert session.get(RolledDay, DAY_25) is None
    assert not session.scalar(select(func.count()).where(UsageDay.day_start == DAY_25))
    assert pending_days(session, AFTER) == [DAY_25]
    generate_bills(session, finance, OCTOBER, now=AFTER)  # the day read from its hours
    assert bill_lines(session) == before


def test_the_metering_task_rolls_up_the_days_it_completes(session, world):
    make_october(session, world)
    session.commit()
    assert meter_now(session, now=AFTER) == [CREATED + n * H for n in range(24)]
    # CREATED's day is whole from its hour; the next day has 18 of its 24 hours.
    assert session.scalars(select(RolledDay.day_start)).all() == [FIRST_DAY]
    assert pending_days(session, AFTER) == []


def test_the_cli_rolls_up_the_days_it_metered(app, world):
    with app.app_context():
        make_october(db.session, world)
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["billing", "meter", "--from", "2026-10-15T10:00Z", "--to", "2026-10-16T16:00Z"]
    )
    assert result.exit_code == 0, result.output
    assert "30 hour(s) looked at" in result.output and "2 day(s) rolled up" in result.output
