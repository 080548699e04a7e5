"""What the provisioning engine asks of a cloud, whatever cloud it is.

Every object a driver creates carries the portal's tags (`jiyun_op`, the operation
that made it, and `jiyun_agency`), and every create has a `find_*` twin that looks
the object up by those tags: a step that is run again adopts what an earlier attempt
made instead of making a second one. Objects are returned as plain records, so the
engine never holds an SDK object across a commit.

Errors: `TransientCloudError` means "try again later" (the cloud is away, busy or
timed out); `CloudError` is permanent (bad flavour, over the cloud's quota, a fault
the cloud reports) and carries the cloud's own message for the timeline.
"""

from dataclasses import dataclass, field

OP_TAG = "jiyun_op"
AGENCY_TAG = "jiyun_agency"


class CloudError(Exception):
    """A permanent failure: retrying the same call will not help."""


class TransientCloudError(CloudError):
    """The cloud could not answer now; the same call may succeed later."""


class NotFoundInCloud(CloudError):
    """The object the call names does not exist (any more)."""


@dataclass(frozen=True)
class CloudObject:
    kind: str  # "server" | "volume" | "snapshot"
    id: str
    name: str
    status: str  # normalized: building, active, stopped, available, in-use, error, deleted
    tags: dict = field(default_factory=dict)
    size_gb: int | None = None
    flavor: str | None = None
    addresses: tuple = ()
    project_id: str | None = None
    fault: str | None = None  # the cloud's reason when status is "error"

    @property
    def operation_id(self):
        return self.tags.get(OP_TAG)


def tags_for(operation_id, agency_id):
    return {OP_TAG: str(operation_id), AGENCY_TAG: str(agency_id)}


class CloudDriver:
    """The interface; `openstack` and `simulated` implement it.

    Waits (`wait_*`) poll until the object reaches a status or `timeout` seconds pass
    (then TransientCloudError), and raise CloudError with the cloud's fault when the
    object goes to error.
    """

    name = "base"

    # Projects: each agency has its own, with its quotas.
    def ensure_project(self, agency_code, quotas):
        """Find or create the agency's project, set its quotas; return the project id."""
        raise NotImplementedError

    # Servers
    def find_server(self, project_id, operation_id):
        raise NotImplementedError

    def create_server(self, project_id, *, name, flavor, image, root_disk_gb, tags):
        raise NotImplementedError

    def get_server(self, project_id, server_id):
        """The server, or None if it does not exist."""
        raise NotImplementedError

    def wait_server(self, project_id, server_id, status, timeout):
        raise NotImplementedError

    def start_server(self, project_id, server_id):
        raise NotImplementedError

    def stop_server(self, project_id, server_id):
        raise NotImplementedError

    def reboot_server(self, project_id, server_id):
        raise NotImplementedError

    def resize_server(self, project_id, server_id, flavor):
        """Resize and confirm; returns when the server runs on the new flavour."""
        raise NotImplementedError

    def delete_server(self, project_id, server_id):
        """Delete and wait until gone; deleting a missing server is not an error."""
        raise NotImplementedError

    # Volumes and snapshots
    def find_volume(self, project_id, operation_id):
        raise NotImplementedError

    def create_volume(self, project_id, *, name, size_gb, tags, volume_type=None):
        """Create a volume of the named type (the cloud's default type if None)."""
        raise NotImplementedError

    def get_volume(self, project_id, volume_id):
        raise NotImplementedError

    def wait_volume(self, project_id, volume_id, status, timeout):
        raise NotImplementedError

    def attach_volume(self, project_id, server_id, volume_id):
        """Attach (a no-op if already attached to that server) and wait for in-use."""
        raise NotImplementedError

    def detach_volume(self, project_id, server_id, volume_id):
        raise NotImplementedError

    def extend_volume(self, project_id, volume_id, size_gb):
        raise NotImplementedError

    def delete_volume(self, project_id, volume_id):
        """Delete and wait until gone; deleting a missing volume is not an error."""
        raise NotImplementedError

    def find_snapshot(self, project_id, operation_id):
        raise NotImplementedError

    def create_snapshot(self, project_id, volume_id, *, name, tags):
        """A snapshot of a volume, waited for until available."""
        raise NotImplementedError

    def delete_snapshot(self, project_id, snapshot_id):
        raise NotImplementedError

    # Reconciliation
    def list_tagged(self):
        """Every server, volume and snapshot carrying an `OP_TAG`, in all projects."""
        raise NotImplementedError
