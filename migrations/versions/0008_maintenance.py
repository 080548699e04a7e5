"""maintenance playbook runs by certified technicians: runs, their targets, their output

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 05:19:55.103361

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "maintenance_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("playbook", sa.String(length=40), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("risk", sa.String(length=10), nullable=False),
        sa.Column("needs_approval", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("technician_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("check_run_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("artifact_path", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["check_run_id"],
            ["maintenance_runs.id"],
            name=op.f("fk_maintenance_runs_check_run_id_maintenance_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_maintenance_runs_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_maintenance_runs_incident_id_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_maintenance_runs_requested_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
            name=op.f("fk_maintenance_runs_technician_id_technicians"),
        ),
        sa.ForeignKeyConstraint(
            ["vendor_id"], ["vendors.id"], name=op.f("fk_maintenance_runs_vendor_id_vendors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_runs")),
        sa.UniqueConstraint("uuid", name=op.f("uq_maintenance_runs_uuid")),
    )
    with op.batch_alter_table("maintenance_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_maintenance_runs_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            "ix_maintenance_runs_vendor_state", ["vendor_id", "state"], unique=False
        )

    op.create_table(
        "maintenance_output",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["maintenance_runs.id"],
            name=op.f("fk_maintenance_output_run_id_maintenance_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_output")),
    )
    with op.batch_alter_table("maintenance_output", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_maintenance_output_run_id"), ["run_id"], unique=False)

    op.create_table(
        "maintenance_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_maintenance_targets_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            ["resources.id"],
            name=op.f("fk_maintenance_targets_resource_id_resources"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["maintenance_runs.id"],
            name=op.f("fk_maintenance_targets_run_id_maintenance_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_targets")),
        sa.UniqueConstraint(
            "run_id", "resource_id", name=op.f("uq_maintenance_targets_run_id_resource_id")
        ),
    )
    with op.batch_alter_table("maintenance_targets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_maintenance_targets_agency_id"), ["agency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_maintenance_targets_resource_id"), ["resource_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("maintenance_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maintenance_targets_resource_id"))
        batch_op.drop_index(batch_op.f("ix_maintenance_targets_agency_id"))

    op.drop_table("maintenance_targets")
    with op.batch_alter_table("maintenance_output", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maintenance_output_run_id"))

    op.drop_table("maintenance_output")
    with op.batch_alter_table("maintenance_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_maintenance_runs_vendor_state")
        batch_op.drop_index(batch_op.f("ix_maintenance_runs_incident_id"))

    op.drop_table("maintenance_runs")
