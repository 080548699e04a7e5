"""What bench/billing stands up and tears down: its own database and a month of usage.

The database is made as a deployment makes it (migrate, catalog sync, demo seed,
price lists, through the flask CLI); the month is written by set-based SQL
(plan.sql, usage.sql), never row by row from Python.
"""

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import psycopg

from billing.metrics import DEFAULT_STOPPED_METRICS

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "bench" / "billing"
BIN = ROOT / ".venv" / "bin"
SERVER = "postgresql://postgres@127.0.0.1:5432"
HOUR = timedelta(hours=1)


def _run(argv, env, label):
    """Run a setup step; on failure show its output and stop."""
    print(f"  {label}", flush=True)
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{label} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Database:
    """The benchmark's database. close() drops it (unless kept); main runs it in a
    `finally`, so also after Ctrl-C, SIGTERM or a failed step."""

    def __init__(self, name):
        self.name = name
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-billing-"))
        self.created = False
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "JIYUN_DATABASE_URL": self.url,
            "JIYUN_SECRET_KEY": os.environ.get("JIYUN_SECRET_KEY") or secrets.token_urlsafe(32),
            "JIYUN_INSTANCE_PATH": str(self.tmp / "instance"),
        }

    def connect(self, **kwargs):
        return psycopg.connect(f"{SERVER}/{self.name}", **kwargs)

    def _admin(self, statement):
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(statement)

    # -- the portal's own setup -----------------------------------------------------------

    def create(self):
        self.drop()  # a leftover of an interrupted earlier run
        self._admin(f'CREATE DATABASE "{self.name}"')
        self.created = True
        flask = [BIN / "flask", "--app", "portal"]
        _run([*flask, "db", "upgrade"], self.env, "flask db upgrade")
        _run([*flask, "catalog", "sync"], self.env, "flask catalog sync")
        _run([*flask, "demo", "seed"], self.env, "flask demo seed")
        _run([*flask, "billing", "prices", "--as", "finance"], self.env, "flask billing prices")

    def drop(self):
        # FORCE ends the connections of anything still attached (PostgreSQL 13+).
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.created = False

    def close(self, keep=False):
        shutil.rmtree(self.tmp, ignore_errors=True)  # the instance folder of this run
        if self.created and not keep:
            self.drop()
        elif self.created:
            print(f"kept database {self.name} ({self.url})")

    # -- the month ------------------------------------------------------------------------

    def plan(self, conn, resources, start, end):
        """Orders, resources, lifecycle events, and the accrual table usage.sql reads."""
        self.month_start = start
        params = {
            "resources": resources,
            "month_start": start,
            "month_end": end,
            "hours": int((end - start) / HOUR),
            "default_stopped": json.dumps(list(DEFAULT_STOPPED_METRICS)),
        }
        with psycopg.ClientCursor(conn) as cursor:
            cursor.execute((HERE / "plan.sql").read_text(), params)

    def load_usage(self, conn, start, end, *, every, parts, label):
        """usage.sql a day at a time for the resources with mod(n, every) in parts."""
        statement = (HERE / "usage.sql").read_text()
        days = []
        day = start
        while day < end:
            days.append((day, min(day + 24 * HOUR, end)))
            day += 24 * HOUR
        rows, began = 0, time.monotonic()
        for number, (first, after) in enumerate(days, 1):
            params = {"first": first, "last": after - HOUR, "every": every, "parts": parts}
            cursor = conn.execute(statement, params)
            rows += cursor.rowcount
            conn.commit()
            if number == len(days) or number % 4 == 0:
                spent = time.monotonic() - began
                print(
                    f"    {label}: day {number}/{len(days)}, {rows / 1e6:.1f}M rows, "
                    f"{spent:.0f}s ({rows / max(spent, 1e-9) / 1e3:.0f}k rows/s)",
                    flush=True,
                )
        return rows

    def usage_schema(self, conn):
        """The constraints and indexes of usage_records as the migration made them."""
        constraints = conn.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'usage_records'::regclass ORDER BY contype, conname"
        ).fetchall()
        names = {name for name, _type, _definition in constraints}
        indexes = [
            (name, definition)
            for name, definition in conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename = 'usage_records' ORDER BY indexname"
            )
            if name not in names
        ]
        return {"constraints": constraints, "indexes": indexes}

    def drop_usage_schema(self, conn, schema):
        """For the bulk load: rows in first, then each index built once, sorted."""
        for name, _definition in schema["indexes"]:
            conn.execute(f'DROP INDEX "{name}"')
        for name, _type, _definition in schema["constraints"]:  # foreign keys first
            conn.execute(f'ALTER TABLE usage_records DROP CONSTRAINT "{name}"')
        conn.commit()

    def restore_usage_schema(self, conn, schema):
        """The same constraints and indexes again (foreign keys validated)."""
        for name, _type, definition in reversed(schema["constraints"]):  # the key first
            print(f"    {name}", flush=True)
            conn.execute(f'ALTER TABLE usage_records ADD CONSTRAINT "{name}" {definition}')
            conn.commit()
        for name, definition in schema["indexes"]:
            print(f"    {name}", flush=True)
            conn.execute(definition)
            conn.commit()
        if self.usage_schema(conn) != schema:
            raise RuntimeError("usage_records' constraints and indexes differ after the load")

    def mark_metered(self, conn):
        """metered_hours for every hour that has records, as metering leaves them: the
        live resources and the records written."""
        conn.execute(
            """
            INSERT INTO metered_hours (hour, metered_at, resources, records)
            SELECT u.hour, u.hour + interval '65 minutes',
                   (SELECT count(*) FROM resources r
                    WHERE r.created_at < u.hour + interval '1 hour'
                      AND (r.deleted_at IS NULL OR r.deleted_at >= u.hour)),
                   u.records
            FROM (SELECT hour, count(*) AS records FROM usage_records GROUP BY hour) u
            ON CONFLICT (hour) DO UPDATE
                SET resources = excluded.resources, records = excluded.records
            """
        )
        conn.commit()

    def counts(self, conn):
        """The month's agencies, and the resources and events plan.sql made."""
        return dict(
            zip(
                ("agencies", "resources", "lifecycle_events", "stopped", "created_in_month"),
                conn.execute(
                    "SELECT (SELECT count(*) FROM agencies), (SELECT count(*) FROM bench_plan), "
                    "(SELECT count(*) FROM lifecycle_events e JOIN bench_plan p "
                    " ON p.resource_id = e.resource_id), "
                    "(SELECT count(*) FROM bench_plan WHERE stopped_at IS NOT NULL), "
                    "(SELECT count(*) FROM bench_plan WHERE created_at > %s)",
                    (self.month_start,),
                ).fetchone(),
                strict=True,
            )
        )

    def table_sizes(self, conn):
        return dict(
            conn.execute(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "WHERE c.relname IN "
                "('usage_records', 'usage_days', 'bill_lines', 'lifecycle_events')"
            ).fetchall()
        )
