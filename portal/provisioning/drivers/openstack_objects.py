"""openstacksdk's servers, volumes and snapshots as the interface's CloudObjects, with
their statuses normalized (base.CloudObject.status)."""

from portal.provisioning.drivers.base import CloudObject

SERVER_STATUS = {
    "ACTIVE": "active",
    "SHUTOFF": "stopped",
    "PAUSED": "stopped",
    "SUSPENDED": "stopped",
    "SHELVED": "stopped",
    "SHELVED_OFFLOADED": "stopped",
    "ERROR": "error",
    "UNKNOWN": "error",  # its compute host does not answer
    "DELETED": "deleted",
    "SOFT_DELETED": "deleted",
}  # the rest (BUILD, REBUILD, REBOOT, RESIZE, VERIFY_RESIZE, MIGRATING…) is building
BLOCK_STATUS = {
    "available": "available",
    "in-use": "in-use",
    "deleting": "deleted",  # on its way out, irreversibly
}  # error… is error; the rest (creating, attaching, extending…) is building


def oldest(items, convert, project_id):
    """The oldest of ITEMS, converted, or None. There is never more than one: every
    create is preceded by this lookup. If a race made two anyway, the oldest is the
    one every retry adopts, and the reconciler reports the other."""
    items = sorted(items, key=lambda item: item.created_at or "")
    return convert(items[0], project_id) if items else None


def server_fault(server):
    fault = server.fault or {}
    return fault.get("message") or f"Nova reports server {server.id} as {server.status}."


def attached_to(volume):
    """The ids of the servers the volume is attached to."""
    return {attachment["server_id"] for attachment in volume.attachments or ()}


def block_status(raw):
    return "error" if raw.startswith("error") else BLOCK_STATUS.get(raw, "building")


def server_object(server, project_id=None):
    status = SERVER_STATUS.get(server.status, "building")
    return CloudObject(
        kind="server",
        id=server.id,
        name=server.name,
        status=status,
        tags=dict(server.metadata or {}),
        # Booted from the image: the root disk is the flavour's.
        size_gb=server.flavor.disk if server.flavor else None,
        flavor=server.flavor.name if server.flavor else None,
        addresses=tuple(
            address["addr"]
            for addresses in (server.addresses or {}).values()
            for address in addresses
        ),
        project_id=server.project_id or project_id,
        fault=server_fault(server) if status == "error" else None,
    )


# Cinder shows a volume's or snapshot's project to admins only: PROJECT_ID, the
# project it was looked up in, stands in for it.
def volume_object(volume, project_id=None):
    return _block_object("volume", volume, project_id)


def snapshot_object(snapshot, project_id=None):
    return _block_object("snapshot", snapshot, project_id)


def _block_object(kind, item, project_id):
    status = block_status(item.status)
    return CloudObject(
        kind=kind,
        id=item.id,
        name=item.name,
        status=status,
        tags=dict(item.metadata or {}),
        size_gb=item.size,
        project_id=item.project_id or project_id,
        # Cinder keeps the reason in its logs and user messages, not on the object.
        fault=f"Cinder reports {kind} {item.id} as {item.status}." if status == "error" else None,
    )
