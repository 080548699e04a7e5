"""bench/billing: metering, the month's bill run and bill exports on a realistic month.

Builds its own PostgreSQL database with the demo district (215 agencies) and
--resources resources (50,000) with their orders and lifecycle events, and the usage
records of every hour of October 2026 (Asia/Shanghai) written by set-based SQL, and
its days rolled up by the portal (each timed: the metering task does one a day). Then
times one metering tick, the bill run for every agency beside its floor (one raw
GROUP BY over the same rows), the exports of the largest agency's bill, and the bill
run's memory at a quarter and all of the rows; prints the figures with PASS/FAIL
against the issue's targets and writes them to bench/out/billing.json. The database
is dropped at the end (--keep keeps it), also on Ctrl-C or a failure.

Run it with bench/billing/run [options] (this is its main.py); --help lists them.
"""

import argparse
import os
import platform
import signal
import sys
import time
import traceback
from datetime import UTC, datetime

import data
import measure
import report
from measure import END, START, median

FORMATS = ("csv", "xlsx", "pdf")
OUT = data.ROOT / "bench" / "out" / "billing.json"


def parse_args():
    parser = argparse.ArgumentParser(prog="bench/billing/run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--resources", type=int, default=50_000, help="resources in the month (50000)"
    )
    parser.add_argument("--rounds", type=int, default=2, help="floor/bill run pairs (2)")
    parser.add_argument("--ticks", type=int, default=3, help="metering ticks timed (3)")
    parser.add_argument("--exports", type=int, default=2, help="runs of each export (2)")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated")
    parser.add_argument("--no-explain", action="store_true", help="skip EXPLAIN ANALYZE")
    parser.add_argument("--database", default="jiyun_bench_billing")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    args = parser.parse_args()
    args.formats = [f for f in args.formats.split(",") if f]
    if unknown := set(args.formats) - set(FORMATS):
        parser.error(f"unknown format(s): {', '.join(sorted(unknown))}")
    if args.resources < 100:
        parser.error("--resources must be at least 100")
    if min(args.rounds, args.ticks, args.exports) < 1:
        parser.error("--rounds, --ticks and --exports must be at least 1")
    if not args.database.startswith("jiyun_bench"):
        parser.error("--database must start with jiyun_bench: the benchmark drops it")
    return args


class Stopwatch:
    def __init__(self):
        self.parts = {}

    def __call__(self, name):
        stopwatch = self

        class _Part:
            def __enter__(self):
                self.began = time.monotonic()

            def __exit__(self, *_exc):
                stopwatch.parts[name] = time.monotonic() - self.began

        return _Part()


def build(database, args, app, clock, figures):
    """The database and its month; the bill run's memory at a quarter of the rows."""
    watch = Stopwatch()
    print(f"setting up database {database.name}", flush=True)
    with watch("setup"):
        database.create()
    print(f"building October 2026: {args.resources:,} resources", flush=True)
    with database.connect() as conn:
        for setting in ("synchronous_commit = off", "work_mem = '256MB'"):
            conn.execute(f"SET {setting}")
        conn.execute("SET maintenance_work_mem = '1GB'")
        with watch("plan"):
            database.plan(conn, args.resources, START, END)
            conn.commit()
        schema = database.usage_schema(conn)
        database.drop_usage_schema(conn, schema)
        with watch("usage_quarter"):
            quarter = database.load_usage(
                conn, START, END, every=4, parts=[0], label="a quarter of the resources"
            )
        database.mark_metered(conn)
        conn.execute("ANALYZE usage_records")
        conn.commit()
        print("  the days rolled up, as the metering task does", flush=True)
        measure.roll_up(app)
        print(f"bill run at {quarter / 1e6:.1f}M rows (memory; once to warm up)", flush=True)
        measure.bill_run(app, clock)
        figures["memory"] = {
            "quarter": {"rows": quarter, **measure.bill_run(app, clock, trace=True)}
        }
        with watch("usage_rest"):
            rest = database.load_usage(
                conn, START, END, every=4, parts=[1, 2, 3], label="the other three quarters"
            )
        print("  constraints and indexes of usage_records, as migrated:", flush=True)
        with watch("indexes"):
            database.restore_usage_schema(conn, schema)
        database.mark_metered(conn)
        counts = database.counts(conn)
    with watch("vacuum"), database.connect(autocommit=True) as conn:
        print("  VACUUM ANALYZE usage_records", flush=True)
        conn.execute("VACUUM (ANALYZE) usage_records")
    print("  the 31 days rolled up again, each timed", flush=True)
    with watch("rollup"):
        rolled = measure.roll_up(app, rebuild=True)
    with watch("vacuum_rollup"), database.connect(autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) usage_days")
        sizes = database.table_sizes(conn)
    figures["rollup"] = {"median_s": median(rolled), "max_s": max(rolled), "days_s": rolled}
    figures["data"] = {
        **counts,
        "hours": int((END - START).total_seconds() // 3600),
        "usage_rows": quarter + rest,
        "usage_records_bytes": sizes.get("usage_records"),
        "usage_days_bytes": sizes.get("usage_days"),
        "build_seconds": watch.parts,
    }
    with watch("check"):
        hours = measure.telling_hours(app)
        compared = measure.check_usage(app, hours)
    figures["data"]["checked"] = {"hours": hours, "records": compared}
    print(
        f"  checked {compared:,} generated records of {len(hours)} hours against "
        "portal.billing.metering: equal",
        flush=True,
    )


def timings(args, app, clock, figures):
    print(f"metering tick: {measure.TICK_HOUR:%Y-%m-%d %H:%M}Z x {args.ticks}", flush=True)
    ticks = []
    for _ in range(args.ticks):
        ticks.append(measure.tick(app, clock))
        print(
            f"  {ticks[-1]['seconds']:.2f} s: {ticks[-1]['resources']:,} resources, "
            f"{ticks[-1]['records']:,} records",
            flush=True,
        )
    figures["tick"] = {
        "median_s": median([t["seconds"] for t in ticks]),
        "runs_s": [t["seconds"] for t in ticks],
        "records": ticks[0]["records"],
        "resources": ticks[0]["resources"],
        "sql_s": median([t["sql_seconds"] for t in ticks]),
        "statements": ticks[-1]["statements"],
    }

    rows = figures["data"]["usage_rows"]
    print(f"bill run at {rows / 1e6:.1f}M rows (memory; warms up, not timed)", flush=True)
    measure.floor(app)
    figures["memory"]["full"] = {"rows": rows, **measure.bill_run(app, clock, trace=True)}
    memory = figures["memory"]
    memory["growth"] = memory["full"]["tracemalloc_peak"] / memory["quarter"]["tracemalloc_peak"]
    memory["row_growth"] = rows / memory["quarter"]["rows"]

    print(f"floor and bill run, interleaved, {args.rounds} round(s)", flush=True)
    floors, serials, bills = [], [], []
    for number in range(1, args.rounds + 1):
        floors.append(measure.floor(app))
        serials.append(measure.floor(app, parallel=False))
        bills.append(measure.bill_run(app, clock))
        print(
            f"  round {number}: floor {floors[-1]['seconds']:.2f} s "
            f"(without parallel workers {serials[-1]['seconds']:.2f} s), "
            f"bill run {bills[-1]['seconds']:.2f} s",
            flush=True,
        )
    figures["floor"] = {
        "median_s": median([f["seconds"] for f in floors]),
        "runs_s": [f["seconds"] for f in floors],
        "groups": floors[0]["groups"],
        "sql": measure.FLOOR,
    }
    figures["floor_serial"] = {
        "median_s": median([f["seconds"] for f in serials]),
        "runs_s": [f["seconds"] for f in serials],
    }
    figures["bill_run"] = {
        "median_s": median([b["seconds"] for b in bills]),
        "runs_s": [b["seconds"] for b in bills],
        "bills": bills[0]["bills"],
        "lines": bills[0]["lines"],
        "statements": bills[-1]["statements"],
        "rss_peak_rise": [b["rss_peak_rise"] for b in bills],
    }

    if not args.no_explain and clock.rating:
        print("EXPLAIN ANALYZE of the rating INSERT … SELECT and of the floor", flush=True)
        figures["explain"] = {
            "rating_insert": measure.explain(app, *clock.rating),
            "floor": measure.explain_floor(app),
        }

    bill_id = measure.largest_bill_id(app)
    figures["exports"] = {}
    for fmt in args.formats:
        runs = [measure.export_bill(app, bill_id, fmt) for _ in range(args.exports)]
        figures["exports"][fmt] = {
            "median_s": median([r["seconds"] for r in runs]),
            "runs_s": [r["seconds"] for r in runs],
            "document_s": median([r["document_seconds"] for r in runs]),
            "file_s": median([r["file_seconds"] for r in runs]),
            "bytes": runs[0]["bytes"],
            "lines": runs[0]["lines"],
            "agency": runs[0]["filename"].rsplit(".", 1)[0],
        }
        print(f"  export {fmt}: {figures['exports'][fmt]['median_s']:.2f} s", flush=True)


def present(args, figures, started, loads):
    found = report.verdicts(figures)
    info = figures["data"]
    build = info["build_seconds"]
    print(
        f"\nbench/billing  {started:%Y-%m-%d %H:%M} UTC  {os.cpu_count()} cores shared with "
        f"other work (load average {loads[0][0]:.1f} before, {loads[1][0]:.1f} after)"
    )
    print(
        f"October 2026 (Asia/Shanghai, {info['hours']} hours): {info['agencies']} agencies, "
        f"{info['resources']:,} resources ({info['created_in_month']:,} made and "
        f"{info['stopped']:,} stopped during the month), "
        f"{info['usage_rows']:,} usage records "
        f"({(info['usage_records_bytes'] or 0) / 2**30:.1f} GiB with indexes; their daily "
        f"rollups {(info['usage_days_bytes'] or 0) / 2**30:.2f} GiB)"
    )
    print(
        "built in "
        + ", ".join(f"{name} {spent:.0f} s" for name, spent in build.items())
        + f" ({sum(build.values()) / 60:.1f} min)"
    )
    print()
    print(report.table(figures))
    for name in ("bill_run", "tick"):
        spent = ", ".join(
            f"{s['statement']} {s['seconds']:.2f} s" + (f" x{s['count']}" if s["count"] > 1 else "")
            for s in figures[name]["statements"][:4]
        )
        print(f"{name.replace('_', ' ')}: SQL {spent}")
    plan = figures.get("explain", {}).get("rating_insert")
    if plan:
        print("the rating INSERT … SELECT, EXPLAIN ANALYZE (whole plan in the JSON):")
        for line in report.plan_summary(plan):
            print(f"  {line}")
    print()
    for passed, text in found:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    report.write_json(
        OUT,
        {
            "benchmark": "bench/billing",
            "started": started.isoformat(),
            "machine": {
                "cores": os.cpu_count(),
                "platform": platform.platform(),
                "shared_with_other_work": True,
                "load_average_before": loads[0],
                "load_average_after": loads[1],
            },
            "settings": vars(args),
            "targets": {
                "max_bill_over_floor": report.MAX_BILL_OVER_FLOOR,
                "max_tick_s": report.MAX_TICK_S,
                "max_export_s": report.MAX_EXPORT_S,
                "max_memory_growth": report.MAX_MEMORY_GROWTH,
            },
            "figures": figures,
            "verdicts": [{"passed": passed, "target": text} for passed, text in found],
        },
    )
    print(f"\nwritten to {OUT.relative_to(data.ROOT)}")
    return 0 if all(passed for passed, _ in found) else 1


def main():
    args = parse_args()
    # SIGTERM and SIGHUP unwind like Ctrl-C, through the `finally` that drops the database.
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, lambda signum, _frame: sys.exit(128 + signum))
    database = data.Database(args.database)
    os.environ.update(database.env)
    from portal import create_app  # after the environment names the database
    from portal.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url})
    with app.app_context():
        clock = measure.StatementClock(db.engine)
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    figures = {}
    try:
        build(database, args, app, clock, figures)
        timings(args, app, clock, figures)
    except RuntimeError as error:
        print(f"bench/billing failed: {error}", file=sys.stderr)
        return 2
    except Exception:  # the benchmark itself failed, not a target: say where
        traceback.print_exc()
        print("bench/billing failed", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        with app.app_context():
            db.engine.dispose()
        print("tearing down (database)", flush=True)
        database.close(keep=args.keep)
    return present(args, figures, started, (load_before, os.getloadavg()))


if __name__ == "__main__":
    sys.exit(main())
