"""Metering: usage per resource, metric and hour from lifecycle events, to the second;
idempotent, backfillable from the command line."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from billing.metering import accrue
from billing.metrics import accrual_rates
from portal.billing.metering import meter_hour, pending_hours
from portal.billing.models import MeteredHour, UsageRecord
from portal.core.errors import Conflict, InvalidInput
from portal.extensions import db
from tests.billing_factories import SMALL_VM, make_resource

H = timedelta(hours=1)
T0 = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
VOLUME = {"size_gb": 100}


def usage(session, resource_id, hour):
    return {
        (row.metric, row.dimension): row.quantity
        for row in session.scalars(
            select(UsageRecord).where(
                UsageRecord.resource_id == resource_id, UsageRecord.hour == hour
            )
        )
    }


def test_a_server_stopped_at_twenty_past_runs_twenty_minutes_of_that_hour():
    ten = T0 + H
    running = ("active", SMALL_VM)
    events = [(ten + timedelta(minutes=20), "stopped", SMALL_VM)]
    used = accrue(ten, ten + H, running, events, kind="vm", item_key="vm")
    assert used["instance_hours", "jy.small"] == 20 * 60
    # The item's policy: a stopped server's disk still costs, all hour long.
    assert used["disk_gb_hours", ""] == 40 * 3600


def test_custom_sizes_accrue_vcpu_and_memory_instead_of_a_flavour():
    custom = {"vcpus": 6, "ram_gb": 24, "root_disk_gb": 50}
    rates = accrual_rates("vm", "vm", "active", custom)
    assert rates == {("vcpu_hours", ""): 6, ("ram_gb_hours", ""): 24, ("disk_gb_hours", ""): 50}
    assert accrual_rates("vm", "vm", "provisioning", custom) == {}
    assert accrual_rates("vm", "vm", "missing", custom) == {}


def test_a_volume_accrues_by_its_type():
    ssd = {"size_gb": 100, "cloud_volume_type": "jy-ssd"}
    assert accrual_rates("volume", "volume", "active", ssd) == {("volume_gb_hours", "jy-ssd"): 100}
    # Made before types were recorded: no type, priced by a list's one rate.
    untyped = {"size_gb": 100}
    assert accrual_rates("volume", "volume", "stopped", untyped) == {("volume_gb_hours", ""): 100}


def test_an_hour_is_metered_from_the_events_and_only_once(session, world):
    vm = make_resource(
        session,
        world.agencies["a"],
        "vm",
        [
            (T0 + timedelta(minutes=30), "created", "active", SMALL_VM),
            (T0 + H + timedelta(minutes=20), "stopped", "stopped", SMALL_VM),
            (T0 + H + timedelta(minutes=50), "started", "active", SMALL_VM),
        ],
    )
    now = T0 + 3 * H
    assert meter_hour(session, T0, now=now) == 2
    assert meter_hour(session, T0 + H, now=now) == 2
    assert usage(session, vm.id, T0) == {
        ("instance_hours", "jy.small"): 1800,
        ("disk_gb_hours", ""): 40 * 1800,
    }
    assert usage(session, vm.id, T0 + H) == {
        ("instance_hours", "jy.small"): 30 * 60,
        ("disk_gb_hours", ""): 40 * 3600,
    }
    assert meter_hour(session, T0, now=now) == 0  # twice changes nothing
    assert session.scalar(select(func.count()).select_from(UsageRecord)) == 4


def test_forced_re_metering_replaces_the_hour(session, world):
    volume = make_resource(
        session, world.agencies["a"], "volume", [(T0, "created", "active", VOLUME)]
    )
    now = T0 + 2 * H
    meter_hour(session, T0, now=now)
    volume.events[0].size = {"size_gb": 50}  # corrected history
    session.flush()
    assert meter_hour(session, T0, force=True, now=now) == 1
    assert usage(session, volume.id, T0) == {("volume_gb_hours", ""): 50 * 3600}


def test_hours_not_ended_or_not_on_the_hour_are_refused(session):
    with pytest.raises(Conflict, match="has not ended"):
        meter_hour(session, T0, now=T0 + timedelta(minutes=59))
    with pytest.raises(InvalidInput, match="not the start of an hour"):
        meter_hour(session, T0 + timedelta(minutes=5), now=T0 + 2 * H)


def test_pending_hours_start_at_the_first_event_and_skip_metered_ones(session, world):
    make_resource(session, world.agencies["b"], "volume", [(T0, "created", "active", VOLUME)])
    now = T0 + 3 * H + timedelta(minutes=5)
    assert pending_hours(session, now) == [T0, T0 + H, T0 + 2 * H]
    meter_hour(session, T0 + H, now=now)
    assert pending_hours(session, now) == [T0, T0 + 2 * H]


def test_the_cli_backfills_a_gap_and_reports_bad_times(app, world):
    runner = app.test_cli_runner()
    with app.app_context():
        make_resource(
            db.session, world.agencies["a"], "volume", [(T0, "created", "active", VOLUME)]
        )
        db.session.commit()
    result = runner.invoke(
        args=["billing", "meter", "--from", "2026-10-20T09:00Z", "--to", "2026-10-20T12:00Z"]
    )
    assert result.exit_code == 0, result.output
    assert "3 hour(s) looked at, 3 usage record(s) written" in result.output
    again = runner.invoke(
        args=["billing", "meter", "--from", "2026-10-20T09:00Z", "--to", "2026-10-20T12:00Z"]
    )
    assert "0 usage record(s) written" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MeteredHour)) == 3
    bad = runner.invoke(args=["billing", "meter", "--from", "yesterday", "--to", "now"])
    assert bad.exit_code == 2 and "not a time" in bad.output
    naive = runner.invoke(
        args=["billing", "meter", "--from", "2026-10-20T09:00", "--to", "2026-10-20T10:00Z"]
    )
    assert naive.exit_code == 2 and "give the zone" in naive.output


STATES = st.sampled_from(["active", "stopped", "provisioning", "missing", "deleted"])


@st.composite
def lifecycles(draw):
    """Events at random seconds over up to six hours, with random states and sizes."""
    count = draw(st.integers(1, 12))
    offsets = sorted(draw(st.lists(st.integers(0, 6 * 3600 - 1), min_size=count, max_size=count)))
    return [
        (
            T0 + timedelta(seconds=offset, microseconds=draw(st.integers(0, 999_999))),
            draw(STATES),
            {**SMALL_VM, "root_disk_gb": draw(st.integers(20, 200))},
        )
        for offset in offsets
    ]


@settings(max_examples=200, deadline=None)
@given(lifecycles())
def test_billed_quantity_equals_the_time_in_a_billable_state(events):
    hours = [T0 + n * H for n in range(7)]
    metered = {}
    for start in hours:
        before = [event for event in events if event[0] < start]
        inside = [event for event in events if start <= event[0] < start + H]
        state = (before[-1][1], before[-1][2]) if before else None
        for key, quantity in accrue(
            start, start + H, state, inside, kind="vm", item_key="vm"
        ).items():
            metered[key] = metered.get(key, 0) + quantity
    # The same time measured directly: whole seconds in each state, from the events.
    expected = {}
    marks = [int((at - T0).total_seconds()) for at, _s, _z in events] + [7 * 3600]
    for (_at, state, size), begin, end in zip(events, marks, marks[1:], strict=False):
        for key, rate in accrual_rates("vm", "vm", state, size).items():
            expected[key] = expected.get(key, 0) + rate * (end - begin)
    assert {key: value for key, value in metered.items() if value} == {
        key: value for key, value in expected.items() if value
    }
