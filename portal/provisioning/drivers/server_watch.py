"""One look at Nova for every server a worker process waits on in a project.

In a burst every operation waits for its server at once. Asking each with
GET /servers/{id} costs Nova a request per server per look, and Nova asks Neutron for
the server's security groups each time (on the devcloud a list of five servers costs
Nova and Neutron about what two single looks do). A wait that has had its first quick
looks joins its project's watch instead: the watch lists the project's servers that
changed since the oldest change any of its waiters has seen (Nova's `changes-since`,
compared on Nova's own clock, so clocks need not agree), at most once a tick, and
every waiter reads its server from that one answer. A server the answer leaves out
has not changed since it was last seen; a deleted one shows as DELETED.
"""

import threading
import time
from collections import Counter
from contextlib import contextmanager

TICK_SECONDS = 0.5  # as often as a single long wait looked before the watch


class _Look:
    """One list: when it started, and the servers it showed by id."""

    __slots__ = ("done", "failed", "servers", "started")

    def __init__(self, started):
        self.started, self.servers, self.done, self.failed = started, {}, False, False


class ServerWatch:
    def __init__(self, list_changed, *, tick=TICK_SECONDS, clock=time.monotonic):
        """LIST_CHANGED(since) lists the project's servers changed at or after SINCE
        (a server's `updated_at` as Nova wrote it)."""
        self._list_changed = list_changed
        self._tick = tick
        self._clock = clock
        self._cond = threading.Condition()
        self._since = {}  # server id → its newest `updated_at` seen
        self._waiters = Counter()  # server id → waits on it
        self._last = None  # the newest look, finished or under way

    @contextmanager
    def waiting(self, server):
        """Watch SERVER (as a single look just showed it) while inside. Yields a
        function that waits for the next look and answers (listed, server): listed is
        False when that look failed (look yourself), server None when unchanged."""
        with self._cond:
            updated = server.updated_at or server.created_at
            self._since[server.id] = max(self._since.get(server.id, updated), updated)
            self._waiters[server.id] += 1
            seen = self._clock()

        def next_look():
            nonlocal seen
            look = self._next(seen)
            seen = look.started
            return (not look.failed), look.servers.get(server.id)

        try:
            yield next_look
        finally:
            with self._cond:
                self._waiters[server.id] -= 1
                if not self._waiters[server.id]:
                    del self._waiters[server.id]
                    del self._since[server.id]

    def _next(self, after):
        """The first look that started after AFTER, once it is done; leads it when no
        look has started for a tick."""
        with self._cond:
            while True:
                look = self._last
                if look is not None and (look.started > after or not look.done):
                    if look.done:
                        return look
                    self._cond.wait()  # a lead always ends with notify_all
                    continue
                now = self._clock()
                due = look.started + self._tick if look is not None else now
                if now < due:
                    self._cond.wait(due - now)
                    continue
                look = self._last = _Look(now)
                since = min(self._since.values())
                break
        try:
            servers = {server.id: server for server in self._list_changed(since)}
        except BaseException:
            with self._cond:
                look.failed = look.done = True
                self._cond.notify_all()
            raise
        with self._cond:
            look.servers, look.done = servers, True
            for server_id, server in servers.items():
                if server_id in self._since and server.updated_at:
                    self._since[server_id] = max(self._since[server_id], server.updated_at)
            self._cond.notify_all()
        return look
