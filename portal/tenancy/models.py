"""Agencies (a tree with a materialized path) and their quota limits."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from portal.core.db import Base, UTCDateTime, utcnow


class Agency(Base):
    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name_zh: Mapped[str] = mapped_column(String(120), nullable=False)
    name_en: Mapped[str] = mapped_column(String(160), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    domain: Mapped[str] = mapped_column(String(40), nullable=False)
    outsourcing_mode: Mapped[str] = mapped_column(String(20), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    # "/1/7/42/": the ids from the root down, so a subtree is one prefix match.
    path: Mapped[str] = mapped_column(String(255), nullable=False, default="", index=True)
    # The agency's own OpenStack project, made when its first resource is provisioned.
    cloud_project_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    parent = relationship("Agency", remote_side=[id])
    # Loaded when asked for: agencies come along with every order and user.
    quotas = relationship("Quota", cascade="all, delete-orphan")

    @property
    def ancestor_ids(self):
        """Ids from the root down to and including this agency."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    def name(self, locale):
        return self.name_zh if str(locale).startswith("zh") else self.name_en

    def quota_limits(self):
        """{resource: limit} of the agency's own quotas."""
        session = object_session(self)
        if session is None or "quotas" in self.__dict__:
            return {quota.resource: quota.limit for quota in self.quotas}
        # Not loaded: two columns on the session's connection, not Quota objects by a
        # lazy load, whose autoflush wrote a planned resource apart from its operation.
        return dict(session.connection().execute(_LIMITS_OF, {"agency_id": self.id}).all())

    def __repr__(self):
        return f"<Agency {self.code}>"


class Quota(Base):
    """The most an agency's subtree may hold of one resource; no row means no limit."""

    __tablename__ = "quotas"
    __table_args__ = (UniqueConstraint("agency_id", "resource"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(
        ForeignKey("agencies.id", ondelete="CASCADE"), nullable=False
    )
    resource: Mapped[str] = mapped_column(String(20), nullable=False)
    limit: Mapped[int] = mapped_column(Integer, nullable=False)


_LIMITS_OF = select(Quota.resource, Quota.limit).where(Quota.agency_id == bindparam("agency_id"))
