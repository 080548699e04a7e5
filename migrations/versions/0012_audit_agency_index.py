"""audit_events: drop ix_audit_events_agency_id, the leading column of ix_audit_events_chain

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 05:05:00.000000

Every query by agency is served by ix_audit_events_chain (agency_id, id); the index on
agency_id alone only cost each audited change one more index to maintain.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_index("ix_audit_events_agency_id")


def downgrade():
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.create_index("ix_audit_events_agency_id", ["agency_id"], unique=False)
