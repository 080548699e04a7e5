"""The two ways to a server: (A) openstacksdk directly, (B) an order through the portal.

Both make the same server (flavour jy.small, image kylin-v10, the network Nova picks
for "auto", as the portal's driver asks when JIYUN_OS_NETWORK is empty) in the same
project (the portal agency's jiyun-<code>), and both poll at the same interval. Every
figure is a wall-clock time (time.time(), the clock the portal's timestamps use).
"""

import threading
import time
from dataclasses import dataclass, field

import openstack
import requests

FLAVOR, IMAGE = "jy.small", "kylin-v10"
BENCH_TAG = "jiyun_bench"
# The order: within the item's auto-approval ({vcpus: 1, ram_gb: 2, disk_gb: 40}).
PARAMETERS = {
    "flavor": "small",
    "image": "kylin_v10",
    "root_disk_gb": 40,
    "data_volume_gb": 0,
    "purpose": "bench/provision",
}


class Stopped(Exception):
    """The benchmark is being interrupted."""


class Failed(RuntimeError):
    """A server or an order ended badly."""


@dataclass
class Poller:
    interval: float
    stop: threading.Event = field(default_factory=threading.Event)
    timeout: float = 300.0

    def until(self, check, what):
        """Call CHECK every interval until it returns something; returns that and the
        time it was seen."""
        deadline = time.monotonic() + self.timeout
        while True:
            found = check()
            if found is not None:
                return found, time.time()
            if time.monotonic() > deadline:
                raise Failed(f"{what}: not done after {self.timeout:.0f} s")
            if self.stop.wait(self.interval):
                raise Stopped


# -- A: openstacksdk directly ----------------------------------------------------------


class Direct:
    """Servers made with openstacksdk in the project, tagged jiyun_bench:<run id>."""

    def __init__(self, conn, project_id, run_id):
        self.conn = conn.connect_as(project_id=project_id)  # as the portal's driver does
        self.tag = f"{BENCH_TAG}:{run_id}"
        self.flavor_id = conn.compute.find_flavor(FLAVOR, ignore_missing=False).id
        self.image_id = conn.image.find_image(IMAGE, ignore_missing=False).id

    def create(self, name, poller):
        """create_server, then poll until ACTIVE with no task (the driver's condition)."""
        compute = self.conn.compute
        began = time.time()
        server = compute.create_server(
            name=name,
            flavor_id=self.flavor_id,
            image_id=self.image_id,
            networks="auto",
            metadata={BENCH_TAG: self.tag},
            tags=[self.tag],
        )
        answered = time.time()

        def active():
            found = compute.get_server(server.id)
            if found.status == "ERROR":
                raise Failed(f"server {server.id} ERROR: {found.fault}")
            return found if found.status == "ACTIVE" and not found.task_state else None

        _found, seen = poller.until(active, f"server {server.id}")
        return {
            "server_id": server.id,
            "total": seen - began,
            "api": answered - began,  # Nova's POST answered
            "boot": seen - answered,
            "began": began,
            "seen": seen,
        }

    def delete(self, server_id, poller):
        compute = self.conn.compute
        began = time.time()
        compute.delete_server(server_id)

        def gone():
            try:
                compute.get_server(server_id)
            except openstack.exceptions.NotFoundException:
                return True
            return None

        _found, seen = poller.until(gone, f"deleting server {server_id}")
        return {"total": seen - began}

    def servers(self):
        return [s for s in listed(self.conn) if self.tag in (s.tags or [])]


def listed(conn, attempts=3):
    """The project's servers in detail (with their tags), 50 a page: for a page of
    ~100 servers the devcloud's Nova asks Neutron with a URL longer than Neutron's
    gunicorn takes (4094 bytes) and answers 500. Retried once or twice for the load."""
    for attempt in range(attempts):
        try:
            return list(conn.compute.servers(limit=50))
        except openstack.exceptions.HttpException:
            if attempt == attempts - 1:
                raise
            time.sleep(5)
    return []


# -- B: through the portal's API -------------------------------------------------------


class Portal:
    """The agency's API client: a member orders `vm_bare` and polls the order, a manager
    deletes via the API.
    One requests.Session per thread (keep-alive, as a real client would)."""

    def __init__(self, base_url, tokens, item):
        self.base_url = base_url
        self.tokens = tokens  # {"member": …, "manager": …}: members may not delete
        self.item = item
        self.local = threading.local()

    def http(self, who):
        sessions = self.local.__dict__.setdefault("sessions", {})
        if who not in sessions:
            sessions[who] = requests.Session()
            sessions[who].headers["Authorization"] = f"Bearer {self.tokens[who]}"
        return sessions[who]

    def _call(self, method, path, expect, who="member", **kwargs):
        url = f"{self.base_url}/api/v1{path}"
        answer = self.http(who).request(method, url, timeout=30, **kwargs)
        if answer.status_code != expect:
            raise Failed(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json()

    def create(self, name, poller):
        """POST the order (auto-approved), then poll it until fulfilled: the order turns
        fulfilled in the same commit that makes the resource ACTIVE in the inventory."""
        began = time.time()
        order = self._call(
            "POST",
            "/orders",
            201,
            json={
                "item": self.item,
                "parameters": {**PARAMETERS, "hostname": name},
                "client_token": name,
            },
        )
        answered = time.time()
        if order["state"] not in ("approved", "provisioning", "fulfilled"):
            raise Failed(f"order {order['number']} is {order['state']}, not auto-approved")

        def fulfilled():
            state = self._call("GET", f"/orders/{order['id']}", 200)["state"]
            if state == "failed":
                raise Failed(f"order {order['number']} failed")
            return True if state == "fulfilled" else None

        _found, seen = poller.until(fulfilled, f"order {order['number']}")
        return {
            "order_id": order["id"],
            "total": seen - began,
            "accept": answered - began,  # the API's POST answered
            "began": began,
            "answered": answered,
            "seen": seen,
        }

    def resources_by_order(self):
        """The active VMs, by order id (the order's API answer does not name its
        resource; one list call of at most 200)."""
        page = self._call("GET", "/resources", 200, params={"kind": "vm", "per_page": 200})
        return {row["order_id"]: row for row in page["resources"]}

    def delete(self, resource_id, poller):
        """POST the delete action, then poll the resource until it is deleted."""
        began = time.time()
        operation = self._call(
            "POST", f"/resources/{resource_id}/actions", 202, "manager", json={"action": "delete"}
        )
        answered = time.time()

        def deleted():
            state = self._call("GET", f"/resources/{resource_id}", 200, "manager")["state"]
            return True if state == "deleted" else None

        _found, seen = poller.until(deleted, f"deleting resource {resource_id}")
        return {
            "operation_id": operation["id"],
            "total": seen - began,
            "accept": answered - began,
            "seen": seen,
        }


# -- what the database says happened ---------------------------------------------------

OPERATIONS_SQL = """
SELECT o.id, o.kind, o.order_id, o.resource_id, o.state, o.attempts,
       o.created_at, o.started_at, o.finished_at
FROM operations o WHERE {where}
"""
STEPS_SQL = """
SELECT operation_id, name, started_at, finished_at FROM operation_steps
WHERE operation_id = ANY(%s) AND started_at IS NOT NULL AND finished_at IS NOT NULL
"""


def operations(sql, where, values):
    """Operations (with their steps' durations) as dicts of epoch seconds."""
    columns = ["id", "kind", "order_id", "resource_id", "state", "attempts"]
    columns += ["created_at", "started_at", "finished_at"]
    with sql.cursor() as cursor:
        rows = cursor.execute(OPERATIONS_SQL.format(where=where), values).fetchall()
        found = {}
        for row in rows:
            operation = dict(zip(columns, row, strict=True))
            for key in ("created_at", "started_at", "finished_at"):
                if operation[key] is not None:
                    operation[key] = operation[key].timestamp()
            operation["steps"] = {}
            found[operation["id"]] = operation
        for operation_id, name, started, finished in cursor.execute(
            STEPS_SQL, (list(found),)
        ).fetchall():
            found[operation_id]["steps"][name] = (finished - started).total_seconds()
    return found


def provision_operations(sql, order_ids):
    found = operations(sql, "o.kind = 'provision' AND o.order_id = ANY(%s)", (list(order_ids),))
    by_order = {}
    for operation in found.values():
        by_order.setdefault(operation["order_id"], []).append(operation)
    return by_order


def split(portal_sample, operation):
    """B's time split: accept (POST answered), queue wait (created → started, as the
    portal records it), worker (started → succeeded), status lag (succeeded → seen)."""
    return {
        "accept": portal_sample["accept"],
        "queue": operation["started_at"] - operation["created_at"],
        "worker": operation["finished_at"] - operation["started_at"],
        "lag": portal_sample["seen"] - operation["finished_at"],
        # created_at is stamped inside the POST, before its commit and the enqueue:
        # answered → started is the wait a client actually sees after its POST.
        "queue_after_answer": operation["started_at"] - portal_sample["answered"],
        "steps": operation["steps"],
    }
