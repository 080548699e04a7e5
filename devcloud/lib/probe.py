"""Ask Nova and Cinder how their worker services are.

    probe.py states   print "binary state" for each Nova and Cinder service
    probe.py wait     wait until every one is up and the hypervisor is known

The APIs answering is not enough: a server or volume asked for before
nova-compute and cinder-volume have reported fails with "no valid host".
Run with the devcloud venv's python; settings come from the environment.
"""

import os
import sys
import time

import openstack

ENV = os.environ
WORKERS = {"nova-conductor", "nova-scheduler", "nova-compute", "cinder-scheduler", "cinder-volume"}


def connect_admin():
    return openstack.connect(
        auth={
            "auth_url": f"http://{ENV['HOST']}:{ENV['PORT_KEYSTONE']}/v3",
            "username": "admin",
            "password": ENV["ADMIN_PASSWORD"],
            "project_name": "admin",
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        },
        region_name=ENV["REGION"],
        load_yaml_config=False,
        load_envvars=False,
    )


def states(conn):
    found = {}
    for service in conn.compute.services():
        found[service.binary] = service.state
    for service in conn.block_storage.services():
        found[service.binary] = service.state
    return found


def wait(conn, limit=180):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = states(conn)
        hypervisors = list(conn.compute.hypervisors())
        if hypervisors and all(found.get(w) == "up" for w in WORKERS):
            return 0
        time.sleep(1)
    print(f"devcloud: workers not all up after {limit}s: {found}", file=sys.stderr)
    return 1


def main(step):
    conn = connect_admin()
    if step == "states":
        for binary, state in sorted(states(conn).items()):
            print(binary, state)
        return 0
    if step == "wait":
        return wait(conn)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
