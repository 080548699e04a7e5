"""Monthly bills: rated from metered usage against effective-dated price lists, lines
split at a price change, rounded once per line; draft → under review → finalized with
four eyes and a content hash; reissues keep the old bill."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.billing.models import Bill, BillLine, PriceList
from portal.billing.prices import sync_price_lists
from portal.billing.service import (
    adjust,
    current_bills,
    finalize,
    generate_bills,
    get_bill,
    lines_of,
    reissue,
    return_to_draft,
    submit_for_review,
    subtree_total,
)
from portal.billing.states import BillState
from portal.core.audit import AuditEvent
from portal.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.billing_factories import (
    AFTER,
    CHANGE,
    CREATED,
    JANUARY_LIST,
    OCTOBER,
    OCTOBER_END,
    OCTOBER_LIST,
    OCTOBER_START,
    SMALL_VM,
    make_resource,
    meter,
)
from tests.factories import make_user


def usage_lines(session, bill):
    return [
        (line.metric, line.period_start, line.quantity, line.rate, line.amount)
        for line in lines_of(session, bill, kinds=("usage",))
    ]


def bill_of(session, world, code):
    (bill,) = [b for b in current_bills(session, OCTOBER) if b.agency_id == world.agencies[code]]
    return bill


def test_lines_split_at_the_price_change_and_round_once_per_line(session, user, world, october):
    generate_bills(session, user("finance"), OCTOBER, now=AFTER)
    bill = bill_of(session, world, "a")
    six, rest = 6 * 3600, 384 * 3600
    assert usage_lines(session, bill) == [
        ("disk_gb_hours", OCTOBER_START, 40 * six, Decimal("0.001000"), Decimal("0.24")),
        ("disk_gb_hours", CHANGE, 40 * rest, Decimal("0.001000"), Decimal("15.36")),
        ("instance_hours", OCTOBER_START, six, Decimal("0.200000"), Decimal("1.20")),
        ("instance_hours", CHANGE, rest, Decimal("0.180000"), Decimal("69.12")),
    ]
    # The operations fee (hybrid: 8%) on each period's usage, rounded half up.
    assert bill.usage == Decimal("85.92")
    assert bill.service_fee == Decimal("0.12") + Decimal("6.76")
    assert bill.total == Decimal("92.80")
    assert bill.number == "JY-202610-a-1"
    assert {ref["version"] for ref in bill.price_lists} == {"T1", "T2"}
    # Every agency has a bill; those without usage owe nothing.
    assert len(current_bills(session, OCTOBER)) == 5
    assert bill_of(session, world, "b").total == 0


def test_a_community_gets_its_kind_discount_after_the_change(session, user, world, prices):
    make_resource(
        session, world.agencies["c"], "volume", [(CHANGE, "created", "active", {"size_gb": 100})]
    )
    meter(session, CHANGE, OCTOBER_END)
    generate_bills(session, user("finance"), OCTOBER, now=AFTER)
    ((metric, _start, quantity, rate, amount),) = usage_lines(session, bill_of(session, world, "c"))
    assert (metric, quantity) == ("volume_gb_hours", 100 * 384 * 3600)
    assert rate == Decimal("0.000490")  # 0.0007 less 30%
    assert amount == Decimal("18.82")  # 100 GB × 384 h × 0.00049 = 18.816


SSD = {"size_gb": 100, "cloud_volume_type": "jy-ssd"}
STANDARD = {"size_gb": 100, "cloud_volume_type": "jy-standard"}
UNTYPED = {"size_gb": 100}  # a volume made before volume types were recorded


def bill_volumes(session, world, *sizes):
    """Bureau b's volumes of these sizes from the price change on, October billed;
    returns (type, rate, amount) of each usage line of b's bill."""
    for size in sizes:
        make_resource(session, world.agencies["b"], "volume", [(CHANGE, "created", "active", size)])
    meter(session, CHANGE, OCTOBER_END)
    generate_bills(session, make_user(session, "fin", ["finance_officer"]), OCTOBER, now=AFTER)
    lines = lines_of(session, bill_of(session, world, "b"), kinds=("usage",))
    return [(line.dimension, line.rate, line.amount) for line in lines]


def test_volumes_of_every_type_take_a_list_s_one_rate(session, world, prices):
    assert bill_volumes(session, world, SSD, STANDARD, UNTYPED) == [
        ("jy-ssd", Decimal("0.0007"), Decimal("26.88")),  # 100 GB × 384 h × 0.0007
        ("jy-standard", Decimal("0.0007"), Decimal("26.88")),
        ("", Decimal("0.0007"), Decimal("26.88")),
    ]


@pytest.fixture
def typed_prices(session, tmp_path):
    """T1, and T2 pricing volumes by type from the change on."""
    by_type = 'volume_gb_hours: {jy-standard: "0.0007", jy-ssd: "0.0015"}'
    october = OCTOBER_LIST.replace('volume_gb_hours: "0.0007"', by_type)
    directory = tmp_path / "typed"
    directory.mkdir()
    for name, text in (("t1.yaml", JANUARY_LIST), ("t2.yaml", october)):
        (directory / name).write_text(text, encoding="utf-8")
    sync_price_lists(session, None, directory)


def test_a_list_that_prices_volume_types_bills_each_at_its_rate(session, world, typed_prices):
    assert bill_volumes(session, world, SSD, STANDARD) == [
        ("jy-ssd", Decimal("0.0015"), Decimal("57.60")),
        ("jy-standard", Decimal("0.0007"), Decimal("26.88")),
    ]


def test_a_volume_of_no_recorded_type_is_refused_by_a_list_by_type(session, world, typed_prices):
    with pytest.raises(Conflict, match=r"no price list prices: volume_gb_hours \(standard\)"):
        bill_volumes(session, world, UNTYPED)


def test_regenerating_a_draft_gives_the_same_bill(session, user, world, october):
    finance = user("finance")
    generate_bills(session, finance, OCTOBER, now=AFTER)
    bill = bill_of(session, world, "a")
    first = (usage_lines(session, bill), bill.total)
    report = generate_bills(session, finance, OCTOBER, now=AFTER)
    assert len(report.regenerated) == 5 and not report.created
    assert (usage_lines(session, bill), bill.total) == first


def test_bills_for_a_month_not_ended_or_not_metered_are_refused(session, user, world, prices):
    finance = user("finance")
    with pytest.raises(Conflict, match="has not ended"):
        generate_bills(session, finance, date(2026, 11, 1), now=AFTER)
    make_resource(session, world.agencies["a"], "vm", [(CREATED, "created", "active", SMALL_VM)])
    meter(session, CREATED, CHANGE)
    with pytest.raises(Conflict, match=r"384 hour.* not metered yet.*billing meter"):
        generate_bills(session, finance, OCTOBER, now=AFTER)


def test_usage_no_price_list_prices_is_refused_and_nothing_is_written(session, user, world, prices):
    odd = {**SMALL_VM, "cloud_flavor": "jy.huge"}
    make_resource(session, world.agencies["b"], "vm", [(CHANGE, "created", "active", odd)])
    meter(session, CHANGE, OCTOBER_END)
    session.commit()
    with pytest.raises(Conflict, match=r"instance_hours \[jy.huge\] \(standard\)"):
        generate_bills(session, user("finance"), OCTOBER, now=AFTER)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Bill)) == 0


def test_review_adjust_and_finalize_with_four_eyes(session, user, world, october):
    finance, second = user("finance"), make_user(session, "finance2", ["finance_officer"])
    generate_bills(session, finance, OCTOBER, now=AFTER)
    bill = bill_of(session, world, "a")
    with pytest.raises(InvalidInput, match="reason is required"):
        adjust(session, finance, bill, "-10", "  ")
    with pytest.raises(InvalidInput, match="two decimal places"):
        adjust(session, finance, bill, "1.005", "rounding")
    with pytest.raises(InvalidInput, match="not a number"):
        adjust(session, finance, bill, "ten", "text")
    adjust(session, finance, bill, "-10.50", "服务中断补偿")
    assert bill.adjustments == Decimal("-10.50") and bill.total == Decimal("82.30")
    with pytest.raises(Conflict, match="must be under review"):
        finalize(session, second, bill)
    submit_for_review(session, finance, bill)
    with pytest.raises(Forbidden, match="four eyes"):
        finalize(session, finance, bill)
    finalize(session, second, bill)
    assert bill.status == BillState.FINALIZED and len(bill.content_hash) == 64
    with pytest.raises(Conflict, match="already finalized"):
        finalize(session, second, bill)
    with pytest.raises(Conflict, match="cannot change"):
        adjust(session, second, bill, "5", "late")
    report = generate_bills(session, finance, OCTOBER, now=AFTER)
    assert bill in report.skipped  # a finalized bill is not remade
    session.commit()  # the audit log is written with the commit
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"bill.generated", "bill.adjusted", "bill.submitted", "bill.finalized"} <= actions


def test_a_returned_bill_is_a_draft_again(session, user, world, october):
    finance = user("finance")
    generate_bills(session, finance, OCTOBER, now=AFTER)
    bill = bill_of(session, world, "a")
    submit_for_review(session, finance, bill)
    with pytest.raises(InvalidInput):
        return_to_draft(session, finance, bill, "")
    return_to_draft(session, finance, bill, "recheck the disks")
    assert bill.status == BillState.DRAFT
    with pytest.raises(Conflict, match="must be"):
        return_to_draft(session, finance, bill, "again")


def test_a_reissue_replaces_a_finalized_bill_and_keeps_it(session, user, world, october):
    finance, second = user("finance"), make_user(session, "finance2", ["finance_officer"])
    generate_bills(session, finance, OCTOBER, now=AFTER)
    bill = bill_of(session, world, "a")
    adjust(session, finance, bill, "-1.00", "goodwill")
    submit_for_review(session, finance, bill)
    finalize(session, second, bill)
    old_hash = bill.content_hash
    new = reissue(session, second, bill, "disk size was wrong")
    assert (new.revision, new.status, new.supersedes_id) == (2, BillState.DRAFT, bill.id)
    assert new.adjustments == Decimal("-1.00") and new.total == bill.total
    with pytest.raises(Conflict, match="reissued already"):
        reissue(session, second, bill, "twice")
    adjust(session, second, new, "-2.00", "credit for the wrong disk")
    submit_for_review(session, second, new)
    with pytest.raises(Forbidden):
        finalize(session, second, new)
    third = make_user(session, "finance3", ["finance_officer"])
    with pytest.raises(Forbidden):  # finance adjusted it too (the carried adjustment)
        finalize(session, finance, new)
    finalize(session, third, new)
    assert bill.status == BillState.SUPERSEDED and bill.content_hash == old_hash
    assert bill_of(session, world, "a") is new


def test_agencies_see_their_subtree_and_only_finance_handles_bills(session, user, world, prices):
    for code in ("t", "c"):
        make_resource(
            session,
            world.agencies[code],
            "volume",
            [(CHANGE, "created", "active", {"size_gb": 10})],
        )
    meter(session, CHANGE, OCTOBER_END)
    generate_bills(session, user("finance"), OCTOBER, now=AFTER)
    town, community = bill_of(session, world, "t"), bill_of(session, world, "c")
    assert get_bill(session, user("manager.t"), community.id) is community
    with pytest.raises(NotFound):
        get_bill(session, user("member.c"), town.id)
    with pytest.raises(NotFound):
        get_bill(session, user("member.a"), community.id)
    assert subtree_total(session, town) == town.total + community.total > town.total
    for who in ("manager.t", "operator", "auditor"):
        with pytest.raises(Forbidden):
            submit_for_review(session, user(who), town)
        with pytest.raises(Forbidden):
            generate_bills(session, user(who), OCTOBER, now=AFTER)


def test_price_lists_are_revised_and_withdrawn_never_deleted(session, user, prices):
    (prices / "t2.yaml").write_text(OCTOBER_LIST.replace('"0.80"', '"0.75"'), encoding="utf-8")
    report = sync_price_lists(session, user("finance"), prices, note="large is cheaper")
    assert (report.revised, report.unchanged) == (["T2"], ["T1"])
    (prices / "t1.yaml").unlink()
    report = sync_price_lists(session, user("finance"), prices)
    assert report.withdrawn == ["T1"]
    rows = session.scalars(select(PriceList).order_by(PriceList.id)).all()
    assert [(row.version, row.revision) for row in rows] == [("T1", 1), ("T2", 1), ("T2", 2)]
    assert rows[0].withdrawn_at and rows[1].superseded_at and rows[2].note == "large is cheaper"


def test_negotiated_rates_for_an_unknown_agency_are_refused(session, prices):
    (prices / "t3.yaml").write_text(
        OCTOBER_LIST.replace('"T2"', '"T3"').replace("2026-10-16", "2026-11-16")
        + 'agencies:\n  nowhere: {discount: "0.10"}\n',
        encoding="utf-8",
    )
    with pytest.raises(InvalidInput, match="nowhere"):
        sync_price_lists(session, None, prices)


def test_sums_of_lines_bills_and_month_agree(session, user, world, october):
    generate_bills(session, user("finance"), OCTOBER, now=AFTER)
    bills = current_bills(session, OCTOBER)
    for bill in bills:
        lines = session.scalars(select(BillLine.amount).where(BillLine.bill_id == bill.id))
        assert sum(lines, Decimal(0)) == bill.total
    assert sum(bill.total for bill in bills) == Decimal("92.80")
    assert CREATED + timedelta(hours=6) == CHANGE
