"""Definitions loaded from YAML files as revisions: price lists and SLA definitions.

Each file is one version, in effect from its effective_from. A changed file becomes a
new revision of its version (the old one is marked superseded), a removed file is
marked withdrawn; nothing is deleted, so every revision stays visible with who loaded
it and why.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from catalog.loader import digest
from portal.core import audit
from portal.core.db import JSONType, UTCDateTime, utcnow


class VersionedDefinition:
    """The columns of one revision of a definition file (a mixin for a model)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(40), nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    definition: Mapped[dict] = mapped_column(JSONType, nullable=False)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set when a later revision replaced this one, or its file was removed.
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @declared_attr
    def loaded_by(cls):
        return relationship("User")


@dataclass
class SyncReport:
    created: list = field(default_factory=list)
    revised: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    withdrawn: list = field(default_factory=list)


def sync_versions(session, actor, model, definitions, *, kind, note=None):
    """Make the model's current revisions match the (validated) definitions; audit
    events are `<kind>.loaded` and `<kind>.withdrawn`. Only flushes."""
    report, now = SyncReport(), utcnow()
    current = {row.version: row for row in current_versions(session, model)}
    for definition in definitions:
        version, fingerprint = definition["version"], digest(definition)
        previous = current.pop(version, None)
        if previous is not None and previous.digest == fingerprint:
            report.unchanged.append(version)
            continue
        if previous is not None:
            previous.superseded_at = now
            revision = previous.revision + 1
            report.revised.append(version)
        else:
            revision = 1 + _revisions_so_far(session, model, version)
            report.created.append(version)
        session.add(
            model(
                version=version,
                revision=revision,
                effective_from=datetime.fromisoformat(definition["effective_from"]),
                definition=definition,
                digest=fingerprint,
                note=note,
                loaded_by_id=actor.id if actor else None,
            )
        )
        audit.record(
            session,
            actor,
            f"{kind}.loaded",
            kind,
            f"{version}#{revision}",
            before={"digest": previous.digest} if previous else None,
            after={"digest": fingerprint, "effective_from": definition["effective_from"]},
            note=note,
        )
    for version, row in sorted(current.items()):
        row.withdrawn_at = now
        report.withdrawn.append(version)
        audit.record(session, actor, f"{kind}.withdrawn", kind, f"{version}#{row.revision}")
    session.flush()
    return report


def current_versions(session, model):
    """The revisions in force, by effective date."""
    return list(
        session.scalars(
            select(model)
            .where(model.superseded_at.is_(None), model.withdrawn_at.is_(None))
            .order_by(model.effective_from)
        )
    )


def version_history(session, model):
    """Every revision ever loaded, newest first."""
    return list(
        session.scalars(select(model).order_by(model.effective_from.desc(), model.revision.desc()))
    )


def _revisions_so_far(session, model, version):
    return len(session.scalars(select(model.id).where(model.version == version)).all())
