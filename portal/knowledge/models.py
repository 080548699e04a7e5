"""Knowledge-base articles, every revision of them, and the articles incidents cite."""

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import Base, JSONType, UTCDateTime, utcnow
from portal.tenancy.vocabulary import BUSINESS_DOMAINS
from portal.vendors.vocabulary import SKILLS

DOMAIN, SKILL = "domain", "skill"


class KnowledgeArticle(Base):
    """The current text of an article; every version of it, this one included, is an
    ArticleRevision. `version` is the optimistic lock: an edit names the version it
    started from and is refused when another edit came first."""

    __tablename__ = "knowledge_articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, nullable=False, index=True
    )
    version: Mapped[int] = mapped_column(nullable=False)

    __mapper_args__: ClassVar[dict] = {"version_id_col": version}

    author = relationship("User", foreign_keys=[author_id])
    updated_by = relationship("User", foreign_keys=[updated_by_id])
    topics = relationship(
        "ArticleTopic",
        cascade="all, delete-orphan",
        order_by="ArticleTopic.id",
        lazy="selectin",
    )
    revisions = relationship(
        "ArticleRevision",
        cascade="all, delete-orphan",
        order_by="ArticleRevision.version.desc()",
        back_populates="article",
    )

    @property
    def number(self):
        return f"KB-{self.id:05d}"

    @property
    def domains(self):
        """The codes in the vocabulary's order, as its revisions keep them."""
        return _in_order(self.topics, DOMAIN, BUSINESS_DOMAINS)

    @property
    def skills(self):
        return _in_order(self.topics, SKILL, SKILLS)


def _in_order(topics, kind, vocabulary):
    codes = {topic.code for topic in topics if topic.kind == kind}
    return [code for code in vocabulary if code in codes]


class ArticleTopic(Base):
    """A business domain or a skill an article concerns: rows rather than a JSON list,
    so that the search filters on them alike on SQLite and PostgreSQL."""

    __tablename__ = "knowledge_article_topics"
    __table_args__ = (
        UniqueConstraint("article_id", "kind", "code"),
        Index("ix_knowledge_article_topics_kind_code", "kind", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_articles.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # domain | skill
    code: Mapped[str] = mapped_column(String(40), nullable=False)


class ArticleRevision(Base):
    """One version of an article as it was saved, with who saved it and why: an edit
    adds a revision and never overwrites one."""

    __tablename__ = "knowledge_article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_articles.id", ondelete="CASCADE"), nullable=False
    )
    version: Mapped[int] = mapped_column(nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    domains: Mapped[list] = mapped_column(JSONType, nullable=False)
    skills: Mapped[list] = mapped_column(JSONType, nullable=False)
    note: Mapped[str | None] = mapped_column(Text)
    saved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    article = relationship("KnowledgeArticle", back_populates="revisions")
    saved_by = relationship("User")


class IncidentArticle(Base):
    """An article cited by an incident's resolution."""

    __tablename__ = "incident_articles"
    __table_args__ = (UniqueConstraint("incident_id", "article_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False
    )
    article_id: Mapped[int] = mapped_column(
        ForeignKey("knowledge_articles.id", ondelete="CASCADE"), nullable=False, index=True
    )
    linked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    article = relationship("KnowledgeArticle")
    incident = relationship("Incident")
    linked_by = relationship("User")
