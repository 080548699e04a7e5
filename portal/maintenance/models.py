"""Maintenance runs: one playbook, its parameters and target resources, who planned and
who approved it, how it went; the resources it targets; its output, line by line."""

import uuid
from datetime import datetime
from typing import ClassVar

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, JSONType, UTCDateTime, utcnow
from portal.maintenance.states import RunState


def new_run_uuid():
    return str(uuid.uuid4())


class MaintenanceRun(Base):
    __tablename__ = "maintenance_runs"
    __table_args__ = (Index("ix_maintenance_runs_vendor_state", "vendor_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # ansible-runner's ident: names the run's private data folder and its files.
    uuid: Mapped[str] = mapped_column(String(36), unique=True, nullable=False, default=new_run_uuid)
    playbook: Mapped[str] = mapped_column(String(40), nullable=False)
    mode: Mapped[str] = mapped_column(String(10), nullable=False)  # check | apply
    # Cleaned against the catalog, defaults filled in; never a credential.
    parameters: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    # The catalog's risk when it was planned: approval follows what the technician saw.
    risk: Mapped[str] = mapped_column(String(10), nullable=False)
    needs_approval: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=RunState.PLANNED)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"), nullable=False)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    # An apply run: the succeeded check run with the same parameters and targets.
    check_run_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_runs.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A worker's hold on a running run: a redelivered task finds it and leaves it alone.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    summary: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSONType)  # what the playbook published
    artifact_path: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(nullable=False)

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}

    vendor = relationship("Vendor")
    technician = relationship("Technician")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    incident = relationship("Incident")
    check_run = relationship("MaintenanceRun", remote_side=[id])
    targets = relationship(
        "MaintenanceTarget",
        order_by="MaintenanceTarget.resource_id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    output = relationship(
        "MaintenanceOutput", order_by="MaintenanceOutput.id", cascade="all, delete-orphan"
    )

    @property
    def number(self):
        return f"MR{self.id:06d}"

    @property
    def run_state(self):
        return RunState(self.state)

    @property
    def resource_ids(self):
        return sorted(target.resource_id for target in self.targets)

    @property
    def agency_ids(self):
        return sorted({target.agency_id for target in self.targets})


class MaintenanceTarget(Base):
    """A resource a run works on; its agency is kept for scoping who sees the run."""

    __tablename__ = "maintenance_targets"
    __table_args__ = (UniqueConstraint("run_id", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("maintenance_runs.id", ondelete="CASCADE"), nullable=False
    )
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), nullable=False, index=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)

    resource = relationship("Resource", lazy="joined")


class MaintenanceOutput(Base):
    """A line of a run's live output: its state changes and Ansible's task results.
    Never holds a secret (run_playbook scrubs them, the playbooks hide them)."""

    __tablename__ = "maintenance_output"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("maintenance_runs.id", ondelete="CASCADE"), nullable=False, index=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    task: Mapped[str | None] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
