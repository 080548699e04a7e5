"""How the incident pages draw an incident: its two SLA clocks as bars of service time
used against the target, and the words for its timeline."""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.incidents.clock import ClockState
from portal.incidents.clocks import clocks_of
from portal.vendors.eligibility import BASES, CONTRACT, responsibility_text

CLOCK_LABELS = {"response": _l("Response time"), "resolution": _l("Resolution time")}

EVENT_LABELS = {
    "opened": _l("Reported"),
    "assigned": _l("Technician assigned"),
    "respond": _l("Responded"),
    "wait": _l("Asked the agency"),
    "resume": _l("Work resumed"),
    "resolve": _l("Resolved"),
    "close": _l("Resolution confirmed, closed"),
    "reopen": _l("Reopened"),
    "comment": _l("Commented"),
    "escalated": _l("Escalated: the SLA target is near"),
    "response_breached": _l("Response time breached"),
    "resolution_breached": _l("Resolution time breached"),
    "correct_response": _l("Response time corrected"),
    "correct_resolution": _l("Resolution time corrected"),
}
# The clock sweep writes the clock's name as the note of these events.
SWEEP_EVENTS = {"escalated", "response_breached", "resolution_breached"}


@dataclass(frozen=True)
class ClockView:
    """One clock as drawn. `standing` is one word for its colour and badge: running,
    warning, paused, breached (over target, stopped or not) or met (stopped in time).
    The bar's whole is the target, or the elapsed time once it runs over, so that the
    part beyond the target shows how far over it went."""

    name: str
    clock: ClockState
    stopped: bool
    standing: str
    used_pct: float
    over_pct: float

    @property
    def label(self):
        return CLOCK_LABELS[self.name]

    @property
    def target_pct(self):
        return round(100 - self.over_pct, 1)

    @property
    def overrun(self):
        return max(self.clock.elapsed - self.clock.target, 0)


def clock_views(incident, now=None):
    """(response, resolution) as of `now`."""
    clocks = clocks_of(incident, now)
    return (
        _view("response", clocks.response, incident.responded_at is not None),
        _view("resolution", clocks.resolution, incident.resolved_at is not None),
    )


def _view(name, clock, stopped):
    if clock.breached:
        standing = "breached"
    elif stopped:
        standing = "met"
    elif clock.paused:
        standing = "paused"
    elif clock.warning:
        standing = "warning"
    else:
        standing = "running"
    whole = max(clock.target, clock.elapsed)
    used = min(clock.elapsed, clock.target)
    return ClockView(
        name=name,
        clock=clock,
        stopped=stopped,
        standing=standing,
        used_pct=round(used * 100 / whole, 1),
        over_pct=round(max(clock.elapsed - clock.target, 0) * 100 / whole, 1),
    )


def event_note(incident, event):
    """What to show under a timeline entry in the reader's language: the sweep's clock
    name, or why the incident went to whoever handles it (kept as a token; incidents
    opened before that keep the text they were opened with)."""
    if event.action in SWEEP_EVENTS:
        return CLOCK_LABELS.get(event.note, event.note)
    if event.action == "opened" and (event.note in BASES or event.note == CONTRACT):
        return responsibility_text(event.note, incident.contract_number)
    return event.note
