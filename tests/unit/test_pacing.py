"""How often the OpenStack driver's waits look at the cloud, on a virtual clock: the
first wait of a kind looks often; the next ones sleep through most of the shortest
recent wait of their kind and see the object ready no later; a cloud that got faster
is learned anew."""

import pytest

from portal.provisioning.drivers import openstack as openstack_driver
from portal.provisioning.drivers.openstack import OpenStackDriver
from portal.provisioning.drivers.pacing import QUIET_SHARE, RECENT, Paces


@pytest.fixture
def clock(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(openstack_driver.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(openstack_driver.time, "sleep", lambda s: now.__setitem__(0, now[0] + s))
    return now


@pytest.fixture
def driver(monkeypatch):
    # No cloud is asked anything here: only the waits' timing is under test.
    monkeypatch.setattr(OpenStackDriver, "_connect", staticmethod(lambda _name: None))
    return OpenStackDriver("unused")


def wait(driver, clock, ready_after, pace="server active"):
    """The times (from the start) at which a wait looked, for an object ready then."""
    start, looks = clock[0], []

    def check():
        looks.append(clock[0] - start)
        ready = looks[-1] >= ready_after
        return ready, "server" if ready else "still building"

    assert driver._poll(check, 300, "ACTIVE", pace) == "server"
    return looks


def test_a_wait_sleeps_through_most_of_the_last_ones(driver, clock):
    first = wait(driver, clock, 3.0)
    assert first[:3] == pytest.approx([0, 0.05, 0.125])  # nothing known: often at first
    second = wait(driver, clock, 3.0)
    # Quiet for most of the first wait (the middle of its last two looks), then often.
    assert second[1] == pytest.approx(QUIET_SHARE * (first[-2] + first[-1]) / 2)
    assert second[2] - second[1] == pytest.approx(0.05)
    assert len(second) <= len(first) - 3  # fewer questions to the cloud
    assert second[-1] - 3.0 < 0.3  # seen ready soon after
    assert wait(driver, clock, 3.0) == pytest.approx(second)  # a steady cloud, a steady pace
    # Another kind of wait has its own pace.
    assert wait(driver, clock, 1.0, pace="server deleted")[:2] == pytest.approx([0, 0.05])


def test_a_cloud_that_got_faster_is_learned_anew(driver, clock):
    wait(driver, clock, 6.0)
    slow = wait(driver, clock, 6.0)
    faster = wait(driver, clock, 2.0)
    assert faster == pytest.approx([0, slow[1]])  # seen when the quiet time ends: late, once
    relearned = wait(driver, clock, 2.0)
    assert relearned[:3] == pytest.approx([0, 0.05, 0.125])
    assert wait(driver, clock, 2.0)[1] == pytest.approx(
        QUIET_SHARE * (relearned[-2] + relearned[-1]) / 2
    )


def test_only_the_recent_waits_that_waited_count():
    paces = Paces()
    assert paces.quiet_for("volume available") == 0
    paces.ready("volume available", 0, None, 0)  # ready at the first look: nothing learned
    assert paces.quiet_for("volume available") == 0
    paces.ready("volume available", 0, 0.4, 0.6)
    assert paces.quiet_for("volume available") == pytest.approx(QUIET_SHARE * 0.5)
    for _ in range(RECENT):
        paces.ready("volume available", 0.4, 9.5, 10.5)
    assert paces.quiet_for("volume available") == pytest.approx(QUIET_SHARE * 10.0)
