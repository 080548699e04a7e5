"""A simulated cloud for the embedded default and fast unit tests.

It is not OpenStack and nothing calls it so: it models the states the engine meets
(building → active, stopped, in-use, error), the tags, the lookups by tag, delays and
failures, and keeps its objects in a small SQLite file so that the web process, the
worker and the reconciler see the same cloud. Faults are injected by name: an image
or flavour called `broken` ends in error; `unknown` is refused like a bad name; a
project over its instance quota is refused with the cloud's message. A custom size's
flavour exists as soon as it is asked for, as the OpenStack driver makes it.
"""

import json
import sqlite3
import threading
import time
import uuid

from portal.provisioning.drivers.base import (
    OP_TAG,
    CloudDriver,
    CloudError,
    CloudObject,
    NotFoundInCloud,
    TransientCloudError,
)
from portal.provisioning.flavours import custom_flavor_size

FLAVORS = {"jy.small", "jy.medium", "jy.large", "broken"}
IMAGES = {"kylin-v10", "uos-20", "ubuntu-22.04", "cirros-tiny", "broken"}
VOLUME_TYPES = {"jy-standard", "jy-ssd"}
UPDATABLE = frozenset({"status", "flavor", "size_gb", "attached_to"})
SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY, kind TEXT, project TEXT, name TEXT, status TEXT, tags TEXT,
    size_gb INTEGER, flavor TEXT, addresses TEXT, fault TEXT, ready_at REAL,
    attached_to TEXT);
CREATE TABLE IF NOT EXISTS projects (id TEXT PRIMARY KEY, code TEXT UNIQUE, quotas TEXT);
"""


def _require_flavor(flavor):
    if flavor not in FLAVORS and custom_flavor_size(flavor) is None:
        raise CloudError(f"Flavor {flavor} could not be found.")


class SimulatedDriver(CloudDriver):
    name = "simulated"

    def __init__(self, path, *, boot_seconds=0.0, poll_interval=0.05):
        self.path = str(path)
        self.boot_seconds = float(boot_seconds)
        self.poll_interval = poll_interval
        # A closed cloud answers nothing: tests take it away and bring it back.
        self.reachable = True
        self._local = threading.local()
        self._db().connection.executescript(SCHEMA)

    def _db(self):
        if not self.reachable:
            raise TransientCloudError("The simulated cloud is unreachable.")
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.path, timeout=15, isolation_level=None)
            connection.row_factory = sqlite3.Row
            self._local.connection = connection
        return _Transaction(connection)

    # Projects
    def ensure_project(self, agency_code, quotas):
        with self._db() as db:
            row = db.execute("SELECT id FROM projects WHERE code = ?", (agency_code,)).fetchone()
            project_id = row["id"] if row else uuid.uuid4().hex
            db.execute(
                "INSERT INTO projects (id, code, quotas) VALUES (?, ?, ?) "
                "ON CONFLICT(code) DO UPDATE SET quotas = excluded.quotas",
                (project_id, agency_code, json.dumps(quotas)),
            )
        return project_id

    # Servers
    def find_server(self, project_id, operation_id):
        return self._find("server", project_id, operation_id)

    def create_server(self, project_id, *, name, flavor, image, root_disk_gb, tags):
        _require_flavor(flavor)
        if image not in IMAGES:
            raise CloudError(f"Image {image} could not be found.")
        with self._db() as db:
            self._check_instance_quota(db, project_id)
            fault = (
                "Simulated fault: the hypervisor refused the build."
                if "broken"
                in (
                    flavor,
                    image,
                )
                else None
            )
            return self._insert(
                db,
                "server",
                project_id,
                name,
                tags,
                size_gb=root_disk_gb,
                flavor=flavor,
                addresses=[f"198.18.{len(name) % 16}.{(hash(name) % 250) + 2}"],
                fault=fault,
            )

    def _check_instance_quota(self, db, project_id):
        row = db.execute("SELECT quotas FROM projects WHERE id = ?", (project_id,)).fetchone()
        limit = json.loads(row["quotas"]).get("instances") if row else None
        if limit is None:
            return
        used = db.execute(
            "SELECT count(*) FROM objects WHERE kind = 'server' AND project = ?", (project_id,)
        ).fetchone()[0]
        if used >= limit:
            raise CloudError(
                f"Quota exceeded for instances: Requested 1, but already used {used} "
                f"of {limit} instances"
            )

    def get_server(self, project_id, server_id):
        return self._get("server", project_id, server_id)

    def wait_server(self, project_id, server_id, status, timeout):
        return self._wait("server", project_id, server_id, status, timeout)

    def start_server(self, project_id, server_id):
        self._power(project_id, server_id, "active")

    def stop_server(self, project_id, server_id):
        self._power(project_id, server_id, "stopped")

    def reboot_server(self, project_id, server_id):
        self._power(project_id, server_id, "active", require="active")

    def _power(self, project_id, server_id, status, require=None):
        server = self._require("server", project_id, server_id)
        if require and server.status != require:
            raise CloudError(f"Cannot reboot a server that is {server.status}.")
        if server.status not in ("active", "stopped"):
            raise CloudError(f"Cannot change a server that is {server.status}.")
        self._update(server_id, status=status)

    def resize_server(self, project_id, server_id, flavor):
        _require_flavor(flavor)
        self._require("server", project_id, server_id)
        self._update(server_id, flavor=flavor)

    def delete_server(self, project_id, server_id):
        self._delete("server", project_id, server_id)

    # Volumes and snapshots
    def find_volume(self, project_id, operation_id):
        return self._find("volume", project_id, operation_id)

    def create_volume(self, project_id, *, name, size_gb, tags, volume_type=None):
        if volume_type is not None and volume_type not in VOLUME_TYPES:
            raise CloudError(f"Volume type {volume_type} could not be found.")
        with self._db() as db:
            return self._insert(db, "volume", project_id, name, tags, size_gb=size_gb)

    def get_volume(self, project_id, volume_id):
        return self._get("volume", project_id, volume_id)

    def wait_volume(self, project_id, volume_id, status, timeout):
        return self._wait("volume", project_id, volume_id, status, timeout)

    def attach_volume(self, project_id, server_id, volume_id):
        self._require("server", project_id, server_id)
        self._require("volume", project_id, volume_id)
        self._update(volume_id, status="in-use", attached_to=server_id)

    def detach_volume(self, project_id, server_id, volume_id):
        self._require("volume", project_id, volume_id)
        self._update(volume_id, status="available", attached_to=None)

    def extend_volume(self, project_id, volume_id, size_gb):
        volume = self._require("volume", project_id, volume_id)
        if size_gb <= (volume.size_gb or 0):
            raise CloudError(f"New size {size_gb} GB must be greater than {volume.size_gb} GB.")
        self._update(volume_id, size_gb=size_gb)

    def delete_volume(self, project_id, volume_id):
        self._delete("volume", project_id, volume_id)

    def find_snapshot(self, project_id, operation_id):
        return self._find("snapshot", project_id, operation_id)

    def create_snapshot(self, project_id, volume_id, *, name, tags):
        volume = self._require("volume", project_id, volume_id)
        with self._db() as db:
            self._insert(db, "snapshot", project_id, name, tags, size_gb=volume.size_gb)
        return self.find_snapshot(project_id, tags[OP_TAG])

    def delete_snapshot(self, project_id, snapshot_id):
        self._delete("snapshot", project_id, snapshot_id)

    def list_tagged(self):
        with self._db() as db:
            rows = db.execute("SELECT * FROM objects").fetchall()
        found = [self._object(row) for row in rows]
        return [item for item in found if OP_TAG in item.tags]

    # Storage
    def _insert(
        self,
        db,
        kind,
        project_id,
        name,
        tags,
        *,
        size_gb=None,
        flavor=None,
        addresses=(),
        fault=None,
    ):
        object_id = str(uuid.uuid4())
        db.execute(
            "INSERT INTO objects (id, kind, project, name, status, tags, size_gb, flavor, "
            "addresses, fault, ready_at) VALUES (?, ?, ?, ?, 'building', ?, ?, ?, ?, ?, ?)",
            (
                object_id,
                kind,
                project_id,
                name,
                json.dumps(tags),
                size_gb,
                flavor,
                json.dumps(list(addresses)),
                fault,
                time.time() + self.boot_seconds,
            ),
        )
        return self._object(
            db.execute("SELECT * FROM objects WHERE id = ?", (object_id,)).fetchone()
        )

    def _object(self, row):
        status = row["status"]
        if status == "building" and time.time() >= row["ready_at"]:
            status = (
                "error" if row["fault"] else ("active" if row["kind"] == "server" else "available")
            )
        return CloudObject(
            kind=row["kind"],
            id=row["id"],
            name=row["name"],
            status=status,
            tags=json.loads(row["tags"]),
            size_gb=row["size_gb"],
            flavor=row["flavor"],
            addresses=tuple(json.loads(row["addresses"] or "[]")),
            project_id=row["project"],
            fault=row["fault"] if status == "error" else None,
        )

    def _find(self, kind, project_id, operation_id):
        with self._db() as db:
            rows = db.execute(
                "SELECT * FROM objects WHERE kind = ? AND project = ? ORDER BY rowid",
                (kind, project_id),
            ).fetchall()
        for row in rows:
            if json.loads(row["tags"]).get(OP_TAG) == str(operation_id):
                return self._object(row)
        return None

    def _get(self, kind, project_id, object_id):
        with self._db() as db:
            row = db.execute(
                "SELECT * FROM objects WHERE id = ? AND kind = ? AND project = ?",
                (object_id, kind, project_id),
            ).fetchone()
        return self._object(row) if row else None

    def _require(self, kind, project_id, object_id):
        found = self._get(kind, project_id, object_id)
        if found is None:
            raise NotFoundInCloud(f"No {kind} {object_id}.")
        if found.status == "building":
            raise TransientCloudError(f"The {kind} is still being built.")
        return found

    def _wait(self, kind, project_id, object_id, status, timeout):
        deadline = time.monotonic() + timeout
        while True:
            found = self._get(kind, project_id, object_id)
            if found is None:
                raise NotFoundInCloud(f"The {kind} {object_id} disappeared.")
            if found.status == "error":
                raise CloudError(found.fault or f"The {kind} went into error.")
            if found.status == status:
                return found
            if time.monotonic() >= deadline:
                raise TransientCloudError(f"The {kind} is not {status} after {timeout} s.")
            time.sleep(self.poll_interval)

    def _update(self, object_id, **values):
        if not set(values) <= UPDATABLE:
            raise ValueError(f"not updatable: {sorted(set(values) - UPDATABLE)}")
        columns = ", ".join(f"{name} = ?" for name in values)
        sql = f"UPDATE objects SET {columns} WHERE id = ?"  # noqa: S608 (names checked above)
        with self._db() as db:
            db.execute(sql, (*values.values(), object_id))

    def _delete(self, kind, project_id, object_id):
        with self._db() as db:
            db.execute(
                "DELETE FROM objects WHERE id = ? AND kind = ? AND project = ?",
                (object_id, kind, project_id),
            )


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT around a block: check-then-insert is atomic across
    the processes sharing the file."""

    def __init__(self, connection):
        self.connection = connection

    def __enter__(self):
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(self, kind, _value, _traceback):
        self.connection.execute("ROLLBACK" if kind else "COMMIT")
