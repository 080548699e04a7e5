"""Resources (what an agency holds in the cloud) and their lifecycle events."""

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, JSONType, UTCDateTime, utcnow
from portal.inventory.states import ResourceState


class Resource(Base):
    __tablename__ = "resources"
    __table_args__ = (Index("ix_resources_agency_state", "agency_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_items.id"), nullable=False)
    catalog_version_id: Mapped[int] = mapped_column(
        ForeignKey("catalog_item_versions.id"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # the item's kind
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    state: Mapped[str] = mapped_column(
        String(20), nullable=False, default=ResourceState.PROVISIONING
    )
    sla_tier: Mapped[str] = mapped_column(String(40), nullable=False)
    # The business system it serves, as the order named it: bills subtotal by it.
    application: Mapped[str | None] = mapped_column(String(60))
    # The size as ordered, then as resized: vcpus, ram_gb, flavor, disk sizes.
    size: Mapped[dict] = mapped_column(JSONType, nullable=False)
    # Where it lives: project, server, volume ids; addresses; database host and name.
    cloud: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    # Credentials shown once to the agency, encrypted until then.
    sealed_secret: Mapped[str | None] = mapped_column(Text)
    # Why operators must look at it (found missing, changed out of band), or None.
    attention: Mapped[str | None] = mapped_column(Text)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}

    agency = relationship("Agency", lazy="joined")
    item = relationship("CatalogItem", lazy="joined")
    order = relationship("Order", foreign_keys=[order_id])
    events = relationship(
        "LifecycleEvent", order_by="LifecycleEvent.id", cascade="all, delete-orphan"
    )
    costs = relationship("ResourceQuotaCost", cascade="all, delete-orphan")

    @property
    def number(self):
        return f"RS{self.id:06d}"

    @property
    def state_enum(self):
        return ResourceState(self.state)

    @property
    def quota_cost(self):
        return {cost.resource: cost.amount for cost in self.costs}


class ResourceQuotaCost(Base):
    """What a live resource holds of its agency's quota (an order's cost moves here
    when the order is fulfilled, and follows resizes)."""

    __tablename__ = "resource_quota_costs"
    __table_args__ = (UniqueConstraint("resource_id", "resource"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), nullable=False
    )
    resource: Mapped[str] = mapped_column(String(20), nullable=False)
    amount: Mapped[int] = mapped_column(Integer, nullable=False)


class LifecycleEvent(Base):
    """A change of a resource at an exact time, with its state and size after it:
    metering reads these, so they are written in the same commit as the change."""

    __tablename__ = "lifecycle_events"
    __table_args__ = (
        Index("ix_lifecycle_events_resource_time", "resource_id", "occurred_at"),
        # Metering reads every resource's events of an hour.
        Index("ix_lifecycle_events_occurred_at", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), nullable=False
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)
    state: Mapped[str] = mapped_column(String(20), nullable=False)
    size: Mapped[dict] = mapped_column(JSONType, nullable=False)
    operation_id: Mapped[str | None] = mapped_column(ForeignKey("operations.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CloudOrphan(Base):
    """A cloud object tagged by the portal that no live resource or running operation
    accounts for: reported when first seen, deleted after a grace period."""

    __tablename__ = "cloud_orphans"

    id: Mapped[int] = mapped_column(primary_key=True)
    cloud_id: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    project_id: Mapped[str | None] = mapped_column(String(64))
    operation_id: Mapped[str | None] = mapped_column(String(36))
    agency_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    cleaned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
