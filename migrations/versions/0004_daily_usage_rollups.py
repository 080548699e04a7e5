"""daily usage rollups: usage_days and rolled_days

A database metered before this revision has no rollups: rating reads those days' hours
from usage_records (the same result, slower) until the metering task rolls them up,
a few days per run.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 04:25:16.212113

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rolled_days",
        sa.Column("day_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day_start", name=op.f("pk_rolled_days")),
    )
    op.create_table(
        "usage_days",
        sa.Column("day_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=30), nullable=False),
        sa.Column("dimension", sa.String(length=40), nullable=False),
        sa.Column("sla_tier", sa.String(length=40), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_usage_days_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_usage_days_resource_id_resources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "day_start",
            "resource_id",
            "metric",
            "dimension",
            "sla_tier",
            "agency_id",
            name=op.f("pk_usage_days"),
        ),
    )


def downgrade():
    op.drop_table("usage_days")
    op.drop_table("rolled_days")
