"""The audit log: append-only and hash-chained, one chain per agency.

Service functions call record(); the events wait in the session and are chained
and written just before the transaction commits, so a rolled-back change leaves no
audit trace and each chain follows commit order. Database triggers (see the
migration) refuse UPDATE and DELETE on the table.

Why a chain per agency rather than one for the whole log: a writer holds its chain's
lock from reading the head until it commits, so with one chain every committing
transaction of the portal waited for every other (under load a third of the
database connections were seen waiting on that lock). Agencies write independently,
so each agency's events form a chain of their own, and the events of no agency
(catalog, platform users, failed logins) form the platform chain. Tampering is
still caught: an event's hash covers its agency, so it cannot be moved to another
chain, and each event names its predecessor in its chain, so an event altered,
removed or slipped in breaks the chain there. verify_chain walks all chains at once.
"""

import hashlib
import json
from datetime import datetime

from flask import has_request_context, request
from sqlalchemy import ForeignKey, Index, String, Text, bindparam, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.core.db import Base, JSONType, UTCDateTime, utcnow

PENDING_KEY = "jiyun_audit_pending"
GENESIS = "0" * 64
# Advisory lock keys (PostgreSQL): (this class, agency id) per chain; 0 is the
# platform chain, as agency ids start at 1. Writers of one chain serialize on it.
CHAIN_LOCK_CLASS = 0x6A697975
PLATFORM_CHAIN = 0


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        # A chain's head is its newest event: one index probe, however long the chain.
        Index("ix_audit_events_chain", "agency_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(120), nullable=False)
    action: Mapped[str] = mapped_column(String(80), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(String(40), nullable=False)
    object_id: Mapped[str] = mapped_column(String(64), nullable=False)
    # Indexed by ix_audit_events_chain, whose leading column it is.
    agency_id: Mapped[int | None] = mapped_column()
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
        return chain_hash(self.prev_hash, self.digest_fields())


def chain_hash(prev_hash, digest_fields):
    """An event's hash: its predecessor's hash and the fields of digest_fields()."""
    payload = json.dumps(digest_fields, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


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
    """Queue an audit event; it is chained and written when the session commits.

    `object_id` may be the object itself when it is not flushed yet: its id is read
    when the event is written, so a new object can be inserted once, in its final
    state, with the flush that precedes the commit."""
    address = request.remote_addr if has_request_context() else "cli"
    subject = object_id if isinstance(object_id, Base) else None
    # A plain row, not an AuditEvent: it is only ever inserted, and the ORM's unit of
    # work cost a submission more than the rest of its audit trail (see _write_pending).
    session.info.setdefault(PENDING_KEY, []).append(
        (
            {
                "occurred_at": utcnow(),
                "actor_id": actor.id if actor is not None else None,
                "actor_name": actor.username if actor is not None else "system",
                "action": action,
                "object_type": object_type,
                "object_id": None if subject is not None else str(object_id),
                "agency_id": agency_id,
                "before": _jsonable(before),
                "after": _jsonable(after),
                "source_address": address,
                "note": note,
            },
            subject,
        )
    )


# The last hash of a chain; built once, as composing them cost more than running them.
_LAST = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
_PLATFORM_HEAD = _LAST.where(AuditEvent.agency_id.is_(None))
_AGENCY_HEAD = _LAST.where(AuditEvent.agency_id == bindparam("agency_id"))
_CHAIN_LOCK = text("SELECT pg_advisory_xact_lock(:chain_class, :chain)")


def _chain_heads(session, chains):
    """The last hash of each chain (an agency id, or None for the platform's), each
    chain locked until commit; in sorted order, so two writers cannot deadlock."""
    # On the session's connection, past the ORM's execution layer: plain columns only,
    # and the session has just been flushed.
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    heads = {}
    for agency_id in sorted(chains, key=lambda chain: chain or PLATFORM_CHAIN):
        if postgresql:
            connection.execute(
                _CHAIN_LOCK, {"chain_class": CHAIN_LOCK_CLASS, "chain": agency_id or PLATFORM_CHAIN}
            )
        if agency_id is None:
            head = connection.scalar(_PLATFORM_HEAD)
        else:
            head = connection.scalar(_AGENCY_HEAD, {"agency_id": agency_id})
        heads[agency_id] = head or GENESIS
    return heads


@event.listens_for(Session, "before_commit")
def _write_pending(session):
    pending = session.info.pop(PENDING_KEY, None)
    if not pending:
        return
    session.flush()  # the subjects' ids
    heads = _chain_heads(session, {row["agency_id"] for row, _ in pending})
    rows = []
    for row, subject in pending:
        if subject is not None:
            row["object_id"] = str(subject.id)
        # The same digest as AuditEvent.digest_fields, which verify_chain recomputes.
        digested = {**row, "occurred_at": row["occurred_at"].isoformat()}
        row["prev_hash"] = heads[row["agency_id"]]
        row["hash"] = heads[row["agency_id"]] = chain_hash(row["prev_hash"], digested)
        rows.append(row)
    # One Core INSERT of all the rows, in pending order (each chain's order), on the
    # session's connection and transaction; no objects for the session to track.
    session.connection().execute(AuditEvent.__table__.insert(), rows)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session):
    session.info.pop(PENDING_KEY, None)


def verify_chain(session, batch=5000):
    """Walk every chain in id order (each chain's order); return (events checked, id of
    the first bad event or None)."""
    heads, checked, last_id = {}, 0, 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).all()
        if not rows:
            return checked, None
        for audit_event in rows:
            prev = heads.get(audit_event.agency_id, GENESIS)
            if audit_event.prev_hash != prev or audit_event.compute_hash() != audit_event.hash:
                return checked, audit_event.id
            heads[audit_event.agency_id] = audit_event.hash
            checked, last_id = checked + 1, audit_event.id
            session.expunge(audit_event)
