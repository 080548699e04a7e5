"""How often a wait for the cloud looks.

A boot, a stop or a volume's creation takes about as long as the last ones of its kind
did. A wait first sleeps through most of the shortest of those, then looks often and
less and less often: what is ready is seen soon after, and many waits at once do not
load the cloud's APIs with questions whose answer is still "not yet".
"""

import threading
from collections import deque

# The share of the shortest recent wait slept through before looking again (a wait is
# remembered as the middle between when its object was last seen not ready and when
# it was seen ready).
QUIET_SHARE = 0.8
RECENT = 10  # waits remembered per kind


class Paces:
    """The recent waits of each kind, shared by a driver's threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._recent = {}

    def quiet_for(self, kind):
        """Seconds a wait of this kind can sleep before it looks again (0: none known)."""
        with self._lock:
            recent = self._recent.get(kind)
            return QUIET_SHARE * min(recent) if recent else 0.0

    def ready(self, kind, quiet, not_ready, seen_ready):
        """A wait of this kind, which slept QUIET seconds, saw its object ready
        SEEN_READY seconds in; it was last seen not ready NOT_READY seconds in (None:
        ready at the first look, nothing was waited for)."""
        if not_ready is None:
            return
        with self._lock:
            if quiet and not_ready < quiet:
                # Ready when the quiet time ended: faster than of late, so learn anew
                # (the next wait looks often from the start).
                self._recent.pop(kind, None)
            else:
                recent = self._recent.setdefault(kind, deque(maxlen=RECENT))
                recent.append((not_ready + seen_ready) / 2)
