"""What bench/api stands up and tears down: its own database and two gunicorns.

Everything started here is recorded on the Stack and undone by close(), which the
caller runs in a `finally` (so also after Ctrl-C, SIGTERM or a failed step).
"""

import os
import resource
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import suppress
from pathlib import Path

from amqp.exceptions import ChannelError
from kombu import Connection

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "bench" / "api"
BIN = ROOT / ".venv" / "bin"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PSQL = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-v", "ON_ERROR_STOP=1", "-q"]


def _run(argv, env=None, label=None, quiet=False):
    """Run a setup step; on failure show its output and stop."""
    if not quiet:
        print(f"  {label or ' '.join(map(str, argv))}", flush=True)
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{label or argv[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def busy_cpu_seconds():
    """CPU seconds the whole machine has been busy since boot (/proc/stat)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle_and_iowait = ticks[3] + ticks[4]  # user nice system idle iowait irq softirq steal
    return (sum(ticks) - idle_and_iowait) / CLOCK_TICKS


def children_cpu_seconds():
    """CPU seconds of this process's finished children (wrk, after each run)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


BROKER_URL = os.environ.get("BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")


class Stack:
    def __init__(self, database, ports, gunicorn_env):
        self.database = database
        self.ports = ports  # {"portal": port, "bare": port}
        self.gunicorn_env = gunicorn_env  # BENCH_WORKERS etc., the same for both apps
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-api-"))
        self.servers = {}
        self.db_created = False
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "JIYUN_DATABASE_URL": self.url,
            "JIYUN_SECRET_KEY": secrets.token_urlsafe(32),
            "JIYUN_INSTANCE_PATH": str(self.tmp / "instance"),
            "BENCH_DATABASE_URL": self.url,
            # Both apps publish each auto-approved order's provisioning task to RabbitMQ,
            # as in production; no worker consumes it, and the queue goes at the end.
            "JIYUN_BROKER_URL": BROKER_URL,
            "JIYUN_TASK_QUEUE": f"jiyun-bench-{database}",
            **gunicorn_env,
        }

    # -- database -------------------------------------------------------------------

    def psql(self, *args, database="postgres"):
        return _run([*PSQL, "-d", database, *args], label=f"psql {' '.join(args)[:70]}")

    def vacuum(self):
        """VACUUM ANALYZE the bench database, quietly: what autovacuum does in production
        (it is off on the bench machine)."""
        _run([*PSQL, "-d", self.database, "-c", "VACUUM ANALYZE"], quiet=True)

    def create_database(self, prefill):
        self.drop_database()  # a leftover of an interrupted earlier run
        self.psql("-c", f'CREATE DATABASE "{self.database}"')
        self.db_created = True
        flask = [BIN / "flask", "--app", "portal"]
        _run([*flask, "db", "upgrade"], self.env, "flask db upgrade")
        _run([*flask, "catalog", "sync"], self.env, "flask catalog sync")
        _run([*flask, "demo", "seed"], self.env, "flask demo seed")
        tokens = _run([BIN / "python", HERE / "tokens.py"], self.env, "bench/api/tokens.py")
        self.tokens_file = self.tmp / "tokens.txt"
        self.tokens_file.write_text(tokens)
        self.tokens = tokens.split()
        self.psql(
            "-v", f"per_agency={prefill}", "-f", str(HERE / "prefill.sql"), database=self.database
        )

    def drop_database(self):
        # FORCE ends the connections of anything still attached (PostgreSQL 13+).
        self.psql("-c", f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        self.db_created = False

    # -- servers --------------------------------------------------------------------

    def start(self, name, app):
        """Start gunicorn for `app` (a WSGI target) with the shared settings."""
        log = open(self.tmp / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        argv = [BIN / "gunicorn", "-c", HERE / "gunicorn.conf.py", "--chdir", ROOT]
        argv += ["-b", f"127.0.0.1:{self.ports[name]}", app]
        # Its own process group: close() can end the master and its workers together.
        proc = subprocess.Popen(
            argv, env=self.env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True
        )
        self.servers[name] = (proc, log)

    def wait_ready(self, name, timeout=60):
        """Until the catalog answers 200 to a member's token."""
        deadline = time.monotonic() + timeout
        while True:
            proc, _log = self.servers[name]
            if proc.poll() is not None:
                raise RuntimeError(f"{name} gunicorn exited:\n{self.log(name)}")
            try:
                status, _body = self.call(name, "GET", "/api/v1/catalog/items")
                if status == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not ready after {timeout}s:\n{self.log(name)}")
            time.sleep(0.3)

    def call(self, name, method, path, body=None):
        """One request as the first member; returns (status, body text)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.ports[name]}{path}",
            method=method,
            data=body.encode() if body else None,
            headers={
                "Authorization": f"Bearer {self.tokens[0]}",
                "Content-Type": "application/json",
            },
        )
        try:
            # S310: the URL is always http://127.0.0.1:<our port>
            with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def cpu_seconds(self, name):
        """CPU time used so far by an app's gunicorn (master and workers, one process
        group) and by the PostgreSQL backends of this database, in seconds.

        Unlike req/s, this hardly depends on what else the shared machine runs."""
        proc, _log = self.servers[name]
        app = database = 0.0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue  # gone meanwhile
            fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)"
            used = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
            if int(fields[2]) == proc.pid:  # the process group of that gunicorn
                app += used
            elif title.startswith("postgres: ") and f" {self.database} " in title:
                database += used
        return app, database

    def log(self, name):
        path = self.tmp / f"{name}.log"
        return path.read_text()[-3000:] if path.exists() else ""

    def stop(self, name):
        proc, log = self.servers.pop(name)
        if proc.poll() is None:
            # SIGQUIT is gunicorn's quick shutdown (SIGTERM waits for idle keep-alive
            # connections); the whole group, so workers go even if the master is stuck.
            os.killpg(proc.pid, signal.SIGQUIT)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()

    def close(self, keep_database=False):
        for name in list(self.servers):
            self.stop(name)
        if self.db_created and not keep_database:
            self.drop_database()
        self.delete_queue()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def delete_queue(self):
        """The tasks both apps published: nobody was meant to run them."""
        with suppress(ChannelError, OSError), Connection(BROKER_URL, connect_timeout=5) as broker:
            broker.default_channel.queue_delete(self.env["JIYUN_TASK_QUEUE"])
