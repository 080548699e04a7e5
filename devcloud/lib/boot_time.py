"""Time servers from the create call to ACTIVE, as a client sees it.

    boot_time.py [COUNT]

Boots one server to warm the services up, then COUNT (default 5) one after
another, each without a network and then on the shared flat network; prints
the median and the spread of each, and deletes every server it made. Runs
with the devcloud venv's python as the admin in its own project.
"""

import statistics
import sys
import time

from probe import connect_admin  # this folder is on sys.path when run as a script


def boot_seconds(conn, image, flavor, networks, name):
    start = time.monotonic()
    server = conn.compute.create_server(
        name=name, image_id=image.id, flavor_id=flavor.id, networks=networks
    )
    while True:
        server = conn.compute.get_server(server)
        if server.status == "ACTIVE":
            elapsed = time.monotonic() - start
            break
        if server.status == "ERROR":
            sys.exit(f"{name} went to ERROR: {server.fault}")
        time.sleep(0.05)
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, wait=120)
    return elapsed


def main(count):
    conn = connect_admin()
    image = conn.image.find_image("cirros-tiny", ignore_missing=False)
    flavor = conn.compute.find_flavor("jy.small", ignore_missing=False)
    network = conn.network.find_network("jiyun-shared", ignore_missing=False)
    boot_seconds(conn, image, flavor, "none", "measure-warmup")
    for label, networks in (("no network", "none"), ("flat network", [{"uuid": network.id}])):
        times = [boot_seconds(conn, image, flavor, networks, f"measure-{i}") for i in range(count)]
        print(
            f"boot to ACTIVE, {label}: median {statistics.median(times):.2f} s"
            f" (min {min(times):.2f}, max {max(times):.2f}, n={count})"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
