"""messages: email and chat messages (raw email kept), idempotent by (medium, external_id)

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'messages',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('medium', sa.String(length=16), nullable=False),
        sa.Column('direction', sa.String(length=3), nullable=False),
        sa.Column('external_id', sa.String(length=998), nullable=True),
        sa.Column('interaction_id', sa.String(length=64), nullable=True),
        sa.Column('thread_key', sa.String(length=998), nullable=True),
        sa.Column('sender', sa.String(length=320), nullable=True),
        sa.Column('recipients', sa.JSON(), nullable=False),
        sa.Column('subject', sa.Text(), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('raw', sa.LargeBinary(), nullable=True),
        sa.Column('meta', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('medium', 'external_id', name='uq_messages_external'),
    )
    op.create_index('ix_messages_interaction', 'messages', ['interaction_id', 'id'])
    op.create_index(op.f('ix_messages_thread_key'), 'messages', ['thread_key'])
    op.create_index(op.f('ix_messages_state'), 'messages', ['state'])


def downgrade() -> None:
    op.drop_index(op.f('ix_messages_state'), table_name='messages')
    op.drop_index(op.f('ix_messages_thread_key'), table_name='messages')
    op.drop_index('ix_messages_interaction', table_name='messages')
    op.drop_table('messages')
