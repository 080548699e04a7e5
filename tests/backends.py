"""Test databases: a migrated template with the test world, cloned fresh for each test.

JIYUN_TEST_DB=sqlite (default) copies an SQLite file; JIYUN_TEST_DB=postgresql
clones a PostgreSQL database (CREATE DATABASE … TEMPLATE) on the server named by
JIYUN_TEST_POSTGRES (default: 127.0.0.1:5432, trust auth). Tests create and drop
their own databases.
"""

import os
import shutil
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_SERVER = os.environ.get(
    "JIYUN_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


class SqliteBackend:
    name = "sqlite"

    def __init__(self, directory):
        self.directory = directory

    def new_url(self):
        return f"sqlite:///{self.directory / f'{uuid.uuid4().hex}.db'}"

    def clone(self, template_url):
        url = self.new_url()
        shutil.copyfile(make_url(template_url).database, make_url(url).database)
        return url

    def drop(self, url):
        for suffix in ("", "-wal", "-shm"):
            path = make_url(url).database + suffix
            if os.path.exists(path):
                os.remove(path)

    def close(self):
        """Nothing held open: the files go with the temporary directory."""


class PostgresBackend:
    name = "postgresql"

    def __init__(self, server_url=POSTGRES_SERVER):
        self.server = make_url(server_url)
        self.admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as connection:
            connection.execute(text("SELECT 1"))

    def new_url(self):
        name = f"jiyun_test_{uuid.uuid4().hex[:16]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        return self.server.set(database=name).render_as_string(hide_password=False)

    def clone(self, template_url):
        template = make_url(template_url).database
        name = f"jiyun_test_{uuid.uuid4().hex[:16]}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        return self.server.set(database=name).render_as_string(hide_password=False)

    def drop(self, url):
        name = make_url(url).database
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self):
        self.admin.dispose()


def make_backend(name, directory):
    if name == "postgresql":
        return PostgresBackend()
    return SqliteBackend(directory)
