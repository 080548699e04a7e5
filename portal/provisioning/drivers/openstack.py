"""The OpenStack driver: base.CloudDriver over openstacksdk.

One connection from clouds.yaml (OS_CLIENT_CONFIG_FILE or the standard places) for
the cloud-wide work (projects, quotas, flavours, images, list_tagged), and one
project-scoped connection per agency project for everything made inside it.

Choices the interface leaves open:
- Actions whose target state already holds (start a running server, stop a stopped
  one, resize to the flavour it has, extend to the size it has, attach where it is
  attached, detach or delete what is gone) succeed without calling the cloud, so a
  step that is run again is harmless; one that an earlier attempt began is waited
  for. A state the cloud refuses comes back as CloudError with Nova's or Cinder's
  message (e.g. a soft reboot of a stopped server).
- Servers are booted from their image, not from a volume: on the devcloud Cinder
  cannot build a volume from an image (its fake backend needs sudo for the copy),
  and on a real cloud that copy takes far longer than a boot. `root_disk_gb` is
  therefore recorded by the portal but not applied: the root disk is the flavour's.
- A custom size's flavour (portal/provisioning/flavours.py) is made, public, the
  first time a server is created or resized to it: the portal's account is the
  cloud's admin already (it makes projects and sets their quotas).
- Servers are looked up by operation on Nova's side, by the server tag
  `jiyun_op:<uuid>` (tags filter since compute 2.26, tags at create since 2.52).
  Volumes and snapshots are looked up in the project's list, by their metadata, on
  our side: Cinder can filter by metadata, but for non-admins only where its
  resource_filters.json allows it, and a deployment may not ship that file (the
  devcloud does not: Cinder then answers 400 "Invalid filters").
"""

import threading
import time

import openstack

from portal.provisioning.drivers.base import (
    OP_TAG,
    CloudDriver,
    CloudError,
    CloudObject,
    NotFoundInCloud,
    TransientCloudError,
)
from portal.provisioning.drivers.openstack_errors import translated
from portal.provisioning.drivers.openstack_objects import (
    attached_to,
    block_status,
    oldest,
    server_fault,
    server_object,
    snapshot_object,
    volume_object,
)
from portal.provisioning.drivers.pacing import Paces
from portal.provisioning.flavours import CUSTOM_DISK_GB, custom_flavor_size

PROJECT_PREFIX = "jiyun-"
# Enough to act in the project; the cloud-wide work uses the main connection.
PROJECT_ROLE = "member"
# The portal's quota: Nova's name for it and the factor to its unit.
NOVA_QUOTAS = {"instances": ("instances", 1), "vcpus": ("cores", 1), "ram_gb": ("ram", 1024)}
# The Nova status a wait for a normalized status ends at (None: the server is gone).
NOVA_TARGET = {"active": "ACTIVE", "stopped": "SHUTOFF", "error": "ERROR", "deleted": None}
NotFound = openstack.exceptions.NotFoundException
# Servers per page when listing the whole cloud (list_tagged); the SDK follows the pages.
LIST_PAGE = 50


# Waits look often at first (after the quiet time pacing gives them), then less often,
# but at least every half second: what is ready is seen within that (bench/provision: a
# 2 s cap cost the burst ~1 s a server).
POLL_GROWTH, MAX_POLL_SECONDS = 1.5, 0.5


class OpenStackDriver(CloudDriver):
    name = "openstack"

    def __init__(self, cloud_name, *, network=None, poll_interval=0.05, action_timeout=300.0):
        self.network = network
        self.poll_interval = poll_interval
        # How long the actions that wait (start, stop, resize, delete, attach…) may
        # take before TransientCloudError; wait_* take their timeout from the caller.
        self.action_timeout = action_timeout
        self._conn = self._connect(cloud_name)
        self._lock = threading.Lock()
        self._projects = {}  # project id → its Connection
        self._ids = {}  # ("flavor" | "image" | "network", name) → id
        self._paces = Paces()

    @staticmethod
    @translated
    def _connect(cloud_name):
        return openstack.connect(cloud=cloud_name)

    # Projects
    @translated
    def ensure_project(self, agency_code, quotas):
        identity = self._conn.identity
        access = self._conn.session.auth.get_access(self._conn.session)
        name, domain_id = f"{PROJECT_PREFIX}{agency_code}", access.project_domain_id
        try:
            project = identity.find_project(name, domain_id=domain_id, ignore_missing=False)
        except NotFound:
            try:
                project = identity.create_project(
                    name=name, domain_id=domain_id, description=f"Jiyun agency {agency_code}"
                )
            except openstack.exceptions.ConflictException:
                # Another worker made it between our lookup and our create.
                project = identity.find_project(name, domain_id=domain_id, ignore_missing=False)
        # Granting a role the user has already is a harmless PUT.
        role = identity.find_role(PROJECT_ROLE, ignore_missing=False)
        identity.assign_project_role_to_user(project, access.user_id, role)
        compute = {
            nova: quotas[ours] * scale
            for ours, (nova, scale) in NOVA_QUOTAS.items()
            if quotas.get(ours) is not None
        }
        if compute:
            # force: the portal's quota holds even below what the project uses now.
            self._conn.compute.update_quota_set(project.id, force=True, **compute)
        if quotas.get("disk_gb") is not None:
            self._conn.block_storage.update_quota_set(project.id, gigabytes=quotas["disk_gb"])
        return project.id

    def _in(self, project_id):
        """The connection scoped to the project, made once (it holds the token)."""
        with self._lock:
            conn = self._projects.get(project_id)
            if conn is None:
                conn = self._projects[project_id] = self._conn.connect_as(project_id=project_id)
            return conn

    def _id_of(self, kind, name):
        """A flavour's, image's or network's id by its name; cached, as names stay."""
        key = (kind, name)
        if key not in self._ids:
            finder = {
                "flavor": self._conn.compute.find_flavor,
                "image": self._conn.image.find_image,
                "network": self._conn.network.find_network,
            }[kind]
            try:
                found = finder(name, ignore_missing=False)
            except NotFound:
                found = self._custom_flavor(name) if kind == "flavor" else None
                if found is None:
                    raise CloudError(f"The cloud has no {kind} named {name!r}.") from None
            with self._lock:
                self._ids[key] = found.id
        return self._ids[key]

    def _custom_flavor(self, name):
        """Make the flavour of a custom size (public, so every project sees it), or
        None if `name` is not one; another worker may make it first."""
        size = custom_flavor_size(name)
        if size is None:
            return None
        vcpus, ram_gb = size
        compute = self._conn.compute
        try:
            return compute.create_flavor(
                name=name, vcpus=vcpus, ram=ram_gb * 1024, disk=CUSTOM_DISK_GB, is_public=True
            )
        except openstack.exceptions.ConflictException:
            return compute.find_flavor(name, ignore_missing=False)

    # Servers
    @translated
    def find_server(self, project_id, operation_id):
        servers = self._in(project_id).compute.servers(tags=f"{OP_TAG}:{operation_id}")
        return oldest(servers, server_object, project_id)

    @translated
    def create_server(self, project_id, *, name, flavor, image, root_disk_gb, tags):
        compute = self._in(project_id).compute
        # "auto": Nova takes the one network the project may use (on the devcloud the
        # shared one) or has Neutron make one, and refuses when that is ambiguous.
        networks = [{"uuid": self._id_of("network", self.network)}] if self.network else "auto"
        server = compute.create_server(
            name=name,
            flavor_id=self._id_of("flavor", flavor),
            image_id=self._id_of("image", image),
            networks=networks,
            metadata=dict(tags),
            tags=[f"{OP_TAG}:{tags[OP_TAG]}"],
        )
        # The answer to a create holds little more than the id; the caller waits for
        # the server next, which reads it whole.
        return CloudObject(
            kind="server",
            id=server.id,
            name=name,
            status="building",
            tags=dict(tags),
            flavor=flavor,
            project_id=project_id,
        )

    @translated
    def get_server(self, project_id, server_id):
        try:
            return server_object(self._in(project_id).compute.get_server(server_id))
        except NotFound:
            return None

    @translated
    def wait_server(self, project_id, server_id, status, timeout):
        if status not in NOVA_TARGET:
            raise ValueError(f"cannot wait for a server to be {status!r}")
        server = self._settle(
            self._in(project_id), server_id, NOVA_TARGET[status], timeout, pace=f"server {status}"
        )
        return server_object(server) if server else None

    def _settle(self, conn, server_id, nova_status, timeout=None, *, pace=None):
        """Wait until the server is NOVA_STATUS (None: gone) with no task under way:
        right after a reboot or a resize the old status shows for a moment."""

        def check():
            try:
                server = conn.compute.get_server(server_id)
            except NotFound:
                if nova_status is None:
                    return True, None
                raise NotFoundInCloud(f"Server {server_id} does not exist.") from None
            if nova_status is None and server.status in ("DELETED", "SOFT_DELETED"):
                return True, None
            if server.status == nova_status and not server.task_state:
                return True, server
            # An ERROR server being deleted stays ERROR until it is gone.
            if server.status == "ERROR" and not server.task_state:
                raise CloudError(server_fault(server))
            return False, f"Server {server_id} is {server.status} ({server.task_state})"

        return self._poll(check, timeout, nova_status or "gone", pace)

    def _poll(self, check, timeout, wanted, pace=None):
        """Call CHECK until it answers (True, result), and return the result; it
        answers (False, what the object is now) meanwhile. PACE names the kind of wait,
        whose recent ones say how long to sleep before looking again (pacing)."""
        timeout = timeout or self.action_timeout
        started = time.monotonic()
        quiet = min(self._paces.quiet_for(pace), timeout) if pace else 0.0
        # After the quiet time, often, when a fast cloud is likely done, then less and
        # less, so that long waits of many workers do not load the cloud's APIs.
        interval = self.poll_interval
        not_ready = None  # when the object was last seen not ready, from the start
        resting = quiet > 0  # the quiet time is still to sleep (once, after the first look)
        while True:
            looked = time.monotonic() - started
            done, answer = check()
            if done:
                if pace:
                    self._paces.ready(pace, quiet, not_ready, looked)
                return answer
            not_ready = looked
            elapsed = time.monotonic() - started
            if elapsed >= timeout:
                raise TransientCloudError(f"{answer}, not {wanted}, after {timeout} s.")
            if resting and elapsed < quiet:
                time.sleep(quiet - elapsed)
                resting = False
                continue
            time.sleep(interval)
            interval = min(interval * POLL_GROWTH, MAX_POLL_SECONDS)

    @translated
    def start_server(self, project_id, server_id):
        return self._power(project_id, server_id, "ACTIVE", "start_server")

    @translated
    def stop_server(self, project_id, server_id):
        return self._power(project_id, server_id, "SHUTOFF", "stop_server")

    def _power(self, project_id, server_id, nova_status, action):
        conn = self._in(project_id)
        server = conn.compute.get_server(server_id)
        if server.status != nova_status or server.task_state:
            # Nova refuses what the state forbids (409), saying why; a task under
            # way makes that refusal transient (openstack_errors).
            getattr(conn.compute, action)(server_id)
            server = self._settle(conn, server_id, nova_status, pace=action)
        return server_object(server)

    @translated
    def reboot_server(self, project_id, server_id):
        # Always reboots: no state says "already rebooted".
        conn = self._in(project_id)
        conn.compute.reboot_server(server_id, "SOFT")
        return server_object(self._settle(conn, server_id, "ACTIVE", pace="reboot"))

    @translated
    def resize_server(self, project_id, server_id, flavor):
        conn = self._in(project_id)
        server = conn.compute.get_server(server_id)
        if server.status == "VERIFY_RESIZE" and server.flavor.name != flavor:
            raise CloudError(
                f"Server {server_id} awaits confirmation of a resize to {server.flavor.name},"
                f" not to {flavor}."
            )
        if server.status != "VERIFY_RESIZE":  # else an earlier attempt got that far
            if server.flavor.name == flavor and not server.task_state:
                return server_object(server)
            conn.compute.resize_server(server_id, self._id_of("flavor", flavor))
            self._settle(conn, server_id, "VERIFY_RESIZE", pace="resize")
        conn.compute.confirm_server_resize(server_id)
        # A server resized while stopped stays stopped.
        final = "SHUTOFF" if server.status == "SHUTOFF" else "ACTIVE"
        return server_object(self._settle(conn, server_id, final, pace="confirm resize"))

    @translated
    def delete_server(self, project_id, server_id):
        conn = self._in(project_id)
        conn.compute.delete_server(server_id, ignore_missing=True)
        self._settle(conn, server_id, None, pace="server deleted")

    # Volumes and snapshots
    @translated
    def find_volume(self, project_id, operation_id):
        volumes = self._in(project_id).block_storage.volumes()
        return oldest(_tagged(volumes, operation_id), volume_object, project_id)

    @translated
    def create_volume(self, project_id, *, name, size_gb, tags, volume_type=None):
        block_storage = self._in(project_id).block_storage
        typed = {"volume_type": volume_type} if volume_type else {}
        volume = block_storage.create_volume(name=name, size=size_gb, metadata=dict(tags), **typed)
        return volume_object(volume, project_id)

    @translated
    def get_volume(self, project_id, volume_id):
        try:
            volume = self._in(project_id).block_storage.get_volume(volume_id)
            return volume_object(volume, project_id)
        except NotFound:
            return None

    @translated
    def wait_volume(self, project_id, volume_id, status, timeout):
        return self._wait_block(project_id, "volume", volume_id, status, timeout)

    def _wait_block(self, project_id, kind, item_id, status, timeout=None, *, size_gb=0):
        """Wait until the volume or snapshot is STATUS (normalized; "deleted": gone)
        and at least SIZE_GB large: an extend shows in the size before the status."""
        block_storage = self._in(project_id).block_storage
        get, convert = {
            "volume": (block_storage.get_volume, volume_object),
            "snapshot": (block_storage.get_snapshot, snapshot_object),
        }[kind]

        def check():
            try:
                item = convert(get(item_id), project_id)
            except NotFound:
                if status == "deleted":
                    return True, None
                raise NotFoundInCloud(f"The {kind} {item_id} does not exist.") from None
            if item.status == "error":
                raise CloudError(item.fault)
            # "deleting" reads as deleted; a wait for "deleted" waits until it is gone.
            done = item.status == status != "deleted" and item.size_gb >= size_gb
            return done, item if done else f"The {kind} {item_id} is {item.status}"

        return self._poll(check, timeout, status, pace=f"{kind} {status}")

    @translated
    def attach_volume(self, project_id, server_id, volume_id):
        conn = self._in(project_id)
        volume = conn.block_storage.get_volume(volume_id)
        if volume.status == "available":
            conn.compute.create_volume_attachment(server_id, volume=volume_id)
        elif volume.status == "in-use" and server_id not in attached_to(volume):
            raise CloudError(f"Volume {volume_id} is attached to another server.")
        elif block_status(volume.status) == "building" and volume.status not in (
            "attaching",
            "reserved",  # these two: an earlier attempt is under way, so wait for it
        ):
            raise TransientCloudError(f"Volume {volume_id} is {volume.status}, not available.")
        return self._wait_block(project_id, "volume", volume_id, "in-use")

    @translated
    def detach_volume(self, project_id, server_id, volume_id):
        conn = self._in(project_id)
        volume = conn.block_storage.get_volume(volume_id)
        if server_id not in attached_to(volume):
            return volume_object(volume, project_id)
        if volume.status != "detaching":  # else an earlier attempt began it
            conn.compute.delete_volume_attachment(server_id, volume_id, ignore_missing=True)
        return self._wait_block(project_id, "volume", volume_id, "available")

    @translated
    def extend_volume(self, project_id, volume_id, size_gb):
        conn = self._in(project_id)
        volume = conn.block_storage.get_volume(volume_id)
        if volume.size > size_gb:
            raise CloudError(f"Volume {volume_id} is {volume.size} GB: it cannot shrink.")
        servers = attached_to(volume)
        # Cinder says done before Nova's compute has taken an attached volume's new
        # size in, and a detach before then pulls the attachment from under it: so
        # wait for a new extend_volume action (for one we issue) or for all of them.
        seen = dict.fromkeys(servers, -1)
        if volume.size < size_gb and volume.status != "extending":
            seen = {server_id: len(self._extends(server_id)) for server_id in servers}
            conn.block_storage.extend_volume(volume_id, size_gb)
        target = "in-use" if servers else "available"
        extended = self._wait_block(project_id, "volume", volume_id, target, size_gb=size_gb)
        for server_id, before in seen.items():

            def check(server_id=server_id, before=before):
                done = self._extends(server_id)
                return len(done) > before and all(done), f"Nova's extends on {server_id}: {done}"

            self._poll(check, None, "all finished")
        return extended

    def _extends(self, server_id):
        """For each extend_volume action Nova has on the server, whether it has
        finished. Through the main connection: Nova shows action events to admins."""
        compute = self._conn.compute
        return [
            all(
                event.finish_time
                for event in compute.get_server_action(action.request_id, server_id).events
            )
            for action in compute.server_actions(server_id)
            if action.action == "extend_volume"
        ]

    @translated
    def delete_volume(self, project_id, volume_id):
        conn = self._in(project_id)
        volume = self.get_volume(project_id, volume_id)
        if volume is not None and volume.status != "deleted":  # i.e. not deleting already
            conn.block_storage.delete_volume(volume_id, ignore_missing=True)
        self._wait_block(project_id, "volume", volume_id, "deleted")

    @translated
    def find_snapshot(self, project_id, operation_id):
        snapshots = self._in(project_id).block_storage.snapshots()
        return oldest(_tagged(snapshots, operation_id), snapshot_object, project_id)

    @translated
    def create_snapshot(self, project_id, volume_id, *, name, tags):
        block_storage = self._in(project_id).block_storage
        # force: an attached volume is snapshotted too (crash-consistent), as Cinder
        # does unasked from 3.66 on; the SDK speaks 3.65 for snapshots.
        made = block_storage.create_snapshot(
            volume_id=volume_id, name=name, metadata=dict(tags), is_forced=True
        )
        return self._wait_block(project_id, "snapshot", made.id, "available")

    @translated
    def delete_snapshot(self, project_id, snapshot_id):
        block_storage = self._in(project_id).block_storage
        block_storage.delete_snapshot(snapshot_id, ignore_missing=True)
        self._wait_block(project_id, "snapshot", snapshot_id, "deleted")

    # Reconciliation
    @translated
    def list_tagged(self):
        # No filter finds "has the key, with any value" on the server side: list
        # everything the admin sees and keep what carries the tag.
        conn = self._conn
        # In pages: for each page Nova asks Neutron for the ports of all its servers in
        # one GET, and a page of a few hundred overflows Neutron's request line (Nova
        # answers 500 "URI Too Long"; seen on the devcloud with ~160 servers).
        servers = conn.compute.servers(all_projects=True, limit=LIST_PAGE)
        found = [server_object(s) for s in servers]
        found += [volume_object(v) for v in conn.block_storage.volumes(all_projects=True)]
        found += [snapshot_object(s) for s in conn.block_storage.snapshots(all_projects=True)]
        return [item for item in found if OP_TAG in item.tags]


def _tagged(items, operation_id):
    return [item for item in items if (item.metadata or {}).get(OP_TAG) == str(operation_id)]
