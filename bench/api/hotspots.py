"""Where a request's time goes: the portal and the bare app, in one process.

For each scenario, runs N requests through each app's WSGI test client (no gunicorn,
no concurrency) and prints, per request: wall and CPU milliseconds, SQL statements
and database round trips (statements plus BEGIN/COMMIT/pings). Then profiles the
portal alone in a second pass (so the profiler's overhead is not in the timings):
its CPU time by package and cProfile's top functions. CPU time is the default clock
because the machine is shared: waiting for a core is not the portal's cost; use
--clock wall to see database waits too. Its own database, dropped at the end.

Usage: .venv/bin/python bench/api/hotspots.py [--requests 300] [--top 25]
"""

import argparse
import cProfile
import io
import itertools
import os
import pstats
import re
import sys
import time
from collections import Counter

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool
from stack import ROOT, Stack

CALLS = {
    "catalog": ("GET", "/api/v1/catalog/items", False),
    "orders": ("GET", "/api/v1/orders", False),
    "submit": ("POST", "/api/v1/orders", True),
}
statements = itertools.count()
checkouts = itertools.count()


@event.listens_for(Engine, "before_cursor_execute")
def _count_statement(*_args):
    next(statements)


@event.listens_for(Pool, "checkout")
def _count_checkout(*_args):
    next(checkouts)


def _body(name):
    parameters = {"volume_name": name, "size_gb": 10, "volume_type": "standard", "purpose": "p"}
    return {"item": "volume", "parameters": parameters}


def drive(client, tokens, scenario, count, profiler=None):
    """count requests, each as the next member; returns per-request figures."""
    method, path, posts = CALLS[scenario]
    sql, pool = next(statements), next(checkouts)
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for number in range(count):
        headers = {"Authorization": f"Bearer {tokens[number % len(tokens)]}"}
        json = _body(f"prof-{time.monotonic_ns()}") if posts else None
        answer = client.open(path, method=method, headers=headers, json=json)
        if not 200 <= answer.status_code < 300:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.get_data()[:300]}")
    if profiler:
        profiler.disable()
    return {
        "wall_ms": (time.perf_counter() - wall) * 1000 / count,
        "cpu_ms": (time.process_time() - cpu) * 1000 / count,
        "sql": (next(statements) - sql - 1) / count,
        "checkouts": (next(checkouts) - pool - 1) / count,
    }


def by_package(stats):
    """Own time summed by where the code lives: a site-package, portal, catalog, stdlib."""
    totals = Counter()
    for (filename, _line, _name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
        found = re.search(r"site-packages/([A-Za-z0-9_]+)", filename)
        if found:
            area = found.group(1)
        elif filename.startswith(str(ROOT)):
            area = os.path.relpath(filename, ROOT).split(os.sep)[0]
        else:
            area = "python (stdlib, builtins)"
        totals[area] += own
    whole = sum(totals.values()) or 1
    return "\n".join(f"  {share / whole:6.1%}  {area}" for area, share in totals.most_common(12))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="pstats key: tottime, cumulative")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("--only", default="", help="functions whose file matches, e.g. /portal/")
    parser.add_argument("--database", default="jiyun_bench_api_profile")
    args = parser.parse_args()
    stack = Stack(args.database, {}, {"BENCH_THREADS": "1"})
    try:
        stack.create_database(prefill=60)
        os.environ.update(stack.env)
        sys.path.insert(0, str(ROOT))  # portal and catalog, as the servers see them
        # Imported once the environment names the database: bare reads it at import.
        import bare

        from portal import create_app

        apps = {"portal": create_app().test_client(), "bare": bare.app.test_client()}
        print(f"\n{'scenario':9} {'app':7} {'wall ms':>8} {'cpu ms':>8} {'SQL':>6} {'pool':>5}")
        for scenario in CALLS:
            for name, client in apps.items():
                drive(client, stack.tokens, scenario, 20)  # warm: caches, pools
                row = drive(client, stack.tokens, scenario, args.requests)
                print(
                    f"{scenario:9} {name:7} {row['wall_ms']:8.2f} {row['cpu_ms']:8.2f} "
                    f"{row['sql']:6.1f} {row['checkouts']:5.1f}",
                    flush=True,
                )
        clock = time.process_time if args.clock == "cpu" else time.perf_counter
        for scenario in CALLS:
            profiler = cProfile.Profile(clock)
            drive(apps["portal"], stack.tokens, scenario, args.requests, profiler)
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats(args.sort).print_stats(*([args.only] if args.only else []), args.top)
            print(f"\n===== portal {scenario}: {args.clock} time by package\n{by_package(stats)}")
            print(f"\n===== portal {scenario}: top {args.top} by {args.sort}\n{out.getvalue()}")
    finally:
        stack.close()


if __name__ == "__main__":
    sys.exit(main())
