"""bench/provision: a server through the portal vs openstacksdk directly, on the devcloud.

Creates its own database and tenant, starts the portal (gunicorn) and real Celery
workers on a queue of their own, then, in one run: (A) openstacksdk create_server →
ACTIVE → delete and (B) an auto-approved order through the API → ACTIVE in the
inventory → delete, one at a time, interleaved; a burst of orders against as many
direct creates at the same concurrency; and a trivial playbook run three ways. Prints
medians, p95s, B−A and B/A with PASS/FAIL against the issue's targets and writes it
all to bench/out/provision-<timestamp>.json. Everything it started is stopped, its
servers and project deleted, its queue and database dropped at the end, also on
Ctrl-C or a failure.

Run it with bench/provision/run [options] (this is its main.py); --help lists them.
"""

import argparse
import os
import platform
import signal
import subprocess
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import report
from paths import (
    Direct,
    Failed,
    Poller,
    Portal,
    Stopped,
    listed,
    provision_operations,
    split,
)
from stack import BARE_ITEM, ROOT, Stack

from portal.provisioning.drivers.openstack import MAX_POLL_SECONDS, POLL_GROWTH
from portal.provisioning.drivers.pacing import QUIET_SHARE

# The workers inherit the environment; portal/config.py's default otherwise.
POLL_FROM = os.environ.get("JIYUN_OS_POLL_SECONDS", "0.05")

PARTS = ("single", "burst", "playbook")


def parse_args():
    parser = argparse.ArgumentParser(
        prog="bench/provision/run",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="5 pairs, a burst of 20, 2 playbooks")
    parser.add_argument("--samples", type=int, default=20, help="A/B pairs, one at a time")
    parser.add_argument("--burst", type=int, default=100, help="orders (and direct creates)")
    parser.add_argument("--clients", type=int, default=10, help="burst clients = direct threads")
    parser.add_argument("--poll-ms", type=int, default=50, help="both sides, one at a time")
    parser.add_argument(
        "--burst-poll-ms",
        type=int,
        default=250,
        help="both sides in the burst (10 clients at 50 ms would be 200 req/s on 2 cores)",
    )
    parser.add_argument(
        "--burst-rounds", type=int, default=2, help="bursts of each side, first alternating"
    )
    parser.add_argument("--playbook-samples", type=int, default=5, help="runs of each way")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--pool", default="threads", help="Celery pool of each worker")
    parser.add_argument("--concurrency", type=int, default=5, help="Celery pool size per worker")
    parser.add_argument("--parts", default=",".join(PARTS), help="comma-separated")
    parser.add_argument("--database", default="jiyun_bench_provision")
    parser.add_argument("--port", type=int, default=18480, help="the portal's gunicorn")
    parser.add_argument("--keep-database", action="store_true", help="do not drop it at the end")
    args = parser.parse_args()
    if args.quick:
        args.samples, args.burst, args.playbook_samples = 5, 20, 2
    args.parts = [part for part in args.parts.split(",") if part]
    if unknown := set(args.parts) - set(PARTS):
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    if (
        min(
            args.samples,
            args.burst,
            args.burst_rounds,
            args.clients,
            args.playbook_samples,
            args.workers,
        )
        < 1
    ):
        parser.error("counts must be at least 1")
    if not args.database.startswith("jiyun_bench"):
        parser.error("--database must start with jiyun_bench: the benchmark drops it")
    if not os.environ.get("OS_CLIENT_CONFIG_FILE"):
        parser.error("OS_CLIENT_CONFIG_FILE is not set: see devcloud/up --env")
    return args


def busy_cores_since(before):
    """(machine busy CPU seconds now, cores busy on average since BEFORE)."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
    if before is None:
        return (busy, time.monotonic()), None
    return (busy, time.monotonic()), (busy - before[0]) / (time.monotonic() - before[1])


class Bench:
    def __init__(self, args, stack):
        self.args = args
        self.stack = stack
        self.stop = threading.Event()
        self.portal = None
        self.direct = None
        self.sql = None
        self.serial = 0
        self.load = {}  # part → cores the whole machine kept busy meanwhile

    def poller(self, milliseconds):
        return Poller(milliseconds / 1000, self.stop)

    def name(self, side, kind):
        self.serial += 1
        return f"{side}{self.stack.run_id}-{kind}{self.serial:04d}"

    def setup(self):
        stack = self.stack
        print(f"setting up database {stack.database}", flush=True)
        stack.create_database()
        stack.start_portal()
        stack.start_workers()
        stack.wait_ready()
        self.sql = stack.sql()
        tokens = {"member": stack.tenant["token"], "manager": stack.tenant["manager_token"]}
        self.portal = Portal(stack.base_url, tokens, BARE_ITEM)
        # Warm-up, not recorded: the first order makes the agency's project; one order
        # per worker slot opens every worker's connections; then the direct path.
        slots = self.args.workers * self.args.concurrency
        print(f"warming up: {slots} orders at once, then 2 direct servers", flush=True)
        made = self.run_parallel(
            slots, slots, lambda: self.portal.create(self.name("w", "p"), self.poller(200))
        )
        conn = stack.connect()
        if stack.find_project(conn) is None:
            raise RuntimeError(f"the portal made no project jiyun-{stack.agency_code}")
        self.direct = Direct(conn, stack.project_id, stack.run_id)
        direct = [self.direct.create(self.name("w", "d"), self.poller(200)) for _ in range(2)]
        resources = self.portal.resources_by_order()
        self.run_parallel(
            len(made),
            slots,
            [
                lambda r=resources[m["order_id"]]: self.portal.delete(r["id"], self.poller(200))
                for m in made
            ],
        )
        for sample in direct:
            self.direct.delete(sample["server_id"], self.poller(200))

    def run_parallel(self, count, clients, job):
        """Run COUNT jobs on CLIENTS threads (a closed loop: each thread takes the next
        job when its last one is done); JOB is a callable or a list of them."""
        jobs = job if isinstance(job, list) else [job] * count
        pool = ThreadPoolExecutor(max_workers=clients)
        try:
            futures = [pool.submit(one) for one in jobs]
            return [future.result() for future in futures]
        except BaseException:
            self.stop.set()  # the other jobs' polls end at once
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    # -- one at a time ----------------------------------------------------------------

    def single(self):
        args, pairs = self.args, []
        print(
            f"one at a time: {args.samples} A/B pairs, polling every {args.poll_ms} ms", flush=True
        )
        before, _ = busy_cores_since(None)
        for number in range(args.samples):
            pair = {}
            # Interleaved, who goes first alternating, so a drift of the shared
            # machine's load does not always favour one side.
            for side in ("a", "b") if number % 2 == 0 else ("b", "a"):
                poller = self.poller(args.poll_ms)
                if side == "a":
                    pair["a"] = self.direct.create(self.name("d", "s"), poller)
                    pair["a_delete"] = self.direct.delete(pair["a"]["server_id"], poller)
                else:
                    pair["b"] = self.portal.create(self.name("p", "s"), poller)
                    resource = self.portal.resources_by_order()[pair["b"]["order_id"]]
                    pair["resource_id"] = resource["id"]
                    pair["b_delete"] = self.portal.delete(resource["id"], poller)
            operation = self.one_operation(pair["b"]["order_id"])
            pair["operation_id"] = operation["id"]
            pair["b_split"] = split(pair["b"], operation)
            pairs.append(pair)
            s = pair["b_split"]
            print(
                f"  {number + 1:3}: A {pair['a']['total'] * 1000:5.0f} ms, "
                f"B {pair['b']['total'] * 1000:5.0f} ms (accept {s['accept'] * 1000:.0f}, "
                f"queue {s['queue'] * 1000:.0f}, worker {s['worker'] * 1000:.0f}, "
                f"lag {s['lag'] * 1000:.0f})",
                flush=True,
            )
        _, self.load["single"] = busy_cores_since(before)
        return pairs

    def one_operation(self, order_id):
        found = provision_operations(self.sql, [order_id]).get(order_id, [])
        if len(found) != 1 or found[0]["state"] != "succeeded":
            raise Failed(f"order {order_id}: operations {found}")
        return found[0]

    # -- burst ------------------------------------------------------------------------

    def burst(self):
        """--burst-rounds rounds, who goes first alternating (the devcloud's Nova keeps
        every deleted server's rows, so the second side of a round meets a busier
        database). In a round each side in turn: its burst, its check, then its
        servers deleted, so the second side does not run beside the first one's live
        servers. The walls add up over the rounds."""
        args = self.args
        size, clients, poll = args.burst, args.clients, args.burst_poll_ms
        print(
            f"burst: {args.burst_rounds} round(s) of {size} orders / {size} direct creates, "
            f"{clients} at a time",
            flush=True,
        )
        result = {
            "size": size,
            "rounds": [],
            "clients": clients,
            "poll_ms": poll,
            "direct": {"wall": 0.0, "samples": [], "splits": [], "delete_wall": 0.0},
            "portal": {"wall": 0.0, "samples": [], "splits": [], "delete_wall": 0.0},
        }
        check = {"problems": [], "fulfilled": 0, "one_server": 0, "direct_servers": 0}
        before, _ = busy_cores_since(None)
        for number in range(args.burst_rounds):
            order = ("direct", "portal") if number % 2 == 0 else ("portal", "direct")
            walls = {}
            for label in order:
                print(f"  round {number + 1}, {label}:", flush=True)
                side = self.burst_side(label, size, clients, poll)
                found = (self.check_portal if label == "portal" else self.check_direct)(side)
                for key, value in found.items():
                    check[key] += value
                side["delete_wall"] = self.burst_delete(label, side, clients, poll)
                total = result[label]
                for key in ("wall", "delete_wall"):
                    total[key] += side[key]
                for key in ("samples", "splits"):
                    total[key] += side[key]
                walls[label] = side["wall"]
            result["rounds"].append({"first": order[0], **walls})
        _, self.load["burst"] = busy_cores_since(before)
        result["check"] = check
        return result

    def burst_delete(self, label, side, clients, poll):
        """Delete the side's servers at the same concurrency (timed, not a target)."""
        if label == "portal":
            resources = self.portal.resources_by_order()
            jobs = [
                lambda r=resources[s["order_id"]]: self.portal.delete(r["id"], self.poller(poll))
                for s in side["samples"]
                if s["order_id"] in resources
            ]
        else:
            jobs = [
                lambda s=s: self.direct.delete(s["server_id"], self.poller(poll))
                for s in side["samples"]
            ]
        began = time.time()
        self.run_parallel(0, clients, jobs)
        wall = time.time() - began
        print(f"    deleted in {wall:.1f} s", flush=True)
        return wall

    def burst_side(self, label, size, clients, poll):
        create = self.direct.create if label == "direct" else self.portal.create
        kind = "d" if label == "direct" else "p"
        samples = self.run_parallel(
            size, clients, lambda: create(self.name(kind, "b"), self.poller(poll))
        )
        wall = max(s["seen"] for s in samples) - min(s["began"] for s in samples)
        print(f"    made in {wall:.1f} s", flush=True)
        return {"wall": wall, "samples": samples, "splits": []}

    def check_portal(self, side):
        """No order lost or duplicated: one provision operation per order, succeeded,
        and exactly one server in Nova tagged with each operation, none for others."""
        problems = []
        by_order = provision_operations(self.sql, [s["order_id"] for s in side["samples"]])
        per_op = {}
        for server in listed(self.direct.conn):
            for tag in server.tags or []:
                if tag.startswith("jiyun_op:"):
                    operation_id = tag.split(":", 1)[1]
                    per_op[operation_id] = per_op.get(operation_id, 0) + 1
        fulfilled = one_server = 0
        for sample in side["samples"]:
            found = by_order.get(sample["order_id"], [])
            if len(found) != 1:
                problems.append(f"order {sample['order_id']}: {len(found)} operations")
                continue
            operation = found[0]
            fulfilled += operation["state"] == "succeeded"
            count = per_op.pop(operation["id"], 0)
            one_server += count == 1
            if count != 1:
                problems.append(f"operation {operation['id']}: {count} servers")
            side["splits"].append(split(sample, operation))
        if per_op:
            problems.append(f"{len(per_op)} servers of operations outside the burst")
        return {"fulfilled": fulfilled, "one_server": one_server, "problems": problems}

    def check_direct(self, side):
        mine = {s["server_id"] for s in side["samples"]}
        found = [s for s in self.direct.servers() if s.id in mine]
        problems = [] if len(found) == len(mine) else [f"direct: {len(found)} of {len(mine)}"]
        return {"direct_servers": len(found), "problems": problems}

    # -- playbook ---------------------------------------------------------------------

    def playbook(self):
        import playbook  # imports the portal's ansible module, only when asked

        print(f"trivial playbook: {self.args.playbook_samples} runs of each way", flush=True)
        before, _ = busy_cores_since(None)
        times = playbook.measure(self.stack.tmp / "playbook", self.args.playbook_samples)
        _, self.load["playbook"] = busy_cores_since(before)
        return times


def revision():
    def git(*argv):
        return subprocess.run(
            ["git", *argv], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--short", "portal")),
    }


def present(args, bench, results, started, loads):
    single, burst, times = results.get("single"), results.get("burst"), results.get("playbook")
    found_single = report.single_figures(single) if single else None
    cores = os.cpu_count()
    rev = revision()
    print(
        f"\nbench/provision  {started:%Y-%m-%d %H:%M} UTC  {cores} cores, shared: load average "
        f"{loads[0][0]:.1f} before, {loads[1][0]:.1f} after; the machine kept "
        + ", ".join(f"{part} {value:.1f}" for part, value in bench.load.items())
        + " cores busy"
    )
    print(
        f"portal at {rev['commit']}{' (uncommitted changes in portal/)' if rev['dirty'] else ''}; "
        f"item {BARE_ITEM} (catalog vm with a plan of create_server only: no post_boot playbook), "
        f"flavour jy.small, image kylin-v10, network auto; gunicorn 2 x 4 threads; "
        f"{args.workers} Celery worker(s) x {args.pool} pool of {args.concurrency}; "
        f"the portal's OpenStack driver sleeps through {QUIET_SHARE} of the shortest recent "
        f"wait of the kind, then polls Nova from {POLL_FROM} s, growing x{POLL_GROWTH} "
        f"to at most {MAX_POLL_SECONDS} s"
    )
    if single:
        print("\n" + report.single_table(single, found_single))
    if burst:
        print("\n" + report.burst_table(burst))
    if times:
        print("\n" + report.playbook_table(times))
    found = report.verdicts(found_single, burst, times)
    print()
    for passed, text in found:
        print(f"{'PASS' if passed else 'FAIL'}  {text}")
    path = ROOT / "bench" / "out" / f"provision-{started:%Y%m%dT%H%M%SZ}.json"
    report.write_json(
        path,
        {
            "benchmark": "bench/provision",
            "started": started.isoformat(),
            "portal": rev,
            "machine": {
                "cores": cores,
                "platform": platform.platform(),
                "shared_with_other_work": True,
                "load_average_before": loads[0],
                "load_average_after": loads[1],
                "busy_cores_by_part": bench.load,
            },
            "settings": {
                **vars(args),
                "item": BARE_ITEM,
                "driver_poll": [QUIET_SHARE, POLL_FROM, POLL_GROWTH, MAX_POLL_SECONDS],
            },
            "targets": {
                "max_single_b_minus_a_s": report.MAX_SINGLE_OVERHEAD_S,
                "max_burst_ratio": report.MAX_BURST_RATIO,
                "max_playbook_ratio": report.MAX_PLAYBOOK_RATIO,
            },
            "single": {"figures": found_single, "pairs": single},
            "burst": burst,
            "playbook": (
                {way: report.figures(values) | {"samples": values} for way, values in times.items()}
                if times
                else None
            ),
            "verdicts": [{"passed": passed, "target": text} for passed, text in found],
        },
    )
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0 if all(passed for passed, _ in found) else 1


def main():
    args = parse_args()
    # SIGTERM and SIGHUP unwind like Ctrl-C, through the `finally` that tears down.
    for number in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, lambda signum, _frame: sys.exit(128 + signum))
    stack = Stack(args)
    bench = Bench(args, stack)
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    results = {}
    status = None
    try:
        if {"single", "burst"} & set(args.parts):
            bench.setup()
        for part in PARTS:
            if part in args.parts:
                results[part] = getattr(bench, part)()
    except (RuntimeError, OSError) as error:
        print(f"bench/provision failed: {error}", file=sys.stderr)
        status = 2
    except Exception:
        traceback.print_exc()
        print("bench/provision failed (above)", file=sys.stderr)
        status = 2
    except (KeyboardInterrupt, Stopped):
        print("interrupted", file=sys.stderr)
        status = 130
    finally:
        bench.stop.set()
        print("tearing down (workers, portal, servers and project, queue, database)", flush=True)
        if bench.sql is not None:
            bench.sql.close()
        failures = stack.close(keep_database=args.keep_database)
        for failure in failures:
            print(f"teardown: {failure}", file=sys.stderr)
    if status is not None:
        return status
    return present(args, bench, results, started, (load_before, os.getloadavg()))


if __name__ == "__main__":
    sys.exit(main())
