"""customers: free-form attributes, and who merged a record away and when

Revision ID: 0005_customers
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = '0005_customers'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attributes', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('merged_by', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('merged_at', sa.Float(), nullable=True))
        batch_op.create_index(batch_op.f('ix_customers_merged_into'), ['merged_into'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_merged_into'))
        batch_op.drop_column('merged_at')
        batch_op.drop_column('merged_by')
        batch_op.drop_column('attributes')
