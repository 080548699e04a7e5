"""bench/billing's table, verdicts and JSON."""

import json
from decimal import Decimal

MAX_BILL_OVER_FLOOR = 1.5
MAX_TICK_S = 5.0
MAX_EXPORT_S = 10.0
# "Flat": the bill run's peak of Python allocations at four times the rows is at most
# this much above the peak at one time the rows (its bills and rates are the same; no
# usage row or bill line is ever loaded, so it should barely move).
MAX_MEMORY_GROWTH = 1.25


def seconds(value):
    if value is None:
        return "-"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def mebibytes(value):
    return "-" if value is None else f"{value / 2**20:.1f} MiB"


def verdicts(figures):
    """[(passed, text)] against the issue's targets."""
    found = []
    bill, floor = figures["bill_run"]["median_s"], figures["floor"]["median_s"]
    ratio = bill / floor
    found.append(
        (
            ratio <= MAX_BILL_OVER_FLOOR,
            f"bill run {seconds(bill)} is {ratio:.2f}x the floor {seconds(floor)} "
            f"(target <= {MAX_BILL_OVER_FLOOR}x)",
        )
    )
    tick = figures["tick"]["median_s"]
    found.append(
        (
            tick <= MAX_TICK_S,
            f"metering tick {seconds(tick)} for {figures['tick']['resources']:,} resources "
            f"(target <= {MAX_TICK_S:.0f} s)",
        )
    )
    for fmt, export in figures["exports"].items():
        found.append(
            (
                export["median_s"] <= MAX_EXPORT_S,
                f"export {fmt} of the largest bill ({export['lines']:,} lines) "
                f"{seconds(export['median_s'])} (target <= {MAX_EXPORT_S:.0f} s)",
            )
        )
    memory = figures["memory"]
    growth = memory["growth"]
    found.append(
        (
            growth <= MAX_MEMORY_GROWTH,
            f"bill run's peak Python memory {mebibytes(memory['full']['tracemalloc_peak'])} at "
            f"{memory['full']['rows'] / 1e6:.1f}M rows vs "
            f"{mebibytes(memory['quarter']['tracemalloc_peak'])} at "
            f"{memory['quarter']['rows'] / 1e6:.1f}M: x{growth:.2f} "
            f"(target <= x{MAX_MEMORY_GROWTH} for x{memory['row_growth']:.1f} the rows)",
        )
    )
    return found


def table(figures):
    """The figures as rows of (what, median, runs, ratio)."""
    floor = figures["floor"]["median_s"]
    rows = [("figure", "median", "each run", "ratio")]

    def runs(values):
        return ", ".join(f"{v:.2f}" for v in values)

    tick = figures["tick"]
    rows.append(
        (
            f"metering tick: {tick['resources']:,} resources, {tick['records']:,} records",
            seconds(tick["median_s"]),
            runs(tick["runs_s"]),
            f"{tick['median_s'] / MAX_TICK_S:.2f} of 5 s",
        )
    )
    rows.append(
        (
            f"floor: GROUP BY agency, metric ({figures['floor']['groups']} groups)",
            seconds(floor),
            runs(figures["floor"]["runs_s"]),
            "1.00 (baseline)",
        )
    )
    serial = figures.get("floor_serial")
    if serial:
        rows.append(
            (
                "  the same without parallel workers (info)",
                seconds(serial["median_s"]),
                runs(serial["runs_s"]),
                f"{serial['median_s'] / floor:.2f}",
            )
        )
    bill = figures["bill_run"]
    rows.append(
        (
            f"bill run: {bill['bills']} bills, {bill['lines']:,} lines, with commit",
            seconds(bill["median_s"]),
            runs(bill["runs_s"]),
            f"{bill['median_s'] / floor:.2f} x floor",
        )
    )
    rollup = figures["rollup"]
    rows.append(
        (
            "  it reads 31 daily rollups, each made by the metering task (info)",
            seconds(rollup["median_s"]),
            f"max {rollup['max_s']:.2f}",
            f"{rollup['median_s'] / floor:.2f}",
        )
    )
    if serial:
        rows.append(
            (
                "  bill run / serial floor (info)",
                "",
                "",
                f"{bill['median_s'] / serial['median_s']:.2f}",
            )
        )
    for fmt, export in figures["exports"].items():
        rows.append(
            (
                f"export {fmt}: {export['agency']}, {export['lines']:,} lines, "
                f"{export['bytes'] / 2**20:.1f} MiB",
                seconds(export["median_s"]),
                runs(export["runs_s"]),
                f"{export['median_s'] / MAX_EXPORT_S:.2f} of 10 s "
                f"(document {export['document_s']:.1f} s)",
            )
        )
    memory = figures["memory"]
    for size in ("quarter", "full"):
        part = memory[size]
        rows.append(
            (
                f"bill run memory at {part['rows'] / 1e6:.1f}M rows "
                f"({part['seconds']:.0f} s): Python peak / RSS rise",
                mebibytes(part["tracemalloc_peak"]),
                mebibytes(part["rss_peak_rise"]),
                f"x{part['tracemalloc_peak'] / memory['quarter']['tracemalloc_peak']:.2f}",
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(4)]
    lines = []
    for number, row in enumerate(rows):
        lines.append(
            "  ".join(
                str(cell).ljust(widths[i]) if i in (0, 2) else str(cell).rjust(widths[i])
                for i, cell in enumerate(row)
            ).rstrip()
        )
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def plan_summary(plan):
    """The lines of a plan that say where the time went: its nodes' actual times,
    the aggregate's batches and spill, sorts, and the totals."""
    wanted = ("actual time", "Batches", "Sort Method", "Execution Time", "temp read")
    for line in plan.splitlines():
        if any(word in line for word in wanted) and "Buckets:" not in line:
            text = line.rstrip()
            if "(cost=" in text:  # keep the node's name and its actual figures
                head, _cost, rest = text.partition("(cost=")
                text = head.rstrip() + "  (" + rest.split(") (", 1)[-1]
            yield text[:160]


def write_json(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)

    def default(value):
        if isinstance(value, Decimal):
            return str(value)
        if hasattr(value, "isoformat"):
            return value.isoformat()
        raise TypeError(f"{type(value).__name__} is not JSON")

    path.write_text(json.dumps(content, indent=2, ensure_ascii=False, default=default))
