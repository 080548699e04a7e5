"""Operations (one provisioning run or day-2 action) and their steps and events.

An operation and all its steps are committed before any cloud call, so a worker that
dies mid-way leaves a record another worker can resume from.
"""

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, JSONType, UTCDateTime, utcnow
from portal.provisioning.states import OPERATION_KINDS, OperationState, StepState


def new_operation_id():
    return str(uuid.uuid4())


class Operation(Base):
    __tablename__ = "operations"
    __table_args__ = (Index("ix_operations_state", "state"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_operation_id)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False, index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # What to make or do, resolved when the operation was planned: the task needs nothing else.
    spec: Mapped[dict] = mapped_column(JSONType, nullable=False)
    # A secret the steps need (a database password), encrypted; cleared when done.
    sealed_secret: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=OperationState.QUEUED)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # A worker's claim: another worker leaves the operation alone until it lapses.
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    steps = relationship(
        "OperationStep",
        order_by="OperationStep.seq",
        cascade="all, delete-orphan",
        back_populates="operation",
    )
    events = relationship(
        "OperationEvent", order_by="OperationEvent.id", cascade="all, delete-orphan"
    )
    resource = relationship("Resource", foreign_keys=[resource_id])

    @property
    def state_enum(self):
        return OperationState(self.state)

    @property
    def kind_label(self):
        return OPERATION_KINDS.get(self.kind, self.kind)

    @property
    def fully_undone(self):
        """After a failure: every step that had done something was undone."""
        return all(
            step.state in (StepState.COMPENSATED, StepState.SKIPPED, StepState.PENDING)
            or (step.state == StepState.FAILED and step.params.get("undone"))
            for step in self.steps
        )

    def results(self):
        """Results of the steps done so far, by step name."""
        return {step.name: step.result or {} for step in self.steps if step.state == StepState.DONE}


class OperationStep(Base):
    __tablename__ = "operation_steps"
    __table_args__ = (UniqueConstraint("operation_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[str] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), nullable=False
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    action: Mapped[str] = mapped_column(String(60), nullable=False)
    params: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=StepState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    result: Mapped[dict | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    operation = relationship("Operation", back_populates="steps")

    @property
    def state_enum(self):
        return StepState(self.state)

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class OperationEvent(Base):
    """A line of an operation's live timeline: step changes, Ansible task results,
    retries, compensation. Never holds a secret."""

    __tablename__ = "operation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    operation_id: Mapped[str] = mapped_column(
        ForeignKey("operations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    step_seq: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
