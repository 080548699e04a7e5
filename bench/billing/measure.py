"""The timed parts of bench/billing, through the portal's own functions in this process.

Every figure is wall time around the portal's function and the commit a task or a
request would make after it; the SQL each one sent is timed on the side (a cursor
event) to say where the time went.
"""

import gc
import re
import statistics
import time
import tracemalloc
from collections import defaultdict
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import event, func, select, text

from billing.exports import export
from portal.accounts.models import User
from portal.billing.documents import bill_document
from portal.billing.metering import _usage, meter_hour
from portal.billing.models import Bill, BillLine
from portal.billing.periods import HOUR, day_end, month_bounds
from portal.billing.rollup import pending_days, roll_up_day
from portal.billing.service import generate_bills
from portal.extensions import db

MONTH = date(2026, 10, 1)  # the 2026.10 price list starts mid-month, on the 16th
NOW = datetime(2026, 11, 26, tzinfo=UTC)  # the month has ended, and been metered
START, END = month_bounds(MONTH)
TICK_HOUR = END  # the first hour of November: every resource is live
FLOOR = (
    "SELECT agency_id, metric, sum(quantity) FROM usage_records "
    "WHERE hour >= :start AND hour < :end GROUP BY agency_id, metric"
)
RATING_INSERT = re.compile(r"INSERT INTO bill_lines .*FROM usage_(days|records)", re.S)


class StatementClock:
    """Times every statement the engine sends while `on`; keeps the last rating INSERT
    (statement and parameters) for EXPLAIN ANALYZE."""

    def __init__(self, engine):
        self.on = False
        self.spent = defaultdict(lambda: [0, 0.0])  # label → [count, seconds]
        self.rating = None
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    @contextmanager
    def recording(self):
        self.spent.clear()
        self.on = True
        try:
            yield self.spent
        finally:
            self.on = False

    def _before(self, conn, _cursor, statement, parameters, _context, _many):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())
        if RATING_INSERT.search(statement):
            self.rating = (statement, parameters)

    def _after(self, conn, _cursor, statement, _parameters, _context, _many):
        seconds = time.perf_counter() - conn.info["bench_started"].pop()
        if self.on:
            entry = self.spent[label(statement)]
            entry[0] += 1
            entry[1] += seconds

    def top(self, limit=6):
        rows = sorted(self.spent.items(), key=lambda item: -item[1][1])[:limit]
        return [{"statement": key, "count": n, "seconds": round(s, 3)} for key, (n, s) in rows]


def label(statement):
    """A statement's kind and first table, e.g. "INSERT bill_lines … usage_records"."""
    words = " ".join(statement.split())
    verb = words.split(" ", 1)[0].upper()
    tables = re.findall(r"\b(?:INTO|FROM|UPDATE)\s+([a-z_]+)", words, re.I)
    seen = list(dict.fromkeys(t for t in tables if t.lower() not in ("select",)))
    return f"{verb} {' '.join(seen[:2])}".strip()


def median(values):
    return statistics.median(values) if values else None


# -- memory ------------------------------------------------------------------------------


def _status(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


@contextmanager
def peak_rss():
    """The rise of this process's peak resident set over the block, in bytes: the peak
    (VmHWM) is reset first (/proc/self/clear_refs, Linux)."""
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")
    before = _status("VmRSS")
    result = {}
    try:
        yield result
    finally:
        result["rss_peak_rise"] = max(_status("VmHWM") - before, 0)
        result["rss_before"] = before


# -- the parts ---------------------------------------------------------------------------


def finance_officer(session):
    return session.scalar(select(User).where(User.username == "finance"))


def delete_bills(session):
    """Untimed, between bill runs: every run makes the month's bills afresh, as the first
    run of a month does (lines and rates go with their bills)."""
    session.execute(text("DELETE FROM bills WHERE month = :month"), {"month": MONTH})
    session.commit()


def bill_run(app, clock, *, trace=False):
    """generate_bills for every agency plus the commit; wall seconds, memory and the
    statements it sent."""
    with app.app_context():
        session = db.session
        actor = finance_officer(session)
        delete_bills(session)
        if trace:
            tracemalloc.start()
        with peak_rss() as memory, clock.recording():
            began = time.perf_counter()
            report = generate_bills(session, actor, MONTH, now=NOW)
            session.commit()
            seconds = time.perf_counter() - began
        if trace:
            memory["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        lines = session.scalar(
            select(func.count()).select_from(BillLine).join(Bill).where(Bill.month == MONTH)
        )
        result = {
            "seconds": seconds,
            "bills": len(report.created) + len(report.regenerated),
            "lines": lines,
            "statements": clock.top(),
            **memory,
        }
        db.session.remove()
    return result


def roll_up(app, *, rebuild=False):
    """Roll up October's days with the portal's function, each with its commit, as the
    metering task does once a day's last hour is metered: the days pending, or with
    `rebuild` every day again (more rows were loaded). Each day's wall seconds."""
    with app.app_context():
        session = db.session
        if rebuild:
            days, day = [], START
            while day < END:
                days.append(day)
                day = day_end(day)
        else:
            days = [day for day in pending_days(session, NOW) if START <= day < END]
        spent = []
        for day in days:
            began = time.perf_counter()
            roll_up_day(session, day, now=NOW)
            session.commit()
            spent.append(time.perf_counter() - began)
        db.session.remove()
    if len(spent) != 31:
        raise RuntimeError(f"{len(spent)} days of October rolled up, not 31")
    return spent


def floor(app, *, parallel=True):
    """The floor: one raw GROUP BY over the month's rows (PostgreSQL's own parallel
    plan unless parallel=False)."""
    with app.app_context(), db.engine.connect() as conn:
        if not parallel:
            conn.execute(text("SET max_parallel_workers_per_gather = 0"))
        began = time.perf_counter()
        rows = conn.execute(text(FLOOR), {"start": START, "end": END}).all()
        seconds = time.perf_counter() - began
        conn.rollback()
    return {"seconds": seconds, "groups": len(rows), "parallel": parallel}


def tick(app, clock):
    """meter_hour for the first hour of November plus the commit; its records are
    deleted afterwards (untimed) so the next repeat meters the same hour."""
    with app.app_context():
        session = db.session
        with clock.recording():
            began = time.perf_counter()
            written = meter_hour(session, TICK_HOUR, now=NOW)
            session.commit()
            seconds = time.perf_counter() - began
        sql = sum(seconds for _count, seconds in clock.spent.values())
        statements = clock.top()
        params = {"hour": TICK_HOUR}
        resources = session.scalar(
            text("SELECT resources FROM metered_hours WHERE hour = :hour"), params
        )
        session.execute(text("DELETE FROM usage_records WHERE hour = :hour"), params)
        session.execute(text("DELETE FROM metered_hours WHERE hour = :hour"), params)
        session.commit()
        db.session.remove()
    if not written:
        raise RuntimeError("the metering tick wrote nothing")
    return {
        "seconds": seconds,
        "records": written,
        "resources": resources,
        "sql_seconds": sql,
        "statements": statements,
    }


def largest_bill_id(app):
    with app.app_context():
        bill_id = db.session.scalar(
            select(Bill.id)
            .join(BillLine)
            .where(Bill.month == MONTH)
            .group_by(Bill.id)
            .order_by(func.count().desc())
            .limit(1)
        )
        db.session.remove()
    return bill_id


def export_bill(app, bill_id, fmt):
    """The export a finance officer downloads: the bill's document built from the
    database, then the file."""
    with app.test_request_context(), app.app_context():
        session = db.session
        bill = session.get(Bill, bill_id)
        began = time.perf_counter()
        document = bill_document(session, bill, "zh_CN")
        built = time.perf_counter()
        data, _mimetype, filename = export("bill", fmt, document, "zh_CN")
        done = time.perf_counter()
        db.session.remove()
    return {
        "seconds": done - began,
        "document_seconds": built - began,
        "file_seconds": done - built,
        "bytes": len(data),
        "lines": len(document.lines),
        "filename": filename,
    }


def check_usage(app, hours):
    """The generated records of these hours equal what portal.billing.metering computes
    from the same resources and lifecycle events; returns the records compared."""
    compared = 0
    with app.app_context():
        session = db.session
        for hour in hours:
            _resources, rows = _usage(session, hour, hour + HOUR)
            expected = {
                (r["resource_id"], r["metric"], r["dimension"], r["agency_id"], r["sla_tier"]): r[
                    "quantity"
                ]
                for r in rows
            }
            found = {
                tuple(row[:5]): row[5]
                for row in session.execute(
                    text(
                        "SELECT resource_id, metric, dimension, agency_id, sla_tier, quantity "
                        "FROM usage_records WHERE hour = :hour"
                    ),
                    {"hour": hour},
                )
            }
            if found != expected:
                wrong = sorted(set(found.items()) ^ set(expected.items()))[:5]
                raise RuntimeError(
                    f"generated usage of {hour:%Y-%m-%d %H:%M}Z differs from metering "
                    f"({len(found)} vs {len(expected)} records), e.g. {wrong}"
                )
            compared += len(found)
        db.session.remove()
    return compared


def telling_hours(app):
    """Hours worth checking: the first, the last, and those with the most creations
    and stops inside them."""
    hours = {START, END - HOUR}
    with app.app_context():
        for kind in ("created", "stopped"):
            busiest = db.session.scalar(
                text(
                    "SELECT date_trunc('hour', occurred_at) FROM lifecycle_events "
                    "WHERE kind = :kind AND occurred_at > :start AND occurred_at < :end "
                    "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
                ),
                {"kind": kind, "start": START, "end": END},
            )
            if busiest is not None:
                hours.add(busiest.astimezone(UTC))
        db.session.remove()
    return sorted(hours)


def explain(app, statement, parameters):
    """EXPLAIN (ANALYZE, BUFFERS) of a statement, rolled back; the plan's text."""
    with app.app_context(), db.engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, VERBOSE) {statement}", parameters)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            conn.connection.driver_connection.rollback()


def explain_floor(app):
    with app.app_context(), db.engine.connect() as conn:
        plan = conn.execute(
            text(f"EXPLAIN (ANALYZE, BUFFERS) {FLOOR}"), {"start": START, "end": END}
        ).scalars()
        text_plan = "\n".join(plan)
        conn.rollback()
    return text_plan
