"""callbacks: callback requests (number, queue, due time, attempts and their outcomes)

Revision ID: 0007_callbacks
Revises: 0006_recording
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_callbacks'
down_revision = '0006_recording'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'callbacks',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('interaction_id', sa.String(length=64), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('queue', sa.String(length=100), nullable=False),
        sa.Column('priority', sa.Integer(), nullable=False),
        sa.Column('due_at', sa.Float(), nullable=False),
        sa.Column('enqueued_at', sa.Float(), nullable=True),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('outcomes', sa.JSON(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('requested_via', sa.String(length=16), nullable=False),
        sa.Column('requested_by', sa.String(length=100), nullable=True),
        sa.Column('customer_id', sa.String(length=36), nullable=True),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('interaction_id'),
    )
    op.create_index('ix_callbacks_state_due', 'callbacks', ['state', 'due_at'])


def downgrade() -> None:
    op.drop_index('ix_callbacks_state_due', table_name='callbacks')
    op.drop_table('callbacks')
