"""Fixtures: a fresh database per test (cloned from a migrated template holding the
test world), the app bound to it, and helpers to act as the world's users.

The same suite runs on SQLite (default) and on PostgreSQL (JIYUN_TEST_DB=postgresql).
"""

import os
import re
from contextlib import contextmanager

import flask_migrate
import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

os.environ.setdefault("JIYUN_SECRET_KEY", "tests-only-secret")

from portal import create_app
from portal.accounts.models import User
from portal.billing.prices import sync_price_lists
from portal.catalog.service import sync_catalog
from portal.extensions import db
from portal.incidents.sla import sync_sla_definitions
from tests.backends import POSTGRES_SERVER, PostgresBackend, make_backend
from tests.billing_factories import (
    CREATED,
    OCTOBER_END,
    SMALL_VM,
    make_resource,
    meter,
    write_price_lists,
)
from tests.factories import PASSWORD, build_world

TEST_CONFIG = {
    "TESTING": True,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8192,
    # Messages are asserted in English; tests of the Chinese pages switch language.
    "BABEL_DEFAULT_LOCALE": "en",
    # Unit tests run the engine themselves; what the portal enqueues stays in memory.
    "BROKER_URL": "memory://",
}
CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def make_app(url, **overrides):
    return create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url, **overrides})


@pytest.fixture(scope="session")
def backend(tmp_path_factory):
    os.environ.setdefault("JIYUN_INSTANCE_PATH", str(tmp_path_factory.mktemp("instance")))
    chosen = make_backend(
        os.environ.get("JIYUN_TEST_DB", "sqlite"), tmp_path_factory.mktemp("databases")
    )
    yield chosen
    chosen.close()


def build_template(backend):
    """A database migrated from empty, with the catalog and the test world in it."""
    url = backend.new_url()
    app = make_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        sync_catalog(db.session, None, app.config["CATALOG_DIR"])
        sync_sla_definitions(db.session, None, app.config["SLAS_DIR"])
        world = build_world(db.session)
        db.session.commit()
        db.engine.dispose()
    return url, world


def provisioning_config(directory):
    """The simulated cloud and playbooks, private to one test, answering at once."""
    return {
        "SIMULATED_CLOUD_PATH": str(directory / "simulated-cloud.db"),
        "SIMULATED_BOOT_SECONDS": 0,
        "ANSIBLE_DIR": str(directory / "ansible"),
        "MANAGED_HOSTS_DIR": str(directory / "managed-hosts"),
        "MANAGED_POSTGRES_URL": "postgresql://postgres@127.0.0.1:5432",
        "MANAGED_MYSQL_URL": "mysql://root@127.0.0.1:3306",
    }


@contextmanager
def fresh_app(backend, template_url, **overrides):
    """An app on a fresh clone of the template, dropped afterwards."""
    url = backend.clone(template_url)
    application = make_app(url, **overrides)
    try:
        yield application
    finally:
        with application.app_context():
            db.engine.dispose()
        backend.drop(url)


@pytest.fixture(scope="session")
def template(backend):
    url, world = build_template(backend)
    yield url, world
    backend.drop(url)


@pytest.fixture
def world(template):
    return template[1]


@pytest.fixture
def app(backend, template, tmp_path):
    with fresh_app(backend, template[0], **provisioning_config(tmp_path)) as application:
        yield application


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    """PostgreSQL whatever JIYUN_TEST_DB says, for tests that need its concurrency."""
    try:
        server = PostgresBackend()
    except OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_SERVER}: {error.orig}")
    url, world = build_template(server)
    yield server, url, world
    server.drop(url)
    server.close()


@pytest.fixture
def pg_app(postgres, tmp_path):
    server, url, _world = postgres
    with fresh_app(server, url, **provisioning_config(tmp_path)) as application:
        yield application


@pytest.fixture
def session(app):
    """The database session inside an app context, for tests of service functions."""
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def user(session):
    def get(username):
        return session.scalar(select(User).where(User.username == username))

    return get


@contextmanager
def database(app):
    """A short app context to look at the database between requests."""
    with app.app_context():
        yield db.session
        db.session.rollback()


def csrf_token(client, path="/login"):
    match = CSRF_PATTERN.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username, password=PASSWORD):
    token = csrf_token(client)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def as_user(app):
    """A logged-in test client for a user of the world."""

    def make(username):
        logged_in = app.test_client()
        login(logged_in, username)
        return logged_in

    return make


@pytest.fixture
def api(app, world):
    """A JSON API caller using a user's token: api('member.a').get('/api/v1/me')."""

    class Caller:
        def __init__(self, username):
            self.client = app.test_client()
            self.headers = {"Authorization": f"Bearer {world.tokens[username]}"}

        def get(self, path, **kwargs):
            return self.client.get(path, headers=self.headers, **kwargs)

        def post(self, path, json=None, **kwargs):
            return self.client.post(
                path, json=json if json is not None else {}, headers=self.headers, **kwargs
            )

        def put(self, path, json=None, **kwargs):
            return self.client.put(path, json=json, headers=self.headers, **kwargs)

        def patch(self, path, json=None, **kwargs):
            return self.client.patch(path, json=json, headers=self.headers, **kwargs)

    return Caller


# Billing: test price lists loaded, and a small server of bureau a billed in October.


@pytest.fixture
def prices(tmp_path, session):
    directory = write_price_lists(tmp_path / "prices")
    sync_price_lists(session, None, directory)
    return directory


@pytest.fixture
def october(session, world, prices):
    """A small server of bureau a from 10:00Z on 15 October to the end of the month,
    metered; price list T2 takes over at 16:00Z that day."""
    vm = make_resource(
        session, world.agencies["a"], "vm", [(CREATED, "created", "active", SMALL_VM)], name="web"
    )
    meter(session, CREATED, OCTOBER_END)
    return vm
