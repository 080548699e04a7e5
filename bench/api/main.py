"""bench/api: the portal's API under gunicorn on PostgreSQL, beside a bare Flask app.

Creates its own database with the demo district, starts the portal and the bare app
(bench/api/bare.py) under the same gunicorn settings, then measures each scenario,
portal and bare interleaved, in two phases: throughput with wrk (32 closed-loop
connections by default), and latency with paced.py (requests due at --rate per
second over as many connections). Prints requests/s, p50/p99, errors and the
portal/bare ratio with PASS/FAIL against the issue's targets, and writes it all to
bench/out/api-<timestamp>.json. Everything it started
is stopped and its database dropped at the end, also on Ctrl-C or a failure.

Run it with bench/api/run [options] (this is its main.py); --help lists them.
"""

import argparse
import json
import os
import platform
import resource
import signal
import subprocess
import sys
from datetime import UTC, datetime

import paced
import report
from stack import HERE, ROOT, Stack, busy_cpu_seconds, children_cpu_seconds

SCENARIOS = ("catalog", "orders", "submit")
PHASES = ("throughput", "latency")
APPS = {"portal": "portal:create_app()", "bare": "bench.api.bare:app"}
SMOKE = {  # scenario → (method, path, body) for the check before any load
    "catalog": ("GET", "/api/v1/catalog/items", None),
    "orders": ("GET", "/api/v1/orders", None),
    "submit": (
        "POST",
        "/api/v1/orders",
        '{"item": "volume", "parameters": {"volume_name": "smoke-1", "size_gb": 10, '
        '"volume_type": "standard", "purpose": "bench"}}',
    ),
}


def parse_args():
    parser = argparse.ArgumentParser(prog="bench/api/run", description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per run (15)")
    parser.add_argument("--warmup", type=int, default=3, help="unrecorded seconds first (3)")
    parser.add_argument(
        "--rounds", type=int, default=2, help="portal/bare pairs per scenario, alternating (2)"
    )
    parser.add_argument("--connections", type=int, default=32, help="concurrent clients (32)")
    parser.add_argument(
        "--rate", type=float, default=100.0, help="requests/s due in the latency phase (100)"
    )
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (2 cores)")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument("--phases", default=",".join(PHASES), help="comma-separated")
    parser.add_argument("--prefill", type=int, default=60, help="orders per member's agency")
    parser.add_argument("--database", default="jiyun_bench_api")
    parser.add_argument("--port", type=int, default=18470, help="portal; bare is port+1")
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    args = parser.parse_args()
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    if unknown := set(args.scenarios) - set(SCENARIOS):
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    args.phases = [p for p in args.phases.split(",") if p]
    if unknown := set(args.phases) - set(PHASES):
        parser.error(f"unknown phase(s): {', '.join(sorted(unknown))}")
    if min(args.duration, args.rounds, args.connections, args.rate) < 1:
        parser.error("--duration, --rounds, --connections and --rate must be at least 1")
    if not args.database.startswith("jiyun_bench"):
        parser.error("--database must start with jiyun_bench: the benchmark drops it")
    return args


def wrk(stack, args, scenario, target, seconds, tag):
    """One wrk run; returns load.lua's JSON summary."""
    out = stack.tmp / f"{tag}.json"
    env = {
        **os.environ,
        "BENCH_SCENARIO": scenario,
        "BENCH_TOKENS": str(stack.tokens_file),
        "BENCH_TAG": tag,
        "BENCH_OUT": str(out),
    }
    argv = ["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections)]
    argv += ["-d", f"{seconds}s", "--timeout", "10s", "-s", str(HERE / "load.lua")]
    argv.append(f"http://127.0.0.1:{stack.ports[target]}")
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(out.read_text())


def smoke(stack):
    """Every scenario answers 2xx on both apps before any figure is taken."""
    for target in APPS:
        for method, path, body in SMOKE.values():
            status, text = stack.call(target, method, path, body)
            if not 200 <= status < 300:
                raise RuntimeError(f"{target} {method} {path}: {status} {text[:500]}")


def measure(stack, args, scenarios, phase):
    """The recorded runs of one phase: "throughput" (wrk, closed loop, as fast as the
    app answers) or "latency" (paced.py, requests due at --rate per second)."""
    runs = []
    for number in range(1, args.rounds + 1):
        for scenario in scenarios:
            # Interleaved, and who goes first alternates by round, so a drift of the
            # shared machine's load does not always favour the same app.
            order = ("portal", "bare") if number % 2 else ("bare", "portal")
            for target in order:
                # Each run finds the tables as autovacuum keeps them in production (it
                # is off on the bench machine): every run adds thousands of orders, and
                # without VACUUM the visibility map never covers them, so each later
                # run's counts and quota sums read more heap pages, for both apps
                # alike (the order list's p99 doubled from round to round). ANALYZE
                # also re-plans: prefill.sql's saw no resources nor operations, and
                # plans made for empty tables made each submission's foreign-key
                # checks scan those tables whole.
                stack.vacuum()
                result = measured_run(stack, args, scenario, target, number, phase)
                print(
                    f"  {scenario:8} {target:7} round {number}: "
                    f"{result['requests'] / (result['duration_us'] / 1e6):8.1f} req/s, "
                    f"p99 {result['p99_us'] / 1000:.1f} ms, {result['non2xx']} non-2xx; "
                    f"other work used {result['others_cores']:.1f} of {os.cpu_count()} cores",
                    flush=True,
                )
                runs.append(result)
    return runs


def own_cpu_seconds():
    """CPU seconds of this process: paced.py's loop runs in it."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measured_run(stack, args, scenario, target, number, phase):
    """One recorded run, with the CPU it cost the app, PostgreSQL, the load tool
    and other work."""
    tag = f"{'l' if phase == 'latency' else ''}{target[0]}{number}{scenario[0]}"
    if phase == "latency":
        load_cpu = own_cpu_seconds
        build = paced.request_builder(scenario, stack.tokens, tag, stack.ports[target])
        port, rate, seconds = stack.ports[target], args.rate, args.duration

        def load():
            return paced.run("127.0.0.1", port, build, rate, seconds, args.connections)
    else:
        load_cpu = children_cpu_seconds  # wrk, a child, once it has finished

        def load():
            return wrk(stack, args, scenario, target, args.duration, tag)

    before = (stack.cpu_seconds(target), load_cpu(), busy_cpu_seconds())
    result = load()
    after = (stack.cpu_seconds(target), load_cpu(), busy_cpu_seconds())
    app, database = (after[0][i] - before[0][i] for i in (0, 1))
    load_tool, machine = after[1] - before[1], after[2] - before[2]
    # The machine is shared: how much of it other work took during this run.
    others = max(machine - app - database - load_tool, 0.0) / (result["duration_us"] / 1e6)
    result.update(
        phase=phase,
        scenario=scenario,
        target=target,
        round=number,
        app_cpu_s=app,
        db_cpu_s=database,
        load_cpu_s=load_tool,
        others_cores=others,
    )
    return result


GUNICORN_DEFAULTS = {"BENCH_WORKERS": "6", "BENCH_WORKER_CLASS": "gthread", "BENCH_THREADS": "1"}


def run_all(stack, args, scenarios):
    """Set up, check, warm up, measure; returns the measured runs."""
    print(f"setting up database {args.database}", flush=True)
    stack.create_database(args.prefill)
    for target, app in APPS.items():
        stack.start(target, app)
    for target in APPS:
        stack.wait_ready(target)
    smoke(stack)
    if args.warmup:
        # Fills connection pools, SQLAlchemy's statement caches and the OS caches.
        print(f"warming up ({args.warmup}s per scenario and app, not recorded)", flush=True)
        for scenario in scenarios:
            for target in APPS:
                wrk(stack, args, scenario, target, args.warmup, f"w{target[0]}{scenario[0]}")
    runs = []
    for phase in args.phases:
        load = (
            f"{args.rate:g} requests/s due"
            if phase == "latency"
            else "as fast as answered, closed loop"
        )
        print(
            f"{phase}: {load}, {args.connections} connections, {args.duration}s per run, "
            f"{args.rounds} round(s)",
            flush=True,
        )
        runs += measure(stack, args, scenarios, phase)
    return runs


def portal_revision():
    """The commit measured, and whether portal/ had uncommitted changes (it moves)."""

    def git(*argv):
        done = subprocess.run(["git", *argv], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    dirty = bool(git("status", "--short", "portal"))
    return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": dirty}


def present(args, gunicorn, revision, runs, started, loads):
    """Print the table and verdicts, write the JSON; returns the exit status."""
    summary = report.summarize(runs)
    ratio = report.ratios(summary)
    found = report.verdicts(summary, ratio, args.rate)
    cores = os.cpu_count()
    others = [run["others_cores"] for run in runs]
    print(
        f"\nbench/api  {started:%Y-%m-%d %H:%M} UTC  {cores} cores shared with other work: "
        f"it used {min(others):.1f}-{max(others):.1f} of them during the runs "
        f"(load average {loads[0][0]:.1f} before, {loads[1][0]:.1f} after)"
    )
    print(
        f"portal at {revision['commit']}"
        f"{' with uncommitted changes in portal/' if revision['dirty'] else ''}; "
        f"gunicorn {gunicorn['BENCH_WORKERS']} x {gunicorn['BENCH_WORKER_CLASS']} "
        f"({gunicorn['BENCH_THREADS']} threads) per app; wrk {args.wrk_threads} threads, "
        f"{args.connections} connections, {args.duration}s x {args.rounds} round(s)"
    )
    print(report.table(summary, ratio))
    cpu = report.cpu_ratios(summary)
    if cpu:
        shares = ", ".join(f"{scenario} {value:.2f}" for scenario, value in cpu.items())
        print(f"CPU per request, bare/portal (app + db; not a target, steadier): {shares}")
    print()
    for passed, text in found:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    details = list(report.error_details(runs))
    if details:
        print("\nTHIS RUN HAD ERRORS:\n" + "\n".join(f"  {line}" for line in details))
    path = ROOT / "bench" / "out" / f"api-{started:%Y%m%dT%H%M%SZ}.json"
    report.write_json(
        path,
        {
            "benchmark": "bench/api",
            "started": started.isoformat(),
            "portal": revision,
            "machine": {
                "cores": cores,
                "platform": platform.platform(),
                "shared_with_other_work": True,
                "load_average_before": loads[0],
                "load_average_after": loads[1],
            },
            "settings": {**vars(args), "gunicorn": gunicorn},
            "targets": {
                "min_ratio": report.MIN_RATIO,
                "max_p99_ms": report.MAX_P99_MS,
                "min_submit_rps": report.MIN_SUBMIT_RPS,
            },
            "summary": summary,
            "ratio": ratio,
            "cpu_ratio_bare_over_portal": cpu,
            "verdicts": [{"passed": passed, "target": text} for passed, text in found],
            "errors": details,
            "runs": runs,
        },
    )
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0 if all(passed for passed, _ in found) else 1


def main():
    args = parse_args()
    # SIGTERM and SIGHUP unwind like Ctrl-C, through the `finally` that tears down.
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, lambda signum, _frame: sys.exit(128 + signum))
    gunicorn = {name: os.environ.get(name, value) for name, value in GUNICORN_DEFAULTS.items()}
    stack = Stack(args.database, {"portal": args.port, "bare": args.port + 1}, gunicorn)
    started = datetime.now(UTC)
    revision = portal_revision()  # what the servers load at start is what is measured
    load_before = os.getloadavg()
    try:
        runs = run_all(stack, args, args.scenarios)
    except RuntimeError as error:
        print(f"bench/api failed: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        print("tearing down (servers, database)", flush=True)
        stack.close(keep_database=args.keep_database)
    return present(args, gunicorn, revision, runs, started, (load_before, os.getloadavg()))


if __name__ == "__main__":
    sys.exit(main())
