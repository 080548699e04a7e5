"""Catalog items and their versions; an order keeps the version it was made with."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, JSONType, UTCDateTime, utcnow


class CatalogItem(Base):
    __tablename__ = "catalog_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("catalog_item_versions.id", use_alter=True)
    )
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Not eager: orders load their item, and must not drag its definition along.
    current_version = relationship(
        "CatalogItemVersion", foreign_keys=[current_version_id], post_update=True
    )

    @property
    def is_retired(self):
        return self.retired_at is not None


class CatalogItemVersion(Base):
    __tablename__ = "catalog_item_versions"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("catalog_items.id"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    definition: Mapped[dict] = mapped_column(JSONType, nullable=False)
    digest: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)

    item = relationship("CatalogItem", foreign_keys=[item_id])

    def text(self, key, locale):
        """A localized text of the definition (name, description) in the locale."""
        return localized(self.definition[key], locale)


def localized(text, locale):
    return text["zh_CN"] if str(locale).startswith("zh") else text["en"]
