"""bench/sla: the month's SLA report and vendor scorecards at district scale.

Builds its own PostgreSQL database as a deployment does (bench/billing's Database:
migrate, catalog sync with the SLA definitions, demo seed: 215 agencies), the resources
of October 2026 with bench/billing's plan.sql (--resources, 50,000), then by set-based
SQL (incidents.sql) --vendors vendors (20), --incidents incidents (20,000) with
surveys and expert reviews. Times, through the portal's own functions, the SLA report
(portal.incidents.reports.sla_report) and the scorecards (portal.vendors.scorecards),
beside the floor: the raw aggregate queries those two need, run as bare SQL. Prints the
figures and the ratio; exits 1 when the target (both within 10 s) is missed. The
operations overview of the month (portal.dashboards), the page the platform team opens
most, is timed beside them for information (no target). The database is dropped at the
end (--keep keeps it).
"""

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "billing"))  # bench/billing's database and month

import data  # noqa: E402 - bench/billing/data.py, found through the path above
from measure import END, MONTH, START  # noqa: E402

TARGET_S = 10.0
PERIOD = f"{MONTH:%Y-%m}"
NOW = datetime(2026, 11, 26, tzinfo=UTC)
FLOOR = {
    "incidents by vendor, agency, tier": (
        "SELECT vendor_id, agency_id, sla_tier, count(*), "
        "sum(CASE WHEN response_breached THEN 0 ELSE 1 END), "
        "sum(CASE WHEN resolution_breached THEN 0 ELSE 1 END) "
        "FROM incidents WHERE opened_at >= %(start)s AND opened_at < %(end)s "
        "GROUP BY vendor_id, agency_id, sla_tier"
    ),
    "P1 spans": (
        "SELECT resource_id, opened_at, resolved_at FROM incidents "
        "WHERE priority = 'P1' AND opened_at < %(end)s "
        "AND (resolved_at IS NULL OR resolved_at > %(start)s)"
    ),
    "resolved incidents": (
        "SELECT vendor_id, opened_at, resolved_at FROM incidents WHERE vendor_id IS NOT NULL "
        "AND state IN ('resolved', 'closed') AND resolved_at >= %(start)s "
        "AND resolved_at < %(end)s"
    ),
    "surveys by vendor": (
        "SELECT vendor_id, count(*), avg(score) FROM satisfaction_surveys "
        "WHERE created_at >= %(start)s AND created_at < %(end)s GROUP BY vendor_id"
    ),
}


def parse_args():
    parser = argparse.ArgumentParser(prog="bench/sla/run", description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=int, default=50_000)
    parser.add_argument("--vendors", type=int, default=20)
    parser.add_argument("--incidents", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default="jiyun_bench_sla")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    args = parser.parse_args()
    if not args.database.startswith("jiyun_bench"):
        parser.error("--database must start with jiyun_bench: the benchmark drops it")
    if min(args.resources, args.vendors, args.incidents, args.rounds) < 1:
        parser.error("sizes and --rounds must be positive")
    return args


def build(database, args):
    database.create()
    with database.connect() as conn:
        database.plan(conn, args.resources, START, END)
        conn.commit()
        params = {
            "vendors": args.vendors,
            "incidents": args.incidents,
            "month_start": START,
            "month_end": END,
            "period": PERIOD,
        }
        with psycopg.ClientCursor(conn) as cursor:
            cursor.execute((HERE / "incidents.sql").read_text(), params)
        conn.commit()
        return dict(
            zip(
                ("vendors", "agencies", "resources", "incidents", "p1", "surveys"),
                conn.execute(
                    "SELECT (SELECT count(*) FROM vendors), (SELECT count(*) FROM agencies), "
                    "(SELECT count(*) FROM resources), (SELECT count(*) FROM incidents), "
                    "(SELECT count(*) FROM incidents WHERE priority = 'P1'), "
                    "(SELECT count(*) FROM satisfaction_surveys)"
                ).fetchone(),
                strict=True,
            )
        )


def floor(database):
    """The raw aggregate queries, as bare SQL on one connection: seconds."""
    with database.connect() as conn:
        began = time.perf_counter()
        for statement in FLOOR.values():
            conn.execute(statement, {"start": START, "end": END}).fetchall()
        return time.perf_counter() - began


def portal_run(app):
    """sla_report, scorecards and the operations overview for the month, as the platform
    operator: seconds each."""
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.dashboards.figures import operations_dashboard
    from portal.extensions import db
    from portal.incidents.reports import sla_report
    from portal.vendors.scorecards import parse_period, scorecards

    with app.app_context():
        session = db.session
        operator = session.scalar(select(User).where(User.username == "operator"))
        period = parse_period(PERIOD)
        began = time.perf_counter()
        lines = sla_report(session, operator, period, now=NOW)
        reported = time.perf_counter()
        cards = scorecards(session, operator, period, now=NOW)
        scored = time.perf_counter()
        operations_dashboard(session, operator, MONTH, NOW)
        overview = time.perf_counter()
        db.session.remove()
    return reported - began, scored - reported, overview - scored, len(lines), cards


def main():
    args = parse_args()
    database = data.Database(args.database)
    os.environ.update(database.env)
    from portal import create_app
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url})
    try:
        print(f"building: {args.resources:,} resources, {args.incidents:,} incidents", flush=True)
        counts = build(database, args)
        portal_run(app)  # warm-up: the calendars' days, the connection pool
        floor(database)
        rounds = []
        for number in range(1, args.rounds + 1):
            bare = floor(database)
            report_s, cards_s, overview_s, lines, cards = portal_run(app)
            rounds.append((bare, report_s, cards_s, overview_s))
            print(
                f"  round {number}: floor {bare:.2f} s, SLA report {report_s:.2f} s "
                f"({lines:,} lines), scorecards {cards_s:.2f} s ({len(cards)} vendors), "
                f"operations overview {overview_s:.2f} s",
                flush=True,
            )
    finally:
        with app.app_context():
            db.engine.dispose()
        database.close(keep=args.keep)
    bare = statistics.median(r[0] for r in rounds)
    report_s = statistics.median(r[1] for r in rounds)
    cards_s = statistics.median(r[2] for r in rounds)
    overview_s = statistics.median(r[3] for r in rounds)
    total = report_s + cards_s
    print(
        f"\nbench/sla  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} shared cores, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{PERIOD}: {counts['vendors']} vendors, {counts['agencies']} agencies, "
        f"{counts['resources']:,} resources, {counts['incidents']:,} incidents "
        f"({counts['p1']:,} P1), {counts['surveys']:,} surveys"
    )
    print(f"floor (the raw aggregate queries)   {bare:6.2f} s  1.00")
    print(f"SLA report                          {report_s:6.2f} s  {report_s / bare:.2f}")
    print(f"scorecards                          {cards_s:6.2f} s  {cards_s / bare:.2f}")
    print(f"both                                {total:6.2f} s  {total / bare:.2f} x floor")
    print(f"operations overview (no target)     {overview_s:6.2f} s")
    passed = total <= TARGET_S
    verdict = "PASS" if passed else "FAIL"
    print(f"\n{verdict}  SLA report and scorecards {total:.2f} s (target <= {TARGET_S:.0f} s)")
    print("top of the month:", ", ".join(f"{c.rank}. {c.vendor.code} {c.score}" for c in cards[:3]))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
