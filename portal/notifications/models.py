"""A notice to one user, shown in the portal until read."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.db import Base, UTCDateTime, utcnow


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Kept in both languages: the reader's language is chosen when it is shown.
    subject_zh: Mapped[str] = mapped_column(String(200), nullable=False)
    subject_en: Mapped[str] = mapped_column(String(200), nullable=False)
    body_zh: Mapped[str] = mapped_column(Text, nullable=False, default="")
    body_en: Mapped[str] = mapped_column(Text, nullable=False, default="")
    link: Mapped[str | None] = mapped_column(String(255))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def subject(self, locale):
        return self.subject_zh if str(locale).startswith("zh") else self.subject_en

    def body(self, locale):
        return self.body_zh if str(locale).startswith("zh") else self.body_en
