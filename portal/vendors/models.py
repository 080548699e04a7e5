"""Vendors, their contracts with the district, their technicians and the technicians'
certificates ("licensed to work": 持证上岗)."""

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, JSONType, UTCDateTime, utcnow


class Vendor(Base):
    """An operations vendor chosen by tender (定点服务商)."""

    __tablename__ = "vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name_zh: Mapped[str] = mapped_column(String(120), nullable=False)
    name_en: Mapped[str] = mapped_column(String(160), nullable=False)
    contact: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    contracts = relationship("Contract", back_populates="vendor", order_by="Contract.starts_on")

    def name(self, locale):
        return self.name_zh if str(locale).startswith("zh") else self.name_en


class Contract(Base):
    """A vendor's operations contract: the business domains it serves over a period of
    local dates (both included). Agencies of those domains that are fully outsourced
    are the vendor's entirely; hybrid ones only for the services the contract names."""

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False, index=True)
    number: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    domains: Mapped[list] = mapped_column(JSONType, nullable=False)
    # Catalog item keys the vendor operates for hybrid agencies, e.g. ["postgresql"].
    hybrid_services: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    vendor = relationship("Vendor", back_populates="contracts")

    def in_force(self, day):
        return self.starts_on <= day <= self.ends_on


class Technician(Base):
    """A vendor's technician, known by the vendor's staff number; `user` is the login
    they act with, when they have one."""

    __tablename__ = "technicians"
    __table_args__ = (UniqueConstraint("vendor_id", "staff_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False, index=True)
    staff_number: Mapped[str] = mapped_column(String(40), nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    vendor = relationship("Vendor")
    user = relationship("User")
    certificates = relationship(
        "Certificate", back_populates="technician", order_by="Certificate.issued_on.desc()"
    )


class Certificate(Base):
    """A certificate from the yearly exam: valid from its issue to its expiry date (both
    included, local dates) for the business domains and skills it names."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(
        ForeignKey("technicians.id"), nullable=False, index=True
    )
    number: Mapped[str] = mapped_column(String(60), unique=True, nullable=False)
    domains: Mapped[list] = mapped_column(JSONType, nullable=False)
    skills: Mapped[list] = mapped_column(JSONType, nullable=False)
    exam_score: Mapped[int] = mapped_column(Integer, nullable=False)
    issued_on: Mapped[date] = mapped_column(Date, nullable=False)
    expires_on: Mapped[date] = mapped_column(Date, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    # When the 30-day expiry warning went out: once per certificate.
    expiry_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    technician = relationship("Technician", back_populates="certificates")

    def valid_on(self, day):
        return self.revoked_at is None and self.issued_on <= day <= self.expires_on


class SatisfactionSurvey(Base):
    """An agency's rating (1-5) of a fulfilled request or a resolved incident: one per
    request or incident, by its agency's staff."""

    __tablename__ = "satisfaction_surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), unique=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), nullable=False)
    # Whose service is rated: the incident's vendor; None is the platform team.
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"), index=True)
    rated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class ExpertReview(Base):
    """The expert review score (专家验收论证, 0-100) the platform team enters for a vendor
    and a scorecard period ("2026-10", "2026-Q4" or "2026"); a new entry replaces it."""

    __tablename__ = "expert_reviews"
    __table_args__ = (UniqueConstraint("vendor_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("vendors.id"), nullable=False)
    period: Mapped[str] = mapped_column(String(10), nullable=False)
    score: Mapped[int] = mapped_column(Integer, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
