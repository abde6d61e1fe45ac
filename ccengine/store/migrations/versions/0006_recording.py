"""recordings: call recordings and voicemails, indexed on their interaction

Revision ID: 0006_recording
Revises: 0005_customers
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_recording'
down_revision = '0005_customers'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'recordings',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('interaction_id', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('queue', sa.String(length=100), nullable=True),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('format', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('path', sa.String(length=500), nullable=True),
        sa.Column('started_by', sa.String(length=100), nullable=True),
        sa.Column('started_at', sa.Float(), nullable=False),
        sa.Column('ended_at', sa.Float(), nullable=True),
        sa.Column('duration', sa.Float(), nullable=True),
        sa.Column('paused', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('handled_by', sa.String(length=100), nullable=True),
        sa.Column('handled_at', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_recordings_interaction', 'recordings',
                    ['interaction_id', 'started_at'])
    op.create_index('ix_recordings_kind_queue', 'recordings', ['kind', 'queue', 'started_at'])


def downgrade() -> None:
    op.drop_index('ix_recordings_kind_queue', table_name='recordings')
    op.drop_index('ix_recordings_interaction', table_name='recordings')
    op.drop_table('recordings')
