"""A small harness for tests that run the portal's real Celery workers.

Workers are `celery -A portal.worker worker` subprocesses, each in its own process
group, started with the environment a deployment would give them (JIYUN_* settings
pointing at the test's database, RabbitMQ, the devcloud, Ansible) and logging to a
file, so a test can kill one outright (SIGKILL, the whole group), start another, and
print what they said when something goes wrong.
"""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from kombu import Connection, pools

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
BROKER_URL = os.environ.get("JIYUN_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
# One prefix per test session: queues of this session never meet another's.
SESSION = uuid.uuid4().hex[:8]
RECEIVED = re.compile(r"Task [\w.]+\[([0-9a-f-]+)\] received")
READY_SECONDS = 60  # a worker imports the portal, openstacksdk and Ansible: a few seconds


def unique_queue(label):
    return f"jiyun-live-{SESSION}-{label}-{uuid.uuid4().hex[:6]}"


def rabbitmq_or_skip():
    """Skip, with the reason, when RabbitMQ does not answer at BROKER_URL."""
    try:
        with Connection(BROKER_URL, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1, timeout=3)
    except Exception as error:  # refused, timed out, refused login: no broker for us
        pytest.skip(f"RabbitMQ does not answer at {BROKER_URL}: {error}")


def delete_queue(name):
    with Connection(BROKER_URL, connect_timeout=3) as connection:
        channel = connection.channel()
        try:
            channel.queue_delete(name)
        finally:
            channel.close()


def point_celery_at(celery):
    """Make the portal's Celery app send with its current settings.

    `portal.extensions.celery` is one module-level app that every create_app() binds
    again with conf.update(); but Celery caches its connection pool and its routing
    (the default queue) at the first send, so an app bound earlier in the session (the
    unit tests' memory:// broker) would keep receiving what this test enqueues. Drop
    those caches; call again when the test is over to give the next app a clean start.
    """
    celery._pool = None
    celery.__dict__.pop("amqp", None)  # its router, queues and producer pool
    # kombu keeps pools per broker URL for the whole process: close and forget them,
    # or the next app would be handed this one's (closed) pool.
    pools.reset()


def worker_env(*, database_url, queue, secret_key, directory, clouds_yaml, **settings):
    """The environment of a worker process: the deployment's JIYUN_* settings."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("JIYUN_", "OS_", "CELERY"))
    }
    env.update(
        PATH=os.pathsep.join([str(BIN), env.get("PATH", "/usr/bin:/bin")]),
        PYTHONPATH=str(REPO),
        PYTHONUNBUFFERED="1",
        JIYUN_DATABASE_URL=database_url,
        JIYUN_SECRET_KEY=secret_key,
        JIYUN_BROKER_URL=BROKER_URL,
        JIYUN_TASK_QUEUE=queue,
        JIYUN_CLOUD_DRIVER="openstack",
        JIYUN_OS_CLOUD="devcloud",
        JIYUN_OS_NETWORK="jiyun-shared",
        OS_CLIENT_CONFIG_FILE=str(clouds_yaml),
        JIYUN_AUTOMATION="ansible",
        JIYUN_MANAGED_POSTGRES_URL="postgresql://postgres@127.0.0.1:5432",
        JIYUN_MANAGED_MYSQL_URL="mysql://root@127.0.0.1:3306",
        JIYUN_ANSIBLE_DIR=str(directory / "ansible"),
        JIYUN_MANAGED_HOSTS_DIR=str(directory / "managed-hosts"),
        JIYUN_INSTANCE_PATH=str(directory / "instance"),
        JIYUN_PROVISION_WAIT_SECONDS="60",
        JIYUN_PROVISION_MAX_ATTEMPTS="5",
    )
    env.update({f"JIYUN_{name}": str(value) for name, value in settings.items()})
    return env


class Worker:
    """One `celery -A portal.worker worker` process (threads pool), logging to a file."""

    def __init__(self, name, env, log_path, concurrency=2):
        self.name = name
        self.log_path = Path(log_path)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "portal.worker",
                "worker",
                "--pool",
                "threads",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "INFO",
                "--hostname",
                f"{name}@%h",
                # Talk to the queue only: other workers on this broker are not ours.
                # (Heartbeats stay on: their timer also wakes the worker's event loop,
                # which without it notices a SIGTERM only ~10 s later.)
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as one
        )

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process.poll() is None

    def wait_ready(self, timeout=READY_SECONDS):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log():
                return self
            if not self.alive():
                break
            time.sleep(0.2)
        raise AssertionError(f"worker {self.name} did not come up:\n{self.tail()}")

    def kill(self):
        """SIGKILL, the way a machine or the OOM killer ends it: no cleanup at all."""
        self._signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout=60):
        """A warm shutdown (SIGTERM): running tasks finish, unstarted ones go back."""
        self._signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def _signal(self, signum):
        if self.alive():
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                os.killpg(self.process.pid, signum)

    def received(self):
        """Ids of the task messages this worker received, in order."""
        return RECEIVED.findall(self.log())

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, lines=40):
        return "\n".join(self.log().splitlines()[-lines:])

    def close(self):
        self.stop(timeout=30)
        self._log.close()


class Workers:
    """The workers of one test: started with one environment (changed per start if
    asked), all stopped at the end, their logs' tails printed (pytest shows them
    when the test failed)."""

    def __init__(self, directory, env):
        self.directory = Path(directory)
        self.env = env
        self.started = []

    def start(self, concurrency=2, **env_changes):
        name = f"live{len(self.started) + 1}-{SESSION}"
        env = {**self.env, **env_changes}
        worker = Worker(name, env, self.directory / f"{name}.log", concurrency)
        self.started.append(worker)
        return worker.wait_ready()

    def tails(self, lines=40):
        return "\n".join(
            f"--- worker {w.name} (pid {w.pid}, log {w.log_path}) ---\n{w.tail(lines)}"
            for w in self.started
        )

    def close(self):
        for worker in self.started:
            worker.close()
        if self.started:
            print(self.tails())


def wait_until(check, *, timeout, what, interval=0.5, workers=None):
    """Call CHECK until it returns something true, and return that; else fail saying
    WHAT did not happen, with the workers' logs."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() >= deadline:
            logs = f"\n{workers.tails()}" if workers is not None else ""
            raise AssertionError(f"not within {timeout} s: {what}{logs}")
        time.sleep(interval)
