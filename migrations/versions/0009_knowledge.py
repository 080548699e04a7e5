"""the knowledge base: articles, their revisions and topics, the articles incidents cite

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 05:34:46.801043

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "knowledge_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_knowledge_articles_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_knowledge_articles_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_articles")),
    )
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_knowledge_articles_updated_at"), ["updated_at"], unique=False
        )

    op.create_table(
        "knowledge_article_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "domains",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "skills",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("saved_by_id", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["knowledge_articles.id"],
            name=op.f("fk_knowledge_article_revisions_article_id_knowledge_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["saved_by_id"],
            ["users.id"],
            name=op.f("fk_knowledge_article_revisions_saved_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_article_revisions")),
        sa.UniqueConstraint(
            "article_id", "version", name=op.f("uq_knowledge_article_revisions_article_id_version")
        ),
    )
    op.create_table(
        "knowledge_article_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["knowledge_articles.id"],
            name=op.f("fk_knowledge_article_topics_article_id_knowledge_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_article_topics")),
        sa.UniqueConstraint(
            "article_id",
            "kind",
            "code",
            name=op.f("uq_knowledge_article_topics_article_id_kind_code"),
        ),
    )
    with op.batch_alter_table("knowledge_article_topics", schema=None) as batch_op:
        batch_op.create_index(
            "ix_knowledge_article_topics_kind_code", ["kind", "code"], unique=False
        )

    op.create_table(
        "incident_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["knowledge_articles.id"],
            name=op.f("fk_incident_articles_article_id_knowledge_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_articles_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"], ["users.id"], name=op.f("fk_incident_articles_linked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_articles")),
        sa.UniqueConstraint(
            "incident_id", "article_id", name=op.f("uq_incident_articles_incident_id_article_id")
        ),
    )
    with op.batch_alter_table("incident_articles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_articles_article_id"), ["article_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("incident_articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_articles_article_id"))

    op.drop_table("incident_articles")
    with op.batch_alter_table("knowledge_article_topics", schema=None) as batch_op:
        batch_op.drop_index("ix_knowledge_article_topics_kind_code")

    op.drop_table("knowledge_article_topics")
    op.drop_table("knowledge_article_revisions")
    with op.batch_alter_table("knowledge_articles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_knowledge_articles_updated_at"))

    op.drop_table("knowledge_articles")
