"""customers: an owner, the agent (an account manager) whose customer it is, for
named-contact routing

Revision ID: 0010_customer_owner
Revises: 0009_agent_events
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_customer_owner'
down_revision = '0009_agent_events'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('owner', sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('owner')
