"""Side effects that must wait for the commit: enqueueing a task, sending an email.

Service functions register them with `after_commit(session, fn)`; they run once the
transaction is committed and are dropped if it rolls back, so a worker never picks up
an id the database does not hold yet, and a failed request enqueues nothing.
"""

import logging

from sqlalchemy import event
from sqlalchemy.orm import Session

KEY = "jiyun_after_commit"
log = logging.getLogger(__name__)


def after_commit(session, callback):
    session.info.setdefault(KEY, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_callbacks(session):
    for callback in session.info.pop(KEY, []):
        try:
            callback()
        except Exception:
            # The data is committed; what did not run is picked up by the sweeper
            # (provisioning.tasks.resume_stalled), so log and go on.
            log.exception("after-commit callback %r failed", callback)


@event.listens_for(Session, "after_rollback")
def _drop_callbacks(session):
    session.info.pop(KEY, None)
