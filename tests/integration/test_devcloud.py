"""The devcloud (devcloud/up): a real OpenStack on 127.0.0.1, driven through
openstacksdk the way the portal drives it.

Every test here needs the devcloud running and is skipped, with the reason,
when it is not: run devcloud/up first. The last test, the restart one,
stops and restarts the whole cloud; it leaves it running as it found it, so
other integration tests can follow it, but nothing else may use the cloud
while it runs. Leave it out with `-k "not restart"`.
"""

import pathlib
import subprocess
import time
import uuid

import pytest

openstack = pytest.importorskip("openstack", reason="openstacksdk is not installed")
from keystoneauth1 import exceptions as ks_exceptions  # noqa: E402  (after importorskip)

pytestmark = pytest.mark.devcloud

DEVCLOUD = pathlib.Path(__file__).resolve().parents[2] / "devcloud"
CLOUDS_YAML = DEVCLOUD / "var" / "clouds.yaml"
NOT_RUNNING = "devcloud is not running: run devcloud/up"
FLAVORS = {"jy.small": (1, 2048, 20), "jy.medium": (2, 4096, 40), "jy.large": (4, 8192, 80)}
TIMEOUT = 120  # seconds for any one state change; they take about one


def connect(cloud_name):
    """A Connection to a cloud of devcloud/var/clouds.yaml, or skip."""
    if not CLOUDS_YAML.exists():
        pytest.skip(NOT_RUNNING)
    config = openstack.config.OpenStackConfig(config_files=[str(CLOUDS_YAML)])
    conn = openstack.connection.Connection(config=config.get_one(cloud=cloud_name))
    try:
        conn.session.get_token()  # not authorize(): it hides why it failed
    except ks_exceptions.ConnectionError:
        pytest.skip(NOT_RUNNING)  # nothing answers; a refused login fails
    return conn


@pytest.fixture(scope="module")
def cloud():
    """The portal's account (cloud `devcloud`), in project jiyun-service."""
    conn = connect("devcloud")
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def seed(cloud):
    image = cloud.image.find_image("cirros-tiny", ignore_missing=False)
    flavor = cloud.compute.find_flavor("jy.small", ignore_missing=False)
    network = cloud.network.find_network("jiyun-shared", ignore_missing=False)
    return image, flavor, network


def wait_settled(conn, server, status):
    """Wait for STATUS with no task under way: right after a reboot or a
    resize the status alone is still the old one for a moment."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        server = conn.compute.get_server(server)
        if server.status == "ERROR":
            pytest.fail(f"server {server.name} went to ERROR: {server.fault}")
        if server.status == status and not server.task_state:
            return server
        time.sleep(0.2)
    pytest.fail(f"server {server.name} is {server.status}/{server.task_state}, not {status}")


def wait_action_done(conn, server, action_name):
    """Wait until Nova has finished every event of the server's action."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for action in conn.compute.server_actions(server):
            if action.action == action_name:
                events = conn.compute.get_server_action(action.request_id, server).events
                if events and all(event.finish_time for event in events):
                    return
        time.sleep(0.2)
    pytest.fail(f"Nova never finished {action_name} on {server.name}")


def boot(conn, seed, name, networks="none", wait=True):
    image, flavor, _ = seed
    server = conn.compute.create_server(
        name=name, image_id=image.id, flavor_id=flavor.id, networks=networks
    )
    return wait_settled(conn, server, "ACTIVE") if wait else server


def delete_servers(conn, servers):
    for server in servers:
        conn.compute.delete_server(server, ignore_missing=True)
    for server in servers:
        conn.compute.wait_for_delete(server, wait=TIMEOUT)


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_seeded_catalog(cloud, seed):
    image, _, network = seed
    for name, sizes in FLAVORS.items():
        flavor = cloud.compute.find_flavor(name, ignore_missing=False)
        assert (flavor.vcpus, flavor.ram, flavor.disk) == sizes
    assert image.status == "active"
    assert network.is_shared and network.provider_network_type == "flat"
    assert len(list(cloud.network.subnets(network_id=network.id))) == 1


def test_server_lifecycle(cloud, seed):
    _, _, network = seed
    isolated = boot(cloud, seed, unique("jy-test-nonet"))
    attached = boot(cloud, seed, unique("jy-test-net"), networks=[{"uuid": network.id}])
    try:
        assert not isolated.addresses
        assert [a["addr"] for a in attached.addresses["jiyun-shared"]]

        cloud.compute.stop_server(isolated)
        wait_settled(cloud, isolated, "SHUTOFF")
        cloud.compute.start_server(isolated)
        wait_settled(cloud, isolated, "ACTIVE")
        cloud.compute.reboot_server(isolated, "SOFT")
        wait_settled(cloud, isolated, "ACTIVE")

        medium = cloud.compute.find_flavor("jy.medium", ignore_missing=False)
        cloud.compute.resize_server(isolated, medium.id)
        wait_settled(cloud, isolated, "VERIFY_RESIZE")
        cloud.compute.confirm_server_resize(isolated)
        resized = wait_settled(cloud, isolated, "ACTIVE")
        assert resized.flavor.name == "jy.medium"
    finally:
        delete_servers(cloud, [isolated, attached])
    assert cloud.compute.find_server(isolated.id) is None


def test_volume_lifecycle(cloud, seed):
    server = boot(cloud, seed, unique("jy-test-vol"))
    volume = cloud.block_storage.create_volume(size=1, name=unique("jy-test"))
    try:
        volume = cloud.block_storage.wait_for_status(volume, "available", wait=TIMEOUT)
        cloud.compute.create_volume_attachment(server, volume_id=volume.id)
        volume = cloud.block_storage.wait_for_status(volume, "in-use", wait=TIMEOUT)

        cloud.block_storage.extend_volume(volume, 2)  # while attached
        deadline = time.monotonic() + TIMEOUT
        while (volume := cloud.block_storage.get_volume(volume)).size != 2:
            assert time.monotonic() < deadline, f"the volume is {volume.status}, not 2 GB"
            time.sleep(0.2)
        cloud.block_storage.wait_for_status(volume, "in-use", wait=TIMEOUT)
        # Cinder tells Nova, and Nova's compute catches up on its own time:
        # detaching before it has would pull the attachment from under it.
        wait_action_done(cloud, server, "extend_volume")

        cloud.compute.delete_volume_attachment(server, volume)
        cloud.block_storage.wait_for_status(volume, "available", wait=TIMEOUT)
    finally:
        delete_servers(cloud, [server])
        cloud.block_storage.delete_volume(volume, ignore_missing=True)
        cloud.block_storage.wait_for_delete(volume, wait=TIMEOUT)


def test_portal_sets_project_quota_and_nova_refuses_over_it(cloud, seed):
    # What the portal does for a new agency: a project, a role, a quota.
    project = cloud.identity.create_project(name=unique("jy-test-agency"), domain_id="default")
    servers = []
    try:
        me = cloud.identity.find_user("jiyun-portal", domain_id="default", ignore_missing=False)
        member = cloud.identity.find_role("member", ignore_missing=False)
        cloud.identity.assign_project_role_to_user(project, me, member)
        cloud.set_compute_quotas(project.id, instances=1)
        assert cloud.get_compute_quotas(project.id).instances == 1

        agency = cloud.connect_as_project(
            {"id": project.id, "name": project.name, "domain_id": "default"}
        )
        servers.append(boot(agency, seed, unique("jy-test-quota")))
        with pytest.raises(openstack.exceptions.HttpException) as refused:
            servers.append(boot(agency, seed, unique("jy-test-over"), wait=False))
        assert refused.value.status_code == 403
        assert "Quota exceeded for instances" in str(refused.value)
    finally:
        delete_servers(cloud, servers)
        cloud.identity.delete_project(project)


def test_openstackclient_reads_clouds_yaml(cloud):
    client = DEVCLOUD / "var" / "venv" / "bin" / "openstack"
    if not client.exists():
        pytest.skip("python-openstackclient is not in devcloud/var/venv")
    listed = subprocess.run(
        [str(client), "--os-cloud", "devcloud", "flavor", "list", "-f", "value", "-c", "Name"],
        env={"OS_CLIENT_CONFIG_FILE": str(CLOUDS_YAML), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert set(FLAVORS) <= set(listed.stdout.split())


# --- restart: keep last; it restarts the cloud the tests above share --------


def saved_pids():
    """{service: (pid, start time)} from devcloud/var/run/*.pid."""
    return {
        path.stem: tuple(int(field) for field in path.read_text().split())
        for path in (DEVCLOUD / "var" / "run").glob("*.pid")
    }


def process_groups():
    """{pgid: [pid, ...]} of every live process on the machine. Zombies are
    left out: they have ended, and stay listed only until their parent (here
    PID 1, which adopted the services) reaps them."""
    groups = {}
    for stat in pathlib.Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, pgid = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (FileNotFoundError, ProcessLookupError):
            continue  # ended while we looked
        if state != "Z":
            groups.setdefault(int(pgid), []).append(int(stat.parent.name))
    return groups


def run(script):
    return subprocess.run([str(DEVCLOUD / script)], capture_output=True, text=True, timeout=900)


def test_restart_up_again_changes_nothing_and_down_leaves_nothing(cloud):
    before = saved_pids()
    assert before, NOT_RUNNING
    try:
        again = run("up")
        assert again.returncode == 0, again.stderr
        assert saved_pids() == before, "a second up started or restarted something"

        down = run("down")
        assert down.returncode == 0, down.stderr
        assert saved_pids() == {}
        groups = process_groups()
        left = {name: groups[pid] for name, (pid, _) in before.items() if pid in groups}
        assert not left, f"processes left in the devcloud's process groups: {left}"
    finally:
        # Leave the cloud as we found it, for whatever test comes next.
        back = run("up")
        assert back.returncode == 0, back.stderr
    assert run("status").returncode == 0
