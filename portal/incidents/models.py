"""Incidents under SLA clocks, their timeline and pauses; the SLA definitions in force."""

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, UTCDateTime, utcnow
from portal.core.versioned import VersionedDefinition
from portal.incidents.states import IncidentState


class SlaDefinition(VersionedDefinition, Base):
    """One revision of an SLA definition version as loaded from catalog/slas/*.yaml."""

    __tablename__ = "sla_definitions"
    __table_args__ = (UniqueConstraint("version", "revision"),)


class Incident(Base):
    """A fault reported on an agency's resource (or service), handled by the vendor
    responsible for it, or by the platform team, under the SLA of its tier."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_state_vendor", "state", "vendor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), index=True)
    source: Mapped[str] = mapped_column(String(20), nullable=False)
    priority: Mapped[str] = mapped_column(String(2), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=IncidentState.OPEN)
    # None: the platform team handles it (self-operated agency, or no vendor's service).
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"), index=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"))
    # The vendor's contract when it was opened: its SLA terms, if it sets any, apply.
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    sla_tier: Mapped[str] = mapped_column(String(40), nullable=False)
    # The SLA revision in force when the incident was opened: its clocks keep to it.
    sla_definition_id: Mapped[int] = mapped_column(ForeignKey("sla_definitions.id"))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When each clock runs out (None while paused), kept for the breach sweep.
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_breached: Mapped[bool] = mapped_column(default=False, nullable=False)
    resolution_breached: Mapped[bool] = mapped_column(default=False, nullable=False)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(nullable=False)

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}

    agency = relationship("Agency")
    resource = relationship("Resource")
    vendor = relationship("Vendor")
    technician = relationship("Technician")
    contract = relationship("Contract")
    sla_definition = relationship("SlaDefinition")
    opened_by = relationship("User")
    pauses = relationship(
        "IncidentPause", order_by="IncidentPause.started_at", cascade="all, delete-orphan"
    )
    events = relationship(
        "IncidentEvent", order_by="IncidentEvent.id", cascade="all, delete-orphan"
    )

    @property
    def number(self):
        return f"INC-{self.id:06d}"

    @property
    def contract_number(self):
        return self.contract.number if self.contract is not None else None

    @property
    def incident_state(self):
        return IncidentState(self.state)


class IncidentPause(Base):
    """A span the resolution clock stood still: waiting on the agency, or resolved
    until the agency reopened it."""

    __tablename__ = "incident_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(20), nullable=False)  # waiting | reopened


class IncidentEvent(Base):
    """The incident's timeline: every change and comment, with who and when."""

    __tablename__ = "incident_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False, index=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(30), nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    note: Mapped[str | None] = mapped_column(Text)

    actor = relationship("User")
