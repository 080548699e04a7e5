"""The server watch: many waits in a project share one list a tick (server_watch.py).

The list function here stands in for Nova's `GET /servers/detail?changes-since=`; the
OpenStack driver's waits through it are tested against the devcloud
(tests/integration/test_openstack_driver.py)."""

import threading
from dataclasses import dataclass

from portal.provisioning.drivers.server_watch import ServerWatch


@dataclass
class Server:
    id: str
    status: str
    updated_at: str
    created_at: str = "2026-11-27T10:00:00Z"


class Cloud:
    """Servers with Nova's `updated` (whole seconds), and the lists asked of it."""

    def __init__(self, count):
        self.servers = {
            f"s{n}": Server(f"s{n}", "BUILD", "2026-11-27T10:00:00Z") for n in range(count)
        }
        self.lists = []  # the `since` of each list
        self.lock = threading.Lock()

    def list_changed(self, since):
        with self.lock:
            self.lists.append(since)
            return [
                Server(s.id, s.status, s.updated_at)
                for s in self.servers.values()
                if s.updated_at >= since
            ]

    def change(self, server_id, status, at):
        with self.lock:
            self.servers[server_id] = Server(server_id, status, at)


def wait_active(watch, cloud, server_id, results):
    first = Server(server_id, "BUILD", cloud.servers[server_id].updated_at)
    with watch.waiting(first) as next_look:
        for _ in range(200):
            listed, shown = next_look()
            assert listed
            if shown is not None and shown.status == "ACTIVE":
                results[server_id] = shown
                return


def test_many_waits_share_one_list_a_tick():
    cloud = Cloud(8)
    watch = ServerWatch(cloud.list_changed, tick=0.02)
    results = {}
    threads = [
        threading.Thread(target=wait_active, args=(watch, cloud, server_id, results))
        for server_id in cloud.servers
    ]
    for thread in threads:
        thread.start()
    for number, server_id in enumerate(cloud.servers):
        threading.Event().wait(0.05)
        cloud.change(server_id, "ACTIVE", f"2026-11-27T10:00:{number + 1:02d}Z")
    for thread in threads:
        thread.join(timeout=10)
    assert set(results) == set(cloud.servers)
    # Eight waits over ~0.4 s at a tick of 0.02 s: about 20 lists, where looking one by
    # one at the same pace would have asked eight times as often.
    assert len(cloud.lists) <= 40


def test_a_server_left_out_is_unchanged_and_since_follows_what_was_seen():
    cloud = Cloud(2)
    watch = ServerWatch(cloud.list_changed, tick=0)
    first = Server("s0", "BUILD", "2026-11-27T10:00:00Z")
    other = Server("s1", "BUILD", "2026-11-27T10:00:00Z")
    cloud.change("s1", "BUILD", "2026-11-27T10:00:05Z")
    with watch.waiting(first) as next_look, watch.waiting(other):
        assert next_look() == (True, Server("s0", "BUILD", "2026-11-27T10:00:00Z"))
        cloud.change("s0", "BUILD", "2026-11-27T10:00:07Z")
        assert next_look()[1].updated_at == "2026-11-27T10:00:07Z"
        assert cloud.lists[-1] == "2026-11-27T10:00:00Z"
        # Both waits have now seen changes up to 10:00:05 at least: the list starts there.
        next_look()
        assert cloud.lists[-1] == "2026-11-27T10:00:05Z"
        cloud.servers.pop("s1")
        cloud.change("s0", "BUILD", "2026-11-27T10:00:03Z")  # an older change: not listed
        assert next_look() == (True, None)
    # Nobody waits any more: a new wait lists from its own server's change.
    with watch.waiting(Server("s0", "BUILD", "2026-11-27T10:00:09Z")) as next_look:
        next_look()
        assert cloud.lists[-1] == "2026-11-27T10:00:09Z"


def test_a_failed_list_fails_its_leader_and_tells_the_others_to_look_themselves():
    entered, release = threading.Event(), threading.Event()

    def failing(since):
        entered.set()
        release.wait(5)
        raise ConnectionError("nova-api went away")

    watch = ServerWatch(failing, tick=10)
    answers = {}

    def ask(name, next_look):
        try:
            answers[name] = next_look()
        except ConnectionError as error:
            answers[name] = error

    with (
        watch.waiting(Server("s1", "BUILD", "2026-11-27T10:00:00Z")) as follower,
        watch.waiting(Server("s0", "BUILD", "2026-11-27T10:00:00Z")) as leader,
    ):
        leading = threading.Thread(target=ask, args=("s0", leader))
        leading.start()
        assert entered.wait(5)
        following = threading.Thread(target=ask, args=("s1", follower))
        following.start()
        release.set()
        leading.join(5)
        following.join(5)
    assert isinstance(answers["s0"], ConnectionError)
    assert answers["s1"] == (False, None)


def test_a_wait_never_reads_a_list_that_started_before_it_joined():
    cloud = Cloud(1)
    watch = ServerWatch(cloud.list_changed, tick=0)
    with watch.waiting(Server("s0", "BUILD", "2026-11-27T10:00:00Z")) as next_look:
        next_look()
        with watch.waiting(Server("s0", "BUILD", "2026-11-27T10:00:00Z")) as again:
            again()
        assert len(cloud.lists) == 2
