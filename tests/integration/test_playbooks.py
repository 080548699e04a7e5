"""The provisioning playbooks (playbooks/), run for real through run_playbook against the
local PostgreSQL and MariaDB servers and the automation host.

The database tests are skipped, with the reason, when their server does not answer:
PostgreSQL at JIYUN_TEST_POSTGRES (default 127.0.0.1:5432, user postgres) and MariaDB/MySQL
at JIYUN_TEST_MYSQL (default 127.0.0.1:3306, user root, no password). Each test makes its
own database and owner names and drops what is left of them afterwards. One playbook run
takes a few seconds.
"""

import base64
import hashlib
import hmac
import os
import socket
import uuid

import psycopg
import pymysql
import pytest
import yaml
from sqlalchemy.engine import make_url

from portal.provisioning.ansible import run_playbook
from tests.backends import POSTGRES_SERVER

MYSQL_SERVER = os.environ.get("JIYUN_TEST_MYSQL", "mysql+pymysql://root@127.0.0.1:3306")


def tricky_password():
    """Quotes and a Jinja expression: it must arrive as written, never evaluated."""
    return f"pw-{{{{ 6 * 7 }}}}-'\"-{uuid.uuid4().hex}"


class PostgresServer:
    playbook = "database_postgresql.yml"
    first_step = "Create the owner role"

    def __init__(self):
        self.url = make_url(POSTGRES_SERVER)
        self.port = self.url.port or 5432
        self.admin = psycopg.connect(
            host=self.url.host,
            port=self.port,
            user=self.url.username,
            password=self.url.password,
            dbname="postgres",
            autocommit=True,
            connect_timeout=3,
        )

    def admin_secrets(self):
        # Trust authentication ignores a password it did not ask for: pass one anyway, so
        # that its way through the playbook is tested (and looked for in the artifacts).
        return {"db_admin_password": self.url.password or f"unused-{uuid.uuid4().hex}"}

    def drop(self, database, owner):
        self.admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self.admin.execute(f'DROP ROLE IF EXISTS "{owner}"')

    def exists(self, database, owner):
        """(database exists, owner exists)"""
        return (
            self._one("SELECT count(*) FROM pg_database WHERE datname = %s", database) == 1,
            self._one("SELECT count(*) FROM pg_roles WHERE rolname = %s", owner) == 1,
        )

    def use_as_owner(self, outputs, password):
        """Work in the new database as its owner, with its password."""
        # Local servers often trust 127.0.0.1 and would let any password in: check the
        # stored SCRAM verifier too.
        verifier = self._one(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", outputs["user"]
        )
        assert scram_matches(verifier, password)
        with psycopg.connect(
            host=outputs["host"],
            port=outputs["port"],
            user=outputs["user"],
            password=password,
            dbname=outputs["database"],
            connect_timeout=3,
        ) as owner:
            owner.execute("CREATE TABLE things (id integer PRIMARY KEY)")
            owner.execute("INSERT INTO things VALUES (1)")
            assert owner.execute("SELECT count(*) FROM things").fetchone()[0] == 1
        # Other roles are kept out (pg_monitor: any role that is not the owner).
        assert not self._one(
            "SELECT has_database_privilege('pg_monitor', %s, 'CONNECT')", outputs["database"]
        )

    def close(self):
        self.admin.close()

    def _one(self, query, *params):
        return self.admin.execute(query, params).fetchone()[0]


class MysqlServer:
    playbook = "database_mysql.yml"
    first_step = "Create the database"

    def __init__(self):
        self.url = make_url(MYSQL_SERVER)
        self.port = self.url.port or 3306
        self.admin = pymysql.connect(
            host=self.url.host,
            port=self.port,
            user=self.url.username,
            password=self.url.password or "",
            autocommit=True,
            connect_timeout=3,
        )

    def admin_secrets(self):
        # MariaDB refuses a password for an account that has none.
        return {"db_admin_password": self.url.password} if self.url.password else {}

    def drop(self, database, owner):
        with self.admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
            cursor.execute(f"DROP DATABASE IF EXISTS `{wildcard_twin(database)}`")
            cursor.execute(f"DROP USER IF EXISTS '{owner}'@'%'")

    def exists(self, database, owner):
        """(database exists, owner exists)"""
        return (
            self._one(
                "SELECT count(*) FROM information_schema.schemata WHERE schema_name = %s", database
            )
            == 1,
            self._one("SELECT count(*) FROM mysql.user WHERE user = %s AND host = '%%'", owner)
            == 1,
        )

    def use_as_owner(self, outputs, password):
        """Work in the new database as its owner, with its password."""
        owner = pymysql.connect(
            host=outputs["host"],
            port=outputs["port"],
            user=outputs["user"],
            password=password,
            database=outputs["database"],
            connect_timeout=3,
        )
        with owner, owner.cursor() as cursor:
            cursor.execute("CREATE TABLE things (id integer PRIMARY KEY)")
            cursor.execute("INSERT INTO things VALUES (1)")
            cursor.execute("SELECT count(*) FROM things")
            assert cursor.fetchone()[0] == 1
            # The grant names this database only: `_` is not a wildcard in it.
            with pytest.raises(pymysql.err.OperationalError):
                cursor.execute(f"CREATE DATABASE `{wildcard_twin(outputs['database'])}`")

    def close(self):
        self.admin.close()

    def _one(self, query, *params):
        with self.admin.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchone()[0]


def wildcard_twin(database):
    """A name that `database` would match if its `_` were a GRANT wildcard."""
    return database.replace("_", "x")


def scram_matches(verifier, password):
    """Whether PostgreSQL's SCRAM-SHA-256 verifier was made from `password` (RFC 5802)."""
    iterations_salt, keys = verifier.removeprefix("SCRAM-SHA-256$").split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key = keys.split(":")[0]
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key


@pytest.fixture(scope="module", params=["postgresql", "mysql"])
def server(request):
    kind, url = {
        "postgresql": (PostgresServer, POSTGRES_SERVER),
        "mysql": (MysqlServer, MYSQL_SERVER),
    }[request.param]
    try:
        chosen = kind()
    except (psycopg.OperationalError, pymysql.err.OperationalError) as error:
        shown = make_url(url).render_as_string(hide_password=True)
        pytest.skip(f"{request.param} is not answering at {shown}: {error}")
    yield chosen
    chosen.close()


@pytest.fixture
def names(server):
    """A database and owner name of this test, dropped afterwards whatever happened."""
    database = f"jy_test_{uuid.uuid4().hex[:12]}"
    owner = f"{database}_o"
    yield database, owner
    server.drop(database, owner)


class Runs:
    """run_playbook with the test's base_dir, recording the events of each run."""

    def __init__(self, base_dir):
        self.base_dir = base_dir
        self.events = []

    def __call__(self, playbook, **kwargs):
        self.events = []
        return run_playbook(
            playbook,
            ident=str(uuid.uuid4()),
            base_dir=self.base_dir,
            on_event=self.events.append,
            **kwargs,
        )

    def changed(self):
        return [event["task"] for event in self.events if event["changed"]]


@pytest.fixture
def runs(tmp_path):
    return Runs(tmp_path / "runs")


def database_vars(server, names, **extra):
    database, owner = names
    return {
        "db_name": database,
        "db_owner": owner,
        "db_host": server.url.host,
        "db_port": server.port,
        "db_admin_user": server.url.username,
        **extra,
    }


def test_database_create_use_repeat_drop(server, names, runs):
    password = tricky_password()
    secrets = {"db_password": password, **server.admin_secrets()}
    database, owner = names

    created = runs(server.playbook, extravars=database_vars(server, names), secrets=secrets)
    assert (created.status, created.rc, created.failure) == ("successful", 0, None)
    assert created.outputs == {
        "host": server.url.host,
        "port": server.port,
        "database": database,
        "user": owner,
    }
    assert server.exists(database, owner) == (True, True)
    assert {"start", "changed", "ok", "skipped"} <= {event["event"] for event in runs.events}
    assert all(event["host"] == "localhost" for event in runs.events)
    server.use_as_owner(created.outputs, password)

    again = runs(server.playbook, extravars=database_vars(server, names), secrets=secrets)
    assert (again.status, again.outputs) == ("successful", created.outputs)
    assert runs.changed() == []

    dropped = runs(server.playbook, extravars=database_vars(server, names, state="absent"))
    assert (dropped.status, dropped.outputs) == ("successful", {})
    assert runs.changed() != []
    assert server.exists(database, owner) == (False, False)

    dropped_again = runs(server.playbook, extravars=database_vars(server, names, state="absent"))
    assert dropped_again.status == "successful"
    assert runs.changed() == []


def test_check_mode_changes_nothing(server, names, runs):
    checked = runs(
        server.playbook,
        extravars=database_vars(server, names),
        secrets={"db_password": tricky_password(), **server.admin_secrets()},
        check=True,
    )
    assert checked.status == "successful"
    assert runs.changed() != []  # what a real run would change
    assert server.exists(*names) == (False, False)


def test_a_failure_says_which_step_and_why(server, names, runs):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    failed = runs(
        server.playbook,
        extravars=database_vars(server, names, db_host="127.0.0.1", db_port=closed_port),
        secrets={"db_password": tricky_password()},
    )
    assert (failed.status, failed.rc, failed.outputs) == ("failed", 2, {})
    assert failed.failure.startswith(f"{server.first_step}: ")
    assert "refused" in failed.failure.lower()
    assert next(event["task"] for event in runs.events if event["failed"]) == server.first_step


def test_secrets_stay_out_of_the_run_directory(server, names, runs, monkeypatch):
    secrets = {"db_password": tricky_password(), **server.admin_secrets()}
    # The portal's own secrets are in its environment, which ansible-runner would copy.
    portal_key = f"portal-key-{uuid.uuid4().hex}"
    monkeypatch.setenv("JIYUN_SECRET_KEY", portal_key)
    created = runs(server.playbook, extravars=database_vars(server, names), secrets=secrets)
    assert created.status == "successful"
    # A failing run too: its error message is published by the playbook's rescue.
    failed = runs(
        server.playbook,
        extravars=database_vars(server, names, db_port=1),
        secrets=secrets,
    )
    assert failed.status == "failed"

    files = [path for path in runs.base_dir.rglob("*") if path.is_file()]
    assert {"command", "stdout", "extravars", "hosts.json"} <= {path.name for path in files}
    assert len([path for path in files if path.parent.name == "job_events"]) > 10
    for value in [*secrets.values(), portal_key]:
        assert value not in repr(runs.events) + repr(created) + repr(failed)
        leaks = [path for path in files if value.encode() in path.read_bytes()]
        assert leaks == [], f"a secret is in {leaks}"
    # The secrets file lived outside the run directory and is gone.
    for extravars in runs.base_dir.rglob("env/extravars"):
        secrets_file = read_ansible_yaml(extravars)["jiyun_secrets_file"]
        assert not secrets_file.startswith(str(runs.base_dir))
        assert not os.path.exists(secrets_file)


class AnsibleYamlLoader(yaml.SafeLoader):
    """A SafeLoader that reads the !unsafe strings of YAML written for Ansible."""


AnsibleYamlLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def read_ansible_yaml(path):
    return yaml.load(path.read_text(), Loader=AnsibleYamlLoader)  # noqa: S506 (a SafeLoader)


def test_vm_post_boot_records_and_removes_the_vm(runs, tmp_path):
    hosts_dir = tmp_path / "managed_hosts"
    vm = {
        "hostname": "web-01",
        "managed_hosts_dir": str(hosts_dir),
        "server_id": str(uuid.uuid4()),
        "addresses": ["10.0.0.5", "fd00::5"],
        "agency": "{{ 6 * 7 }} 城管局",  # text, never a template
        "sla_tier": "important",
    }
    inventory_file = hosts_dir / "web-01.yml"

    checked = runs("vm_post_boot.yml", extravars=vm, check=True)
    assert checked.status == "successful"
    assert not inventory_file.exists()

    recorded = runs("vm_post_boot.yml", extravars=vm)
    assert (recorded.status, recorded.outputs) == (
        "successful",
        {"inventory_file": str(inventory_file)},
    )
    assert "Write the VM's inventory file" in runs.changed()
    host = read_ansible_yaml(inventory_file)["all"]["hosts"]["web-01"]
    assert host == {
        "ansible_host": "10.0.0.5",
        "jiyun_server_id": vm["server_id"],
        "jiyun_addresses": vm["addresses"],
        "jiyun_agency": "{{ 6 * 7 }} 城管局",
        "jiyun_sla_tier": "important",
    }

    again = runs("vm_post_boot.yml", extravars=vm)
    assert again.status == "successful"
    assert runs.changed() == []

    removed = runs("vm_post_boot.yml", extravars={**vm, "state": "absent"})
    assert (removed.status, removed.outputs) == ("successful", {})
    assert not inventory_file.exists()
    removed_again = runs("vm_post_boot.yml", extravars={**vm, "state": "absent"})
    assert removed_again.status == "successful"
    assert runs.changed() == []


def test_vm_post_boot_refuses_a_host_name_that_is_a_path(runs, tmp_path):
    refused = runs(
        "vm_post_boot.yml",
        extravars={"hostname": "../escape", "managed_hosts_dir": str(tmp_path), "state": "absent"},
    )
    assert refused.status == "failed"
    assert refused.failure.startswith("Check the variables: ")


def test_timeout_stops_the_run(runs):
    # A server that accepts connections and never answers: the first database step hangs.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        hung = runs(
            PostgresServer.playbook,
            extravars={
                "db_name": "jy_never",
                "db_owner": "jy_never_o",
                "db_host": "127.0.0.1",
                "db_port": silent.getsockname()[1],
            },
            secrets={"db_password": "unused"},
            timeout=2,
        )
    assert (hung.status, hung.rc) == ("timeout", 254)
    assert hung.failure == (
        "the playbook did not finish within 2 s and was stopped during task 'Create the owner role'"
    )


def test_a_rerun_of_the_same_ident_starts_from_a_clean_directory(tmp_path):
    vm = {"hostname": "web-01", "managed_hosts_dir": str(tmp_path / "hosts"), "state": "absent"}

    def job_events():
        result = run_playbook("vm_post_boot.yml", ident="op-1", base_dir=tmp_path, extravars=vm)
        assert result.status == "successful"
        return sorted(path.name for path in (tmp_path / "op-1").rglob("job_events/*"))

    first = job_events()
    assert first
    assert set(job_events()).isdisjoint(first)


@pytest.mark.parametrize(
    ("playbook", "ident"),
    [("../pyproject.toml", "op-1"), ("no_such.yml", "op-1"), ("vm_post_boot.yml", "../op-1")],
)
def test_only_playbooks_of_the_repository_into_a_directory_of_their_own(playbook, ident, tmp_path):
    with pytest.raises(ValueError):
        run_playbook(playbook, ident=ident, base_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
