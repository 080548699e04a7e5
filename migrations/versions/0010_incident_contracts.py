"""incidents remember the vendor's contract they were opened under (its SLA terms)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 08:20:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("incidents") as batch_op:
        batch_op.add_column(sa.Column("contract_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_incidents_contract_id_contracts"), "contracts", ["contract_id"], ["id"]
        )


def downgrade():
    with op.batch_alter_table("incidents") as batch_op:
        batch_op.drop_constraint(op.f("fk_incidents_contract_id_contracts"), type_="foreignkey")
        batch_op.drop_column("contract_id")
