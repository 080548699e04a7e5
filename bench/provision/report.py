"""Figures, the table, the verdicts against the issue's targets, and the JSON."""

import json
import math
import statistics

# The targets.
MAX_SINGLE_OVERHEAD_S = 0.300  # median B−A for one order
MAX_BURST_RATIO = 1.2  # burst wall time, portal over direct
MAX_PLAYBOOK_RATIO = 1.1  # run_playbook over ansible_runner.run, medians


def median(values):
    return statistics.median(values) if values else None


def p95(values):
    """Nearest rank: the smallest value at or above 95% of the samples."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)]


def figures(values):
    return {"n": len(values), "median": median(values), "p95": p95(values)}


def _ms(value):
    return f"{value * 1000:8.0f}" if value is not None else f"{'-':>8}"


def _row(label, values, note=""):
    found = figures(values)
    return f"  {label:44} {_ms(found['median'])} {_ms(found['p95'])}   {note}".rstrip()


def single_figures(pairs):
    """From the interleaved pairs: A and B, their splits, and B−A, B/A per pair."""
    a = [p["a"]["total"] for p in pairs]
    b = [p["b"]["total"] for p in pairs]
    steps = {}
    for pair in pairs:
        for name, seconds in pair["b_split"]["steps"].items():
            steps.setdefault(name, []).append(seconds)
    return {
        "a_total": figures(a),
        "a_api": figures([p["a"]["api"] for p in pairs]),
        "a_boot": figures([p["a"]["boot"] for p in pairs]),
        "b_total": figures(b),
        **{
            f"b_{key}": figures([p["b_split"][key] for p in pairs])
            for key in ("accept", "queue", "queue_after_answer", "worker", "lag")
        },
        "b_steps": {name: figures(values) for name, values in steps.items()},
        "b_minus_a": figures([y - x for x, y in zip(a, b, strict=True)]),
        "b_over_a": figures([y / x for x, y in zip(a, b, strict=True)]),
        "b_minus_a_of_medians": median(b) - median(a) if pairs else None,
        "a_delete": figures([p["a_delete"]["total"] for p in pairs]),
        "b_delete": figures([p["b_delete"]["total"] for p in pairs]),
    }


def single_table(pairs, found):
    lines = [f"  {'one server at a time (n=' + str(len(pairs)) + ')':44} {'median':>8} {'p95':>8}"]
    lines += [
        _row("A direct: create_server → ACTIVE seen", [p["a"]["total"] for p in pairs]),
        _row("  Nova's POST answered", [p["a"]["api"] for p in pairs]),
        _row("  → ACTIVE seen", [p["a"]["boot"] for p in pairs]),
        _row("B portal: POST order → ACTIVE seen", [p["b"]["total"] for p in pairs]),
        _row("  accept: API POST answered", [p["b_split"]["accept"] for p in pairs]),
        _row(
            "  queue wait: created → started",
            [p["b_split"]["queue"] for p in pairs],
            f"(answered → started: {found['b_queue_after_answer']['median'] * 1000:.0f} ms median)",
        ),
        _row("  worker: started → succeeded", [p["b_split"]["worker"] for p in pairs]),
    ]
    for name in found["b_steps"]:
        lines.append(_row(f"    step {name}", [p["b_split"]["steps"].get(name, 0) for p in pairs]))
    lines += [
        _row("  status lag: succeeded → seen by the client", [p["b_split"]["lag"] for p in pairs]),
        _row("B − A (per pair)", [p["b"]["total"] - p["a"]["total"] for p in pairs]),
        f"  {'B / A (per pair)':44} {found['b_over_a']['median']:8.2f} "
        f"{found['b_over_a']['p95']:8.2f}",
        _row("delete A: delete_server → gone", [p["a_delete"]["total"] for p in pairs]),
        _row("delete B: POST delete → resource deleted", [p["b_delete"]["total"] for p in pairs]),
    ]
    return "\n".join(lines)


def burst_table(burst):
    a, b = burst["direct"], burst["portal"]
    lines = [
        f"  {len(burst['rounds'])} burst(s) of {burst['size']} each side, "
        f"{burst['clients']} clients / {burst['clients']} direct threads, polling every "
        f"{burst['poll_ms']} ms; walls and times over all rounds",
        f"  {'':44} {'wall s':>8} {'median':>8} {'p95':>8}",
    ]
    for label, side in (("A direct: create → ACTIVE", a), ("B portal: order → ACTIVE", b)):
        totals = [s["total"] for s in side["samples"]]
        lines.append(f"  {label:44} {side['wall']:8.1f} {_ms(median(totals))} {_ms(p95(totals))}")
    if b["splits"]:
        for key, label in (
            ("queue", "  B queue wait"),
            ("worker", "  B worker"),
            ("lag", "  B status lag"),
        ):
            values = [s[key] for s in b["splits"]]
            lines.append(f"  {label:44} {'':>8} {_ms(median(values))} {_ms(p95(values))}")
            if key == "worker":
                for name in b["splits"][0]["steps"]:
                    values = [s["steps"].get(name, 0) for s in b["splits"]]
                    lines.append(
                        f"  {'    step ' + name:44} {'':>8} "
                        f"{_ms(median(values))} {_ms(p95(values))}"
                    )
    lines.append(f"  {'B / A wall':44} {b['wall'] / a['wall']:8.2f}")
    for number, one in enumerate(burst["rounds"], 1):
        label = f"    round {number} ({one['first']} first): B / A"
        lines.append(
            f"  {label:44} {one['portal'] / one['direct']:8.2f}"
            f"   ({one['portal']:.1f} s / {one['direct']:.1f} s)"
        )
    for label, side in (("delete A (same concurrency)", a), ("delete B (same concurrency)", b)):
        if side.get("delete_wall") is not None:
            lines.append(f"  {label:44} {side['delete_wall']:8.1f}")
    return "\n".join(lines)


def playbook_table(times):
    lines = [
        f"  {'trivial playbook (n=' + str(len(times['runner'])) + ')':44} {'median':>8} {'p95':>8}"
    ]
    labels = {
        "cli": "ansible-playbook CLI",
        "runner": "ansible_runner.run",
        "portal": "portal run_playbook",
    }
    for way, label in labels.items():
        lines.append(_row(label, times[way]))
    runner = median(times["runner"])
    lines.append(
        f"  {'portal / ansible_runner.run':44} {median(times['portal']) / runner:8.2f}"
        f"   (CLI / ansible_runner.run {median(times['cli']) / runner:.2f})"
    )
    return "\n".join(lines)


def verdicts(single, burst, times):
    found = []
    if single:
        overhead = single["b_minus_a"]["median"]
        found.append(
            (
                overhead <= MAX_SINGLE_OVERHEAD_S,
                f"one order: median B−A {overhead * 1000:.0f} ms <= "
                f"{MAX_SINGLE_OVERHEAD_S * 1000:.0f} ms",
            )
        )
    if burst:
        ratio = burst["portal"]["wall"] / burst["direct"]["wall"]
        found.append(
            (
                ratio <= MAX_BURST_RATIO,
                f"burst: portal wall {burst['portal']['wall']:.1f} s / direct "
                f"{burst['direct']['wall']:.1f} s = {ratio:.2f} <= {MAX_BURST_RATIO}",
            )
        )
        check, total = burst["check"], burst["size"] * len(burst["rounds"])
        found.append(
            (
                not check["problems"],
                f"burst: {check['fulfilled']}/{total} orders fulfilled, "
                f"{check['one_server']}/{total} operations with exactly one server "
                f"(by tag), {check['direct_servers']}/{total} direct servers"
                + (f"; {'; '.join(check['problems'][:5])}" if check["problems"] else ""),
            )
        )
    if times:
        ratio = median(times["portal"]) / median(times["runner"])
        found.append(
            (
                ratio <= MAX_PLAYBOOK_RATIO,
                f"playbook: portal run_playbook / ansible_runner.run {ratio:.2f} "
                f"<= {MAX_PLAYBOOK_RATIO}",
            )
        )
    return found


def write_json(path, document):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
