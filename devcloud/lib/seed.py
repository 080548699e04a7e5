"""Seed the devcloud through its own APIs: find each thing, create it if absent.

    seed.py identity    service role, project and users; the service catalog
    seed.py all         that, then flavours, volume types, images, shared network, the
                        portal's account, and var/clouds.yaml

devcloud/up runs it with the devcloud venv's python (`all` on every run: on
a seeded cloud it only looks things up and changes nothing). Settings come from
the environment (lib/common.sh, var/state/secrets.env).
"""

import os
import pathlib
import sys
import time

import openstack
import yaml

ENV = os.environ
KEYSTONE = f"http://{ENV['HOST']}:{ENV['PORT_KEYSTONE']}/v3"

# user and service name, service type, port, path of the endpoint
SERVICES = [
    ("placement", "placement", ENV["PORT_PLACEMENT"], ""),
    ("glance", "image", ENV["PORT_GLANCE"], ""),
    ("neutron", "network", ENV["PORT_NEUTRON"], ""),
    ("nova", "compute", ENV["PORT_NOVA"], "/v2.1"),
    ("cinder", "block-storage", ENV["PORT_CINDER"], "/v3"),
]
# The portal catalog's sizes: name, vCPUs, RAM in MB, disk in GB.
FLAVORS = [
    ("jy.small", 1, 2048, 20),
    ("jy.medium", 2, 4096, 40),
    ("jy.large", 4, 8192, 80),
]
# The portal catalog's volume types (volume.yaml), both on the one fake backend.
VOLUME_TYPES = ["jy-standard", "jy-ssd"]
# The portal catalog's VM images, all the same tiny content as cirros-tiny.
IMAGES = ["cirros-tiny", "kylin-v10", "uos-20", "ubuntu-22.04"]
NETWORK, SUBNET = "jiyun-shared", "jiyun-shared-subnet"
# Benchmarking range (RFC 2544): no packet ever leaves the fake hypervisor.
SUBNET_CIDR = "198.18.0.0/20"
PHYSNET = "devcloud"  # ml2_conf.ini flat_networks
PORTAL_PROJECT, PORTAL_USER = "jiyun-service", "jiyun-portal"


def auth(user, password, project):
    return {
        "auth_url": KEYSTONE,
        "username": user,
        "password": password,
        "project_name": project,
        "user_domain_name": "Default",
        "project_domain_name": "Default",
    }


def connect_admin():
    return openstack.connect(
        auth=auth("admin", ENV["ADMIN_PASSWORD"], "admin"),
        region_name=ENV["REGION"],
        interface="public",
        identity_api_version="3",
        load_yaml_config=False,
        load_envvars=False,
    )


def say(what):
    seconds = int(time.time()) - int(ENV.get("DEVCLOUD_STARTED", time.time()))
    print(f"devcloud [{seconds:3d}s] seed: {what}", file=sys.stderr)


class Identity:
    """Keystone's projects, roles, users and catalog, each listed once:
    on a seeded cloud up runs this every time, and Keystone is slow when
    the machine is busy, so lookups are few and bulk."""

    def __init__(self, conn):
        self.conn = conn
        self.roles = {r.name: r for r in conn.identity.roles()}
        self.users = {u.name: u for u in conn.identity.users(domain_id="default")}

    def project(self, name, description):
        project = self.conn.identity.find_project(name, domain_id="default")
        if project is None:
            say(f"project {name}")
            project = self.conn.identity.create_project(
                name=name, domain_id="default", description=description
            )
        return project

    def role(self, name):
        if name not in self.roles:
            say(f"role {name}")
            self.roles[name] = self.conn.identity.create_role(name=name)
        return self.roles[name]

    def users_with_roles(self, project, users, roles):
        """Make USERS ({name: password}) and give each ROLES on PROJECT."""
        granted = {
            (a.user["id"], a.role["id"])
            for a in self.conn.identity.role_assignments(scope_project_id=project.id)
        }
        for name, password in users.items():
            user = self.users.get(name)
            if user is None:
                say(f"user {name}")
                user = self.users[name] = self.conn.identity.create_user(
                    name=name, password=password, domain_id="default", default_project_id=project.id
                )
            for role in map(self.role, roles):
                if (user.id, role.id) not in granted:
                    self.conn.identity.assign_project_role_to_user(project, user, role)

    def endpoints(self, wanted):
        """Make the catalog entries WANTED: {(name, type): url}."""
        services = {s.type: s for s in self.conn.identity.services()}
        have = {(e.service_id, e.interface) for e in self.conn.identity.endpoints()}
        for (name, service_type), url in wanted.items():
            service = services.get(service_type)
            if service is None:
                say(f"service {service_type}")
                service = self.conn.identity.create_service(name=name, type=service_type)
            for interface in ("public", "internal", "admin"):
                if (service.id, interface) not in have:
                    self.conn.identity.create_endpoint(
                        service_id=service.id, interface=interface, url=url, region_id=ENV["REGION"]
                    )


def seed_identity(identity):
    project = identity.project("service", "OpenStack services")
    # `service` lets Nova's and Cinder's service tokens through (Neutron
    # deletes a server's ports only then); admin is what a test cloud needs.
    identity.users_with_roles(
        project, {user: ENV["SERVICE_PASSWORD"] for user, *_ in SERVICES}, ["admin", "service"]
    )
    identity.endpoints(
        {
            (user, service_type): f"http://{ENV['HOST']}:{port}{path}"
            for user, service_type, port, path in SERVICES
        }
    )


def seed_flavors(conn):
    for name, vcpus, ram, disk in FLAVORS:
        flavor = conn.compute.find_flavor(name)
        if flavor is None:
            say(f"flavor {name}")
            conn.compute.create_flavor(name=name, vcpus=vcpus, ram=ram, disk=disk, is_public=True)
        elif (flavor.vcpus, flavor.ram, flavor.disk) != (vcpus, ram, disk):
            sys.exit(f"flavor {name} exists with other sizes: delete it first")


def seed_volume_types(conn):
    have = {volume_type.name for volume_type in conn.block_storage.types()}
    for name in VOLUME_TYPES:
        if name not in have:
            say(f"volume type {name}")
            conn.block_storage.create_type(name=name, is_public=True)


def seed_images(conn):
    have = {image.name for image in conn.image.images()}
    for name in IMAGES:
        if name not in have:
            seed_image(conn, name)


def seed_image(conn, name):
    # 1 MiB of zeros is a valid raw disk, and the fake driver never reads it.
    path = pathlib.Path(ENV["DATA"]) / f"{name}.raw"
    path.write_bytes(bytes(1 << 20))
    say(f"image {name}")
    conn.image.create_image(
        name,
        filename=str(path),
        disk_format="raw",
        container_format="bare",
        visibility="public",
        wait=True,
    )
    path.unlink()


def seed_network(conn):
    network = conn.network.find_network(NETWORK)
    if network is None:
        say(f"network {NETWORK}")
        network = conn.network.create_network(
            name=NETWORK,
            is_shared=True,
            provider_network_type="flat",
            provider_physical_network=PHYSNET,
        )
    if conn.network.find_subnet(SUBNET) is None:
        # No DHCP agent runs: addresses come from Neutron's IPAM alone.
        conn.network.create_subnet(
            name=SUBNET,
            network_id=network.id,
            ip_version=4,
            cidr=SUBNET_CIDR,
            is_dhcp_enabled=False,
        )


def seed_portal_account(identity):
    project = identity.project(PORTAL_PROJECT, "Jiyun portal service account")
    # Admin, since the portal creates agencies' projects and sets their
    # quotas: acceptable in a test cloud, too broad for a real one.
    identity.users_with_roles(project, {PORTAL_USER: ENV["PORTAL_PASSWORD"]}, ["admin", "member"])


def write_clouds_yaml():
    def cloud(user, password, project):
        return {
            "auth": auth(user, password, project),
            "region_name": ENV["REGION"],
            "interface": "public",
            "identity_api_version": 3,
        }

    clouds = {
        "clouds": {
            "devcloud": cloud(PORTAL_USER, ENV["PORTAL_PASSWORD"], PORTAL_PROJECT),
            "devcloud-admin": cloud("admin", ENV["ADMIN_PASSWORD"], "admin"),
        }
    }
    text = "# Written by devcloud/up: the devcloud's accounts.\n"
    text += yaml.safe_dump(clouds, sort_keys=False)
    path = pathlib.Path(ENV["VAR"]) / "clouds.yaml"
    if path.exists() and path.read_text() == text:
        return
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.chmod(0o600)
    tmp.replace(path)


def main(step):
    if step not in ("identity", "all"):
        sys.exit(__doc__)
    conn = connect_admin()
    identity = Identity(conn)
    seed_identity(identity)
    if step == "all":
        seed_flavors(conn)
        seed_volume_types(conn)
        seed_images(conn)
        seed_network(conn)
        seed_portal_account(identity)
        write_clouds_yaml()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "")
