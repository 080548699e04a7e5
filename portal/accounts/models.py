"""Users, their roles, API tokens and login attempts."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.roles import AGENCY_ROLES, PLATFORM_WIDE_ROLES, Role
from portal.core.db import Base, UTCDateTime, utcnow


def new_session_epoch():
    return secrets.token_hex(16)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(120), nullable=False)
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    # The vendor a vendor manager or technician works for.
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("vendors.id"), index=True)
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    # Part of the login id in the session cookie: changing it logs out every session.
    session_epoch: Mapped[str] = mapped_column(
        String(32), default=new_session_epoch, nullable=False
    )
    locale: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set by an administrator's reset: the user chooses a password before anything else.
    must_change_password: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )

    agency = relationship("Agency", lazy="joined")
    role_rows = relationship("UserRole", cascade="all, delete-orphan", lazy="selectin")

    def get_id(self):
        return f"{self.id}:{self.session_epoch}"

    @property
    def is_active(self):
        return self.is_enabled

    @property
    def roles(self):
        return frozenset(Role(row.role) for row in self.role_rows)

    def has_role(self, *roles):
        return bool(self.roles.intersection(roles))

    @property
    def sees_all_agencies(self):
        return bool(self.roles & PLATFORM_WIDE_ROLES)

    @property
    def is_agency_user(self):
        return self.agency_id is not None and bool(self.roles & AGENCY_ROLES)

    def __repr__(self):
        return f"<User {self.username}>"


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    role: Mapped[str] = mapped_column(String(40), nullable=False)


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    prefix: Mapped[str] = mapped_column(String(16), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", lazy="joined")


class LoginAttempt(Base):
    """One attempt to log in; failures in a window throttle further attempts."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "attempted_at"),
        Index("ix_login_attempts_address_at", "source_address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), nullable=False)
    source_address: Mapped[str] = mapped_column(String(64), nullable=False)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    succeeded: Mapped[bool] = mapped_column(Boolean, nullable=False)
