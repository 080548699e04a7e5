"""Orders, their approval steps, quota costs and timeline."""

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, JSONType, UTCDateTime, utcnow
from portal.orders.states import OrderState, StepState


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("created_by_id", "client_token"),
        Index("ix_orders_agency_state", "agency_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_items.id"), nullable=False)
    catalog_version_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_item_versions.id"), nullable=False
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    state: Mapped[str] = mapped_column(String(30), nullable=False, default=OrderState.DRAFT)
    parameters: Mapped[dict] = mapped_column(JSONType, nullable=False)
    spec: Mapped[dict] = mapped_column(JSONType, nullable=False)
    sla_tier: Mapped[str] = mapped_column(String(40), nullable=False)
    # Set by the form that made the order: the same form posted twice makes one order.
    client_token: Mapped[str | None] = mapped_column(String(64))
    current_step: Mapped[int | None] = mapped_column(Integer)
    # "new" makes a resource; "lease_extension" extends the lease of `resource_id`.
    purpose: Mapped[str] = mapped_column(String(20), nullable=False, default="new")
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id", use_alter=True))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, nullable=False, index=True
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}

    agency = relationship("Agency", lazy="joined")
    item = relationship("CatalogItem", lazy="joined")
    catalog_version = relationship("CatalogItemVersion")
    created_by = relationship("User", lazy="joined")
    steps = relationship(
        "ApprovalStep",
        order_by="ApprovalStep.seq",
        cascade="all, delete-orphan",
        back_populates="order",
    )
    costs = relationship("OrderQuotaCost", cascade="all, delete-orphan")
    events = relationship("OrderEvent", order_by="OrderEvent.id", cascade="all, delete-orphan")

    @property
    def number(self):
        return f"SR{self.id:06d}"

    @property
    def state_enum(self):
        return OrderState(self.state)

    @property
    def quota_cost(self):
        return {cost.resource: cost.amount for cost in self.costs}

    @property
    def pending_step(self):
        for step in self.steps:
            if step.seq == self.current_step and step.state == StepState.PENDING:
                return step
        return None


class ApprovalStep(Base):
    __tablename__ = "approval_steps"
    __table_args__ = (UniqueConstraint("order_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), nullable=False
    )
    seq: Mapped[int] = mapped_column(Integer, nullable=False)
    role: Mapped[str] = mapped_column(String(40), nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False, default=StepState.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(Text)

    order = relationship("Order", back_populates="steps")
    decided_by = relationship("User")


class OrderQuotaCost(Base):
    __tablename__ = "order_quota_costs"
    __table_args__ = (UniqueConstraint("order_id", "resource"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), nullable=False
    )
    resource: Mapped[str] = mapped_column(String(20), nullable=False)
    amount: Mapped[int] = mapped_column(Integer, nullable=False)


class OrderEvent(Base):
    """One entry of an order's timeline: who did what, when."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), nullable=False, index=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(Text)

    actor = relationship("User")
