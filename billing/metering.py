"""Metering one window of time for one resource: a pure computation over its events."""

from collections import defaultdict

from billing.metrics import DEFAULT_STOPPED_METRICS, accrual_rates


def accrue(
    window_start,
    window_end,
    state_at_start,
    events,
    *,
    kind,
    item_key,
    stopped_metrics=DEFAULT_STOPPED_METRICS,
):
    """{(metric, dimension): unit-seconds} accrued in [window_start, window_end).

    `state_at_start` is (state, size) from the last event before the window, or None if
    the resource did not exist yet; `events` are (occurred_at, state, size) inside the
    window, in order. Times are cut to whole seconds from the window's start, so the
    pieces of an hour always add up to exactly 3,600 seconds.
    """
    totals = defaultdict(int)
    current, since = state_at_start, 0
    for occurred_at, state, size in events:
        at = min(
            max(int((occurred_at - window_start).total_seconds()), 0),
            _length(window_start, window_end),
        )
        if current is not None and at > since:
            _add(totals, current, at - since, kind, item_key, stopped_metrics)
        current, since = (state, size), max(since, at)
    end = _length(window_start, window_end)
    if current is not None and end > since:
        _add(totals, current, end - since, kind, item_key, stopped_metrics)
    return dict(totals)


def _length(start, end):
    return int((end - start).total_seconds())


def _add(totals, current, seconds, kind, item_key, stopped_metrics):
    state, size = current
    for key, rate in accrual_rates(kind, item_key, state, size, stopped_metrics).items():
        totals[key] += rate * seconds
