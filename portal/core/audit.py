"""The audit log: append-only and hash-chained.

Service functions call record(); the events wait in the session and are chained
and written just before the transaction commits, so a rolled-back change leaves no
audit trace and the chain follows commit order. Database triggers (see the
migration) refuse UPDATE and DELETE on the table.
"""

import hashlib
import json
from datetime import datetime

from flask import has_request_context, request
from sqlalchemy import ForeignKey, Index, String, Text, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.core.db import Base, JSONType, UTCDateTime, utcnow

PENDING_KEY = "jiyun_audit_pending"
GENESIS = "0" * 64
# Any constant key: all writers of the chain serialize on it (PostgreSQL).
CHAIN_LOCK_KEY = 0x6A6979756E


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(120), nullable=False)
    action: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(40), nullable=False)
    object_id: Mapped[str] = mapped_column(String(64), nullable=False)
    agency_id: Mapped[int | None] = mapped_column(index=True)
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    source_address: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    note: Mapped[str | None] = mapped_column(Text)

    def digest_fields(self):
        return {
            "occurred_at": self.occurred_at.isoformat(),
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "agency_id": self.agency_id,
            "before": self.before,
            "after": self.after,
            "source_address": self.source_address,
            "note": self.note,
        }

    def compute_hash(self):
        payload = json.dumps(self.digest_fields(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256((self.prev_hash + payload).encode()).hexdigest()


def _jsonable(value):
    """Plain JSON, so that the stored value hashes the same when read back."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def record(
    session,
    actor,
    action,
    object_type,
    object_id,
    *,
    before=None,
    after=None,
    agency_id=None,
    note=None,
):
    """Queue an audit event; it is chained and written when the session commits."""
    address = request.remote_addr if has_request_context() else "cli"
    session.info.setdefault(PENDING_KEY, []).append(
        AuditEvent(
            occurred_at=utcnow(),
            actor_id=actor.id if actor is not None else None,
            actor_name=actor.username if actor is not None else "system",
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            agency_id=agency_id,
            before=_jsonable(before),
            after=_jsonable(after),
            source_address=address,
            note=note,
        )
    )


def _chain_head(session):
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    return session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))


@event.listens_for(Session, "before_commit")
def _write_pending(session):
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    session.flush()
    prev = _chain_head(session) or GENESIS
    for audit_event in pending:
        audit_event.prev_hash = prev
        audit_event.hash = prev = audit_event.compute_hash()
        session.add(audit_event)
    session.flush()


@event.listens_for(Session, "after_rollback")
def _drop_pending(session):
    session.info.pop(PENDING_KEY, None)


def verify_chain(session, batch=5000):
    """Walk the chain in order; return (events checked, id of the first bad event or None)."""
    prev, checked, last_id = GENESIS, 0, 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return checked, None
        for audit_event in rows:
            if audit_event.prev_hash != prev or audit_event.compute_hash() != audit_event.hash:
                return checked, audit_event.id
            prev, checked, last_id = audit_event.hash, checked + 1, audit_event.id
            session.expunge(audit_event)
