"""What bench/provision stands up and tears down: its own database, a catalog directory
with the bench-only `vm_bare` item, one gunicorn of the portal, N Celery workers on a
queue of their own, and, in the devcloud, the agency's project and the servers made.

Everything started here is recorded on the Stack and undone by close(), which the
caller runs in a `finally` (so also after Ctrl-C, SIGTERM or a failed step).
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import openstack
import psycopg
import requests
import yaml
from kombu import Connection as BrokerConnection

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "bench" / "provision"
BIN = ROOT / ".venv" / "bin"
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]
BROKER = "amqp://guest:guest@127.0.0.1:5672//"
CLOUD = "devcloud"
BARE_ITEM = "vm_bare"


def _run(argv, env=None, label=None):
    """Run a setup step; on failure show its output and stop."""
    print(f"  {label or ' '.join(map(str, argv))}", flush=True)
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{label or argv[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def bare_vm_item(directory):
    """catalog/items/vm.yaml as `vm_bare`: the same fields, quota and auto-approval, a
    plan of create_server only (no post_boot playbook, no data volume steps)."""
    definition = yaml.safe_load((ROOT / "catalog" / "items" / "vm.yaml").read_text())
    definition["key"] = BARE_ITEM
    definition["name"] = {"zh_CN": "云主机（基准测试，无初始化）", "en": "VM (bench, no post-boot)"}
    definition["provisioning"]["steps"] = [
        step for step in definition["provisioning"]["steps"] if step["name"] == "create_server"
    ]
    path = Path(directory) / f"{BARE_ITEM}.yaml"
    path.write_text(yaml.safe_dump(definition, allow_unicode=True, sort_keys=False))


class Stack:
    def __init__(self, args):
        self.args = args
        self.run_id = secrets.token_hex(3)
        self.database = args.database
        self.queue = f"jiyun-bench-provision-{self.run_id}"
        self.agency_code = f"bench-prov-{self.run_id}"
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{self.database}"
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-provision-"))
        self.catalog_dir = self.tmp / "catalog"
        self.processes = {}  # name → (Popen, log file)
        self.db_created = False
        self.queue_used = False
        self.project_id = None
        self.tenant = None
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "JIYUN_DATABASE_URL": self.url,
            "JIYUN_SECRET_KEY": secrets.token_urlsafe(32),
            "JIYUN_INSTANCE_PATH": str(self.tmp / "instance"),
            "JIYUN_BROKER_URL": BROKER,
            "JIYUN_TASK_QUEUE": self.queue,
            "JIYUN_CLOUD_DRIVER": "openstack",
            "JIYUN_OS_CLOUD": CLOUD,
            "JIYUN_AUTOMATION": "ansible",
            "JIYUN_CATALOG_DIR": str(self.catalog_dir),
        }

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.args.port}"

    # -- database and tenant ----------------------------------------------------------

    def psql(self, *args):
        return _run([*PSQL, "-d", "postgres", *args], label=f"psql {' '.join(args)[:70]}")

    def create_database(self):
        self.drop_database()  # a leftover of an interrupted earlier run
        self.psql("-c", f'CREATE DATABASE "{self.database}"')
        self.db_created = True
        shutil.copytree(ROOT / "catalog" / "items", self.catalog_dir)
        bare_vm_item(self.catalog_dir)
        flask = [BIN / "flask", "--app", "portal"]
        _run([*flask, "db", "upgrade"], self.env, "flask db upgrade")
        _run([*flask, "catalog", "sync"], self.env, f"flask catalog sync (+ {BARE_ITEM})")
        out = _run(
            [BIN / "python", HERE / "tenant.py", self.agency_code],
            self.env,
            f"bench/provision/tenant.py {self.agency_code}",
        )
        self.tenant = json.loads(out.strip().splitlines()[-1])

    def drop_database(self):
        # FORCE ends the connections of anything still attached (PostgreSQL 13+).
        self.psql("-c", f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        self.db_created = False

    def sql(self):
        """A plain connection to the bench database, for the operations' timestamps."""
        return psycopg.connect(
            f"host=127.0.0.1 port=5432 user=postgres dbname={self.database}", autocommit=True
        )

    # -- processes --------------------------------------------------------------------

    def _start(self, name, argv):
        log = open(self.tmp / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        # Its own process group: stop() ends it and its children together.
        proc = subprocess.Popen(
            argv, env=self.env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True
        )
        self.processes[name] = (proc, log)

    def start_portal(self):
        argv = [BIN / "gunicorn", "-c", HERE / "gunicorn.conf.py", "--chdir", ROOT]
        self._start("gunicorn", [*argv, "-b", f"127.0.0.1:{self.args.port}", "portal:create_app()"])

    def start_workers(self):
        self.queue_used = True
        host = socket.gethostname()
        for number in range(self.args.workers):
            argv = [BIN / "celery", "-A", "portal.worker", "worker"]
            argv += ["--pool", self.args.pool, "--concurrency", str(self.args.concurrency)]
            argv += ["-Q", self.queue, "-n", f"{self.queue}-{number}@{host}"]
            # No gossip, mingle or heartbeats: other teams' workers share the broker.
            argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
            argv += ["--loglevel", "INFO"]  # for the "ready." line; one line per task
            self._start(f"worker{number}", argv)

    def wait_ready(self, timeout=90):
        deadline = time.monotonic() + timeout
        waiting = set(self.processes)
        headers = {"Authorization": f"Bearer {self.tenant['token']}"}
        while waiting:
            for name in sorted(waiting):
                proc, _log = self.processes[name]
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited:\n{self.log(name)}")
                if name == "gunicorn":
                    try:
                        answer = requests.get(
                            f"{self.base_url}/api/v1/catalog/items", headers=headers, timeout=5
                        )
                        if answer.status_code == 200:
                            waiting.discard(name)
                    except requests.RequestException:
                        pass
                elif " ready." in self.log(name, tail=None):
                    waiting.discard(name)
            if waiting and time.monotonic() > deadline:
                name = sorted(waiting)[0]
                raise RuntimeError(f"{name} not ready after {timeout}s:\n{self.log(name)}")
            time.sleep(0.3)

    def log(self, name, tail=3000):
        path = self.tmp / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return text[-tail:] if tail else text

    def stop(self, name):
        proc, log = self.processes.pop(name)
        if proc.poll() is None:
            # gunicorn: SIGQUIT is its quick shutdown; celery: SIGQUIT is its cold one
            # (tasks in flight go back to the queue, which is deleted next anyway).
            os.killpg(proc.pid, signal.SIGQUIT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()

    # -- cloud ------------------------------------------------------------------------

    def connect(self):
        """openstacksdk's connection to the portal's cloud account (clouds.yaml `devcloud`)."""
        return openstack.connect(cloud=CLOUD)

    def find_project(self, conn):
        project = conn.identity.find_project(f"jiyun-{self.agency_code}")
        self.project_id = project.id if project else None
        return self.project_id

    def clean_cloud(self):
        """Delete every server in the run's project (only this run's agency uses it: the
        portal's, tagged jiyun_op, and the direct path's, tagged jiyun_bench), until none
        is left, then the project. Listed by id only and retried: under load the
        devcloud's Nova can answer a detailed list with a 500 (its Neutron calls)."""
        conn = self.connect()
        if self.project_id is None and self.find_project(conn) is None:
            return
        scoped = conn.connect_as(project_id=self.project_id)
        deadline = time.monotonic() + 600
        while True:
            try:
                ids = [server.id for server in scoped.compute.servers(details=False)]
                for server_id in ids:
                    scoped.compute.delete_server(server_id, ignore_missing=True)
            except openstack.exceptions.HttpException as error:
                ids = [f"unknown ({error})"]
            if not ids:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"servers left in jiyun-{self.agency_code}: {ids[:3]}")
            print(f"  deleting {len(ids)} server(s) in jiyun-{self.agency_code}", flush=True)
            time.sleep(3)
        conn.identity.delete_project(self.project_id, ignore_missing=True)
        print(f"  deleted project jiyun-{self.agency_code}", flush=True)

    # -- broker -----------------------------------------------------------------------

    def delete_queue(self):
        with BrokerConnection(BROKER) as broker:
            channel = broker.default_channel
            channel.queue_delete(self.queue)
            channel.exchange_delete(self.queue)  # Celery's direct exchange of that name

    # -- all of it --------------------------------------------------------------------

    def close(self, keep_database=False):
        """Undo everything, each part even when another failed; returns the failures."""
        failures = []
        for name in list(self.processes):
            self.stop(name)
        for label, needed, undo in (
            ("cloud", True, self.clean_cloud),
            ("queue", self.queue_used, self.delete_queue),
            ("database", self.db_created and not keep_database, self.drop_database),
        ):
            if not needed:
                continue
            try:
                undo()
            except Exception as error:  # report and go on with the rest
                failures.append(f"{label}: {error}")
        shutil.rmtree(self.tmp, ignore_errors=True)
        return failures
