"""Price list versions, metered usage and its daily rollups, bills and their lines,
budgets."""

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.billing.states import BillState
from portal.core.db import Base, JSONType, Money, Rate, UTCDateTime, utcnow
from portal.core.versioned import VersionedDefinition


class PriceList(VersionedDefinition, Base):
    """One revision of a price list version as loaded from billing/prices/*.yaml."""

    __tablename__ = "price_lists"
    __table_args__ = (UniqueConstraint("version", "revision"),)


class MeteredHour(Base):
    """An hour whose usage is recorded: metering an hour twice changes nothing."""

    __tablename__ = "metered_hours"

    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    metered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    resources: Mapped[int] = mapped_column(Integer, nullable=False)
    records: Mapped[int] = mapped_column(Integer, nullable=False)


class UsageRecord(Base):
    """What one resource used of one metric in one hour, in unit-seconds. The agency
    and SLA tier are copied in so that rating reads this table alone."""

    __tablename__ = "usage_records"
    __table_args__ = (Index("ix_usage_records_resource_hour", "resource_id", "hour"),)

    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(String(30), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(40), primary_key=True, default="")
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False)
    sla_tier: Mapped[str] = mapped_column(String(40), nullable=False)
    quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)


class UsageDay(Base):
    """A billing-zone day of usage records summed per resource, metric, dimension, SLA
    tier and agency: built once the day is metered (a RolledDay row says so), so that a
    month's bill run reads about 31 rows per resource and metric instead of 744."""

    __tablename__ = "usage_days"

    day_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(String(30), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(40), primary_key=True)
    sla_tier: Mapped[str] = mapped_column(String(40), primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)


class RolledDay(Base):
    """A day whose usage_days match its hourly records. Re-metering an hour of the day
    removes it, and the day is rolled up again."""

    __tablename__ = "rolled_days"

    day_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    rolled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    records: Mapped[int] = mapped_column(Integer, nullable=False)


class Bill(Base):
    """An agency's bill for a month. A reissue is a new revision; the old one is kept."""

    __tablename__ = "bills"
    __table_args__ = (
        UniqueConstraint("agency_id", "month", "revision"),
        Index("ix_bills_month_status", "month", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False)
    month: Mapped[date] = mapped_column(Date, nullable=False)  # its first day
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=BillState.DRAFT)
    usage: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal(0))
    service_fee: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal(0))
    adjustments: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal(0))
    credits: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(Money(), nullable=False, default=Decimal(0))
    # The price list revisions the lines were rated with: [{version, revision, digest}].
    price_lists: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    finalized_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    finalized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # sha256 of the finalized content: lines, totals, price lists.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}

    agency = relationship("Agency", lazy="joined")
    finalized_by = relationship("User", foreign_keys=[finalized_by_id])

    @property
    def number(self):
        return f"JY-{self.month:%Y%m}-{self.agency.code}-{self.revision}"

    @property
    def state(self):
        return BillState(self.status)


class BillLine(Base):
    __tablename__ = "bill_lines"
    __table_args__ = (Index("ix_bill_lines_bill_resource", "bill_id", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    resource_id: Mapped[int | None] = mapped_column(ForeignKey("resources.id"))
    metric: Mapped[str | None] = mapped_column(String(30))
    dimension: Mapped[str] = mapped_column(String(40), nullable=False, default="")
    sla_tier: Mapped[str | None] = mapped_column(String(40))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    quantity: Mapped[int | None] = mapped_column(BigInteger)  # unit-seconds
    # Null only while rating looks for usage that no price list prices (then refused).
    rate: Mapped[Decimal | None] = mapped_column(Rate())
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    resource = relationship("Resource")
    created_by = relationship("User")


class BillRate(Base):
    """The rate a bill applies to a metric in a price period: resolved once per bill
    (agency kind and negotiated terms) so that rating is one join in SQL."""

    __tablename__ = "bill_rates"

    bill_id: Mapped[int] = mapped_column(
        ForeignKey("bills.id", ondelete="CASCADE"), primary_key=True
    )
    period_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    metric: Mapped[str] = mapped_column(String(30), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(40), primary_key=True)
    sla_tier: Mapped[str] = mapped_column(String(40), primary_key=True)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    rate: Mapped[Decimal] = mapped_column(Rate(), nullable=False)


class Budget(Base):
    """An agency's yearly budget for its subtree, with when its warnings went out."""

    __tablename__ = "budgets"
    __table_args__ = (UniqueConstraint("agency_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money(), nullable=False)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    warned_80_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned_100_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agency = relationship("Agency")
