"""Turn wrk runs into the table, the verdicts against the issue's targets, and JSON."""

import json
import statistics

# The targets.
MIN_RATIO = 0.60  # portal req/s over bare req/s, per scenario
MAX_P99_MS = 100.0  # portal p99 at the latency phase's rate, per scenario
MIN_SUBMIT_RPS = 100.0  # portal submissions per second


def summarize(runs):
    """One row per (phase, scenario, target) over its rounds: req/s over the summed
    time, the median p50 and the worst p99 (a bad round is not averaged away)."""
    rows = {}
    for run in runs:
        key = (run["phase"], run["scenario"], run["target"])
        rows.setdefault(key, []).append(run)
    summary = []
    for (phase, scenario, target), group in rows.items():
        seconds = sum(r["duration_us"] for r in group) / 1e6
        summary.append(
            {
                "phase": phase,
                "scenario": scenario,
                "target": target,
                "rounds": len(group),
                "requests": sum(r["requests"] for r in group),
                "rps": sum(r["requests"] for r in group) / seconds,
                # the latency phase's schedule; wrk's clients offer what is answered
                "offered_rps": statistics.mean(r.get("offered_rps", 0) for r in group),
                "p50_ms": statistics.median(r["p50_us"] for r in group) / 1000,
                # wrk ends a run with requests in flight; they are not counted
                "p99_ms": max(r["p99_us"] for r in group) / 1000,
                "errors": sum(r["non2xx"] + r["socket_errors"] + r["timeouts"] for r in group),
                # CPU per request: the app's gunicorn, and PostgreSQL for it
                "app_cpu_ms": _per_request(group, "app_cpu_s"),
                "db_cpu_ms": _per_request(group, "db_cpu_s"),
            }
        )
    return summary


def _per_request(group, key):
    requests = sum(r["requests"] for r in group)
    return 1000 * sum(r[key] for r in group) / requests if requests else None


def _rows(summary, phase):
    return {(r["scenario"], r["target"]): r for r in summary if r["phase"] == phase}


def ratios(summary):
    """Portal req/s over bare req/s per scenario, from the throughput phase."""
    by_key = _rows(summary, "throughput")
    return {
        scenario: by_key[(scenario, "portal")]["rps"] / by_key[(scenario, "bare")]["rps"]
        for scenario, target in by_key
        if target == "portal" and by_key.get((scenario, "bare"), {}).get("rps")
    }


def verdicts(summary, ratio, rate):
    """(passed, text) for every target of the issue, portal rows only: throughput
    and its ratio from the throughput phase, p99 from the latency phase (at `rate`
    requests/s due), with the bare app's p99 beside it."""
    throughput, latency = _rows(summary, "throughput"), _rows(summary, "latency")
    found = []
    for (scenario, target), row in throughput.items():
        if target != "portal":
            continue
        if not row["requests"]:  # no figure to judge; the loop below says so
            continue
        if scenario in ratio:
            value = ratio[scenario]
            found.append(
                (value >= MIN_RATIO, f"{scenario}: portal/bare req/s {value:.2f} >= {MIN_RATIO}")
            )
        if scenario == "submit":
            found.append(
                (row["rps"] >= MIN_SUBMIT_RPS, f"submit: portal {row['rps']:.0f} req/s >= 100")
            )
    for (scenario, target), row in latency.items():
        if target != "portal":
            continue
        bare = latency.get((scenario, "bare"))
        beside = f"; bare {bare['p99_ms']:.1f} ms" if bare and bare["requests"] else ""
        found.append(
            (
                bool(row["requests"]) and row["p99_ms"] < MAX_P99_MS,
                f"{scenario}: portal p99 {row['p99_ms']:.1f} ms < 100 at {rate:g} req/s due"
                f"{beside}",
            )
        )
    for row in summary:
        where = f"{row['scenario']} ({row['phase']})"
        if not row["requests"]:
            found.append((False, f"{where}: {row['target']} completed no request"))
        elif row["errors"]:
            found.append((False, f"{where}: {row['target']} answered {row['errors']} errors"))
    return found


def cpu_ratios(summary):
    """bare CPU per request over the portal's, throughput phase: the share of the
    bare app's throughput the portal would keep on cores of its own; steadier than
    req/s on a busy machine."""
    by_key = _rows(summary, "throughput")
    found = {}
    for (scenario, target), portal in by_key.items():
        bare = by_key.get((scenario, "bare"))
        if target == "portal" and bare and portal["app_cpu_ms"] and bare["app_cpu_ms"]:
            found[scenario] = (bare["app_cpu_ms"] + bare["db_cpu_ms"]) / (
                portal["app_cpu_ms"] + portal["db_cpu_ms"]
            )
    return found


def table(summary, ratio):
    """The throughput phase's table, then the latency phase's."""
    lines = [
        "throughput (wrk, closed loop: each client sends when answered)",
        f"{'scenario':9} {'target':7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
        f"{'portal/bare':>12}   {'CPU ms/req: app':>15} {'db':>5}",
    ]
    for row in (r for r in summary if r["phase"] == "throughput"):
        shown = f"{ratio[row['scenario']]:.2f}" if row["target"] == "portal" else ""
        shown = shown if row["scenario"] in ratio else ""
        lines.append(
            f"{row['scenario']:9} {row['target']:7} {row['rps']:8.1f} {row['p50_ms']:8.1f} "
            f"{row['p99_ms']:8.1f} {row['errors']:7d} {shown:>12}   "
            f"{row['app_cpu_ms'] or 0:15.1f} {row['db_cpu_ms'] or 0:5.1f}"
        )
    lines += [
        "",
        "latency (paced.py: requests due on a schedule, latency counted from when due)",
        f"{'scenario':9} {'target':7} {'due/s':>8} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'errors':>7}",
    ]
    for row in (r for r in summary if r["phase"] == "latency"):
        lines.append(
            f"{row['scenario']:9} {row['target']:7} {row['offered_rps']:8.1f} {row['rps']:8.1f} "
            f"{row['p50_ms']:8.1f} {row['p99_ms']:8.1f} {row['errors']:7d}"
        )
    return "\n".join(lines)


def error_details(runs):
    """What went wrong, per run with errors: statuses seen and the first body."""
    for run in runs:
        if run["non2xx"] or run["socket_errors"] or run["timeouts"]:
            yield (
                f"{run['scenario']}/{run['target']} {run['phase']} round {run['round']}: "
                f"{run['non2xx']} non-2xx (first: {run['statuses'].strip() or '-'}), "
                f"{run['socket_errors']} socket errors, {run['timeouts']} timeouts; "
                f"first body: {run['sample'][:200] or '-'}"
            )


def write_json(path, document):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
