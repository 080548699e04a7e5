"""Billing test data: resources with a history chosen by the test, written as the
inventory writes them (a resource and its lifecycle events) at given times; test price
lists; October 2026, whose prices change on the 16th."""

from datetime import UTC, date, datetime

from sqlalchemy import select

from portal.accounts.models import User
from portal.billing.metering import meter_hour
from portal.billing.periods import hours_between
from portal.billing.prices import sync_price_lists
from portal.billing.rollup import pending_days, roll_up_day
from portal.billing.service import generate_bills
from portal.catalog.models import CatalogItem
from portal.inventory.models import LifecycleEvent, Resource
from portal.orders.models import Order

SMALL_VM = {"cloud_flavor": "jy.small", "vcpus": 1, "ram_gb": 2, "root_disk_gb": 40}


def make_resource(session, agency_id, item_key, history, *, sla_tier="standard", name="res"):
    """`history`: [(time, kind, state, size)] in order; the first is its creation."""
    item = session.scalar(select(CatalogItem).where(CatalogItem.key == item_key))
    creator = session.scalar(select(User.id).order_by(User.id).limit(1))
    first_size = history[0][3]
    order = Order(
        agency_id=agency_id,
        item_id=item.id,
        catalog_version_id=item.current_version_id,
        created_by_id=creator,
        state="fulfilled",
        parameters={},
        spec=dict(first_size),
        sla_tier=sla_tier,
    )
    session.add(order)
    session.flush()
    _at, _kind, last_state, last_size = history[-1]
    resource = Resource(
        agency_id=agency_id,
        order_id=order.id,
        item_id=item.id,
        catalog_version_id=item.current_version_id,
        kind=item.kind,
        name=name,
        state=last_state,
        sla_tier=sla_tier,
        size=dict(last_size),
        created_at=history[0][0],
        deleted_at=history[-1][0] if last_state == "deleted" else None,
    )
    session.add(resource)
    session.flush()
    for at, kind, state, size in history:
        session.add(
            LifecycleEvent(
                resource_id=resource.id, occurred_at=at, kind=kind, state=state, size=dict(size)
            )
        )
    session.flush()
    return resource


OCTOBER = date(2026, 10, 1)
OCTOBER_START = datetime(2026, 9, 30, 16, tzinfo=UTC)  # lines are per price period
OCTOBER_END = datetime(2026, 10, 31, 16, tzinfo=UTC)  # midnight in Beijing
CHANGE = datetime(2026, 10, 15, 16, tzinfo=UTC)  # 2026-10-16T00:00+08:00
AFTER = datetime(2026, 11, 2, tzinfo=UTC)
CREATED = datetime(2026, 10, 15, 10, tzinfo=UTC)

JANUARY_LIST = """
version: "T1"
effective_from: "2026-01-01T00:00:00+08:00"
reason: {zh_CN: 测试价目, en: Test prices}
rates:
  instance_hours:
    jy.small: {standard: "0.20", important: "0.26", critical: "0.32"}
    jy.medium: "0.40"
    jy.large: "0.80"
  vcpu_hours: "0.09"
  ram_gb_hours: "0.045"
  disk_gb_hours: "0.001"
  volume_gb_hours: "0.0007"
  snapshot_gb_hours: "0.0003"
  db_instance_hours: {postgresql: "0.35", mysql: "0.35"}
  db_storage_gb_hours: "0.001"
service_fee: {self_operated: "0", hybrid: "0.08", fully_outsourced: "0.15"}
"""
OCTOBER_LIST = (
    JANUARY_LIST.replace('version: "T1"', 'version: "T2"')
    .replace('"2026-01-01T00:00:00+08:00"', '"2026-10-16T00:00:00+08:00"')
    .replace('standard: "0.20"', 'standard: "0.18"')
    + 'agency_kinds:\n  community: {discount: "0.30"}\n'
)


def meter(session, start, end, *, roll_up=True):
    """Meter the hours of [start, end), then roll up the days that are whole (as the
    metering task does) unless `roll_up` is false: rating then reads hours only."""
    for hour in hours_between(start, end):
        meter_hour(session, hour, now=AFTER)
    if roll_up:
        for day in pending_days(session, AFTER):
            roll_up_day(session, day, now=AFTER)


def write_price_lists(directory, *more):
    """Test price lists T1 and T2 (and any more texts given) as files in `directory`."""
    directory.mkdir(exist_ok=True)
    for number, text in enumerate((JANUARY_LIST, OCTOBER_LIST, *more), 1):
        (directory / f"t{number}.yaml").write_text(text, encoding="utf-8")
    return directory


def bill_october(session, world, prices_dir, *more):
    """Price lists T1 and T2 loaded, bureau a's small server "web" (application 门户网站)
    and any `more` resources as (agency code, item, history) made, October metered and
    billed by finance; returns the server."""
    sync_price_lists(session, None, write_price_lists(prices_dir))
    vm = make_resource(
        session, world.agencies["a"], "vm", [(CREATED, "created", "active", SMALL_VM)], name="web"
    )
    vm.application = "门户网站"
    for code, item, history in more:
        make_resource(session, world.agencies[code], item, history)
    meter(session, CREATED, OCTOBER_END)
    finance = session.scalar(select(User).where(User.username == "finance"))
    generate_bills(session, finance, OCTOBER, now=AFTER)
    return vm
