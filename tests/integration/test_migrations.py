"""One Alembic head; upgrade from empty, downgrade and upgrade again on both databases;
the models and the migrations agree."""

import os

import flask_migrate
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from portal.extensions import db
from tests.backends import PostgresBackend, SqliteBackend
from tests.conftest import make_app


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    if request.param == "postgresql":
        try:
            backend = PostgresBackend()
        except Exception as error:
            pytest.skip(f"PostgreSQL is not reachable: {error}")
    else:
        backend = SqliteBackend(tmp_path)
    url = backend.new_url()
    yield url
    backend.drop(url)
    backend.close()


def test_there_is_one_head():
    from alembic.config import Config

    from portal.app import MIGRATIONS

    config = Config(os.path.join(MIGRATIONS, "alembic.ini"))
    config.set_main_option("script_location", MIGRATIONS)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_upgrade_from_empty_downgrade_and_again(empty_database):
    app = make_app(empty_database)
    with app.app_context():
        flask_migrate.upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"agencies", "users", "orders", "audit_events", "catalog_items"} <= tables
        flask_migrate.check()  # models and migrations agree: nothing to autogenerate
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade()
        db.engine.dispose()
