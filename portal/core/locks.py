"""Locks for periodic work, held in the database so that every worker and beat sees
them: a run that finds the lock held does nothing, and a lock whose holder died
lapses after its time to live.
"""

import functools
import logging
import uuid
from datetime import datetime, timedelta

from sqlalchemy import String, delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import Base, UTCDateTime, utcnow

log = logging.getLogger(__name__)


class TaskLock(Base):
    __tablename__ = "task_locks"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(36), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


def acquire(session, name, ttl):
    """Take the lock and commit; return the holder's token, or None if it is held."""
    holder, now = str(uuid.uuid4()), utcnow()
    taken = session.execute(
        update(TaskLock)
        .where(TaskLock.name == name, TaskLock.expires_at < now)
        .values(holder=holder, expires_at=now + ttl)
    ).rowcount
    if not taken:
        session.add(TaskLock(name=name, holder=holder, expires_at=now + ttl))
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            return None
    session.commit()
    return holder


def release(session, name, holder):
    session.execute(delete(TaskLock).where(TaskLock.name == name, TaskLock.holder == holder))
    session.commit()


def locked(name, ttl=timedelta(minutes=30)):
    """Run the function under the named lock, or skip it (returns None) when held."""

    def wrap(function):
        @functools.wraps(function)
        def run(session, *args, **kwargs):
            holder = acquire(session, name, ttl)
            if holder is None:
                log.info("%s is running elsewhere; this run is skipped", name)
                return None
            try:
                return function(session, *args, **kwargs)
            finally:
                session.rollback()
                release(session, name, holder)

        return run

    return wrap
