"""What each step action does, and how it is undone.

A handler gets a StepContext and returns the step's result (plain, non-secret data
the later steps and the inventory use). Handlers are written to be run again: each
create looks for the object tagged with the operation first and adopts it, each
power action is a no-op when the server is already there. `undo` is the saga's
compensation: it must also work when the step never finished (it finds by tag).
"""

from contextlib import suppress
from dataclasses import dataclass, field

from sqlalchemy.engine import make_url

from portal.provisioning.drivers.base import CloudError, NotFoundInCloud, tags_for


class StepFailed(CloudError):
    """A permanent failure of a step that is not the cloud's (a playbook failed)."""


@dataclass
class StepContext:
    operation_id: str
    agency_id: int
    spec: dict
    driver: object
    run_playbook: object
    config: dict
    results: dict = field(default_factory=dict)
    secret: str | None = None
    emit: object = None  # emit(kind, message): a line on the live timeline
    agency_quotas: object = None  # agency_quotas(): the agency's {resource: limit} now
    # The step's first run: nothing can have been made yet, so nothing to look up.
    first_attempt: bool = False

    @property
    def project_id(self):
        project = self.results.get("prepare_project", {}).get("project_id")
        return project or self.spec.get("project_id")

    @property
    def tags(self):
        return tags_for(self.operation_id, self.agency_id)

    @property
    def wait(self):
        return self.config["PROVISION_WAIT_SECONDS"]


def _server_id(ctx):
    return ctx.results.get("create_server", {}).get("server_id") or ctx.spec.get("server_id")


def _volume_id(ctx):
    for name in ("create_volume", "create_data_volume"):
        if volume_id := ctx.results.get(name, {}).get("volume_id"):
            return volume_id
    return ctx.spec.get("volume_id")


# Provisioning
def prepare_project(ctx, _params):
    # Made (with the quotas the agency has then) for its first resource and remembered
    # on the agency; a quota change is pushed to the cloud when it is made (tenancy).
    if ctx.spec.get("project_id"):
        return {"project_id": ctx.spec["project_id"]}
    return {"project_id": ctx.driver.ensure_project(ctx.spec["agency_code"], ctx.agency_quotas())}


def create_server(ctx, _params):
    server = None if ctx.first_attempt else ctx.driver.find_server(ctx.project_id, ctx.operation_id)
    if server is None:
        server = ctx.driver.create_server(
            ctx.project_id,
            name=ctx.spec["name"],
            flavor=ctx.spec["cloud_flavor"],
            image=ctx.spec["cloud_image"],
            root_disk_gb=ctx.spec["root_disk_gb"],
            tags=ctx.tags,
        )
    else:
        ctx.emit("adopted", f"server {server.id}")
    server = ctx.driver.wait_server(ctx.project_id, server.id, "active", ctx.wait)
    return {"server_id": server.id, "addresses": list(server.addresses), "flavor": server.flavor}


def undo_create_server(ctx, _params):
    server = ctx.driver.find_server(ctx.project_id, ctx.operation_id)
    if server is not None:
        ctx.driver.delete_server(ctx.project_id, server.id)


def create_volume(ctx, params):
    volume = None if ctx.first_attempt else ctx.driver.find_volume(ctx.project_id, ctx.operation_id)
    if volume is None:
        volume = ctx.driver.create_volume(
            ctx.project_id,
            name=f"{ctx.spec['name']}{params.get('name_suffix', '')}",
            size_gb=ctx.spec[params.get("size_from", "size_gb")],
            tags=ctx.tags,
            # A VM's data volume has no type of its own: the cloud's default.
            volume_type=ctx.spec.get("cloud_volume_type"),
        )
    else:
        ctx.emit("adopted", f"volume {volume.id}")
    volume = ctx.driver.wait_volume(ctx.project_id, volume.id, "available", ctx.wait)
    return {"volume_id": volume.id, "size_gb": volume.size_gb}


def _remove_volume(ctx, volume):
    """Detach the volume from the resource's server if attached, then delete it."""
    if volume is None:
        return
    if volume.status == "in-use" and _server_id(ctx):
        ctx.driver.detach_volume(ctx.project_id, _server_id(ctx), volume.id)
    ctx.driver.delete_volume(ctx.project_id, volume.id)


def undo_create_volume(ctx, _params):
    _remove_volume(ctx, ctx.driver.find_volume(ctx.project_id, ctx.operation_id))


def attach_volume(ctx, _params):
    ctx.driver.attach_volume(ctx.project_id, _server_id(ctx), _volume_id(ctx))
    return {}


def undo_attach_volume(ctx, _params):
    with suppress(NotFoundInCloud):  # gone already: nothing is attached
        ctx.driver.detach_volume(ctx.project_id, _server_id(ctx), _volume_id(ctx))


def _managed_server(ctx, playbook):
    setting = MANAGED_SERVERS[playbook]
    url = ctx.config.get(setting)
    if not url:
        raise StepFailed(f"No managed database server is configured (JIYUN_{setting}).")
    server = make_url(url)
    extravars = {
        "db_host": server.host or "127.0.0.1",
        "db_port": server.port or DEFAULT_PORTS[playbook],
    }
    if server.username:  # else the playbook's default administrator
        extravars["db_admin_user"] = server.username
    secrets = {"db_admin_password": server.password} if server.password else {}
    return extravars, secrets


MANAGED_SERVERS = {
    "database_postgresql.yml": "MANAGED_POSTGRES_URL",
    "database_mysql.yml": "MANAGED_MYSQL_URL",
}
DEFAULT_PORTS = {"database_postgresql.yml": 5432, "database_mysql.yml": 3306}


def _playbook_vars(ctx, playbook, state):
    extravars = {"state": state, "operation_id": ctx.operation_id}
    secrets = {}
    if playbook in MANAGED_SERVERS:
        extravars, secrets = _managed_server(ctx, playbook)
        extravars.update(
            state=state,
            db_name=ctx.spec["db_name"],
            db_owner=ctx.spec["db_owner"],
        )
        if state == "present":
            secrets["db_password"] = ctx.secret
    elif playbook == "vm_post_boot.yml":
        server = ctx.results.get("create_server", {})
        extravars.update(
            managed_hosts_dir=ctx.config["MANAGED_HOSTS_DIR"],
            hostname=ctx.spec["name"],
            server_id=server.get("server_id") or ctx.spec.get("server_id"),
            addresses=server.get("addresses") or ctx.spec.get("addresses", []),
            agency=ctx.spec["agency_code"],
            sla_tier=ctx.spec["sla_tier"],
        )
    return extravars, secrets


def _run(ctx, playbook, state, ident):
    extravars, secrets = _playbook_vars(ctx, playbook, state)

    def stream(event):
        status = "failed" if event.get("failed") else ("changed" if event.get("changed") else "ok")
        ctx.emit("ansible", f"{event.get('task')}: {status}" + _suffix(event.get("msg")))

    result = ctx.run_playbook(
        playbook,
        ident=ident,
        base_dir=ctx.config["ANSIBLE_DIR"],
        extravars=extravars,
        secrets=secrets,
        on_event=stream,
        timeout=ctx.config["PROVISION_WAIT_SECONDS"],
    )
    if result.status != "successful":
        raise StepFailed(result.failure or f"The playbook {playbook} ended {result.status}.")
    return result.outputs


def _suffix(message):
    return f" ({message})" if message else ""


def run_playbook(ctx, params):
    return _run(ctx, params["playbook"], "present", ctx.operation_id)


def undo_run_playbook(ctx, params):
    _run(ctx, params["playbook"], "absent", f"{ctx.operation_id}-undo")


# Day-2 actions on an existing resource (its ids come in the spec)
def start_server(ctx, _params):
    if ctx.driver.get_server(ctx.project_id, _server_id(ctx)).status != "active":
        ctx.driver.start_server(ctx.project_id, _server_id(ctx))
    return {}


def stop_server(ctx, _params):
    if ctx.driver.get_server(ctx.project_id, _server_id(ctx)).status != "stopped":
        ctx.driver.stop_server(ctx.project_id, _server_id(ctx))
    return {}


def reboot_server(ctx, _params):
    ctx.driver.reboot_server(ctx.project_id, _server_id(ctx))
    return {}


def resize_server(ctx, _params):
    server = ctx.driver.get_server(ctx.project_id, _server_id(ctx))
    if server.flavor != ctx.spec["cloud_flavor"]:
        ctx.driver.resize_server(ctx.project_id, server.id, ctx.spec["cloud_flavor"])
    return {"flavor": ctx.spec["cloud_flavor"]}


def extend_volume(ctx, _params):
    volume = ctx.driver.get_volume(ctx.project_id, _volume_id(ctx))
    if (volume.size_gb or 0) < ctx.spec["new_size_gb"]:
        ctx.driver.extend_volume(ctx.project_id, volume.id, ctx.spec["new_size_gb"])
    return {"size_gb": ctx.spec["new_size_gb"]}


def create_snapshot(ctx, _params):
    snapshot = ctx.driver.find_snapshot(ctx.project_id, ctx.operation_id)
    if snapshot is None:
        snapshot = ctx.driver.create_snapshot(
            ctx.project_id, _volume_id(ctx), name=ctx.spec["snapshot_name"], tags=ctx.tags
        )
    return {"snapshot_id": snapshot.id, "size_gb": snapshot.size_gb}


def delete_server(ctx, _params):
    ctx.driver.delete_server(ctx.project_id, _server_id(ctx))
    return {}


def delete_volume(ctx, _params):
    _remove_volume(ctx, ctx.driver.get_volume(ctx.project_id, _volume_id(ctx)))
    return {}


def remove_with_playbook(ctx, params):
    _run(ctx, params["playbook"], "absent", ctx.operation_id)
    return {}


def _nothing_to_undo(_ctx, _params):
    return None


# action: (do, undo)
HANDLERS = {
    "cloud.prepare_project": (prepare_project, _nothing_to_undo),
    "cloud.create_server": (create_server, undo_create_server),
    "cloud.create_volume": (create_volume, undo_create_volume),
    "cloud.attach_volume": (attach_volume, undo_attach_volume),
    "ansible.playbook": (run_playbook, undo_run_playbook),
    "cloud.start_server": (start_server, _nothing_to_undo),
    "cloud.stop_server": (stop_server, _nothing_to_undo),
    "cloud.reboot_server": (reboot_server, _nothing_to_undo),
    "cloud.resize_server": (resize_server, _nothing_to_undo),
    "cloud.extend_volume": (extend_volume, _nothing_to_undo),
    "cloud.create_snapshot": (create_snapshot, _nothing_to_undo),
    "cloud.delete_server": (delete_server, _nothing_to_undo),
    "cloud.delete_volume": (delete_volume, _nothing_to_undo),
    "ansible.remove": (remove_with_playbook, _nothing_to_undo),
}
