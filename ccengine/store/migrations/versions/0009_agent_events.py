"""agent_events and agent_time: agents' state changes and time per quarter hour, for
reports; work_intervals: ended work's report figures per quarter hour; interactions
indexed by queued time,
with the figures reports count (first response, callback, transfers, wrap-up) on the row

Revision ID: 0009_agent_events
Revises: 0008_sessions
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_agent_events'
down_revision = '0008_sessions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'agent_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('agent_id', sa.String(length=100), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('old', sa.String(length=16), nullable=False),
        sa.Column('new', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=100), nullable=False),
        sa.Column('cause', sa.String(length=40), nullable=False),
        sa.Column('interaction_id', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_agent_events_agent_at', 'agent_events', ['agent_id', 'at'])
    op.create_index('ix_agent_events_at', 'agent_events', ['at'])
    op.create_index('ix_agent_events_interaction_id', 'agent_events', ['interaction_id'])
    op.create_index('ix_interactions_queued_at', 'interactions', ['queued_at'])
    op.create_table(
        'agent_time',
        sa.Column('agent_id', sa.String(length=100), nullable=False),
        sa.Column('bucket', sa.Integer(), nullable=False),
        sa.Column('staffed_seconds', sa.Float(), nullable=False),
        sa.Column('occupied_seconds', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('agent_id', 'bucket'),
    )
    with op.batch_alter_table('interactions') as batch:
        batch.add_column(sa.Column('first_response_at', sa.Float(), nullable=True))
        batch.add_column(sa.Column('callback_at', sa.Float(), nullable=True))
        batch.add_column(sa.Column('transfers', sa.Integer(), nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('wrapup_seconds', sa.Float(), nullable=False,
                                   server_default='0'))
        batch.add_column(sa.Column('counted_at', sa.Float(), nullable=True))
    op.create_index('ix_interactions_uncounted', 'interactions', ['counted_at', 'queued_at'])
    ints = ('offered', 'answered', 'responded', 'met', 'abandoned', 'abandoned_within',
            'short_abandoned', 'other_exits', 'waiting', 'transfers', 'callbacks', 'handled',
            'first_responses')
    floats = ('wait_total', 'talk_total', 'wrapup_total', 'first_response_total')
    op.create_table(
        'work_intervals',
        sa.Column('bucket', sa.Integer(), nullable=False),
        sa.Column('queue', sa.String(length=100), nullable=False),
        sa.Column('medium', sa.String(length=16), nullable=False),
        sa.Column('agent_id', sa.String(length=100), nullable=False),
        *(sa.Column(n, sa.Integer(), nullable=False) for n in ints),
        *(sa.Column(n, sa.Float(), nullable=False) for n in floats),
        sa.PrimaryKeyConstraint('bucket', 'queue', 'medium', 'agent_id'),
    )
    op.create_index('ix_work_intervals_agent_bucket', 'work_intervals', ['agent_id', 'bucket'])
    # the interactions stored before: the same figures from their events
    for column, aggregate, kind in (('first_response_at', 'MIN(e.at)', 'first_response'),
                                    ('callback_at', 'MIN(e.at)', 'callback_requested'),
                                    ('transfers', 'COUNT(*)', 'transfer_completed')):
        op.execute(
            f"UPDATE interactions SET {column} = (SELECT {aggregate} FROM interaction_events e "
            f"WHERE e.interaction_id = interactions.id AND e.kind = '{kind}') "
            f"WHERE EXISTS (SELECT 1 FROM interaction_events e WHERE "
            f"e.interaction_id = interactions.id AND e.kind = '{kind}')")


def downgrade() -> None:
    op.drop_index('ix_work_intervals_agent_bucket', table_name='work_intervals')
    op.drop_table('work_intervals')
    op.drop_index('ix_interactions_uncounted', table_name='interactions')
    op.drop_table('agent_time')
    with op.batch_alter_table('interactions') as batch:
        for column in ('counted_at', 'wrapup_seconds', 'transfers', 'callback_at',
                       'first_response_at'):
            batch.drop_column(column)
    op.drop_index('ix_interactions_queued_at', table_name='interactions')
    op.drop_index('ix_agent_events_interaction_id', table_name='agent_events')
    op.drop_index('ix_agent_events_at', table_name='agent_events')
    op.drop_index('ix_agent_events_agent_at', table_name='agent_events')
    op.drop_table('agent_events')
