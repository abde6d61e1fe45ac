"""records complete: customers.updated_at; interactions status, disposition, from_address
(was caller_number), entered_at index; interaction_events.agent_id; users.token_hash;
queues and skills config tables

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('queues',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('skills',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', sa.Float(), nullable=True))
    op.execute("UPDATE customers SET updated_at = created_at")
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.alter_column('updated_at', existing_type=sa.Float(), nullable=False)

    with op.batch_alter_table('interaction_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agent_id', sa.String(length=100), nullable=True))

    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), nullable=False,
                                      server_default='new'))
        batch_op.add_column(sa.Column('disposition', sa.String(length=100), nullable=True))
        batch_op.alter_column('caller_number', new_column_name='from_address',
                              existing_type=sa.String(length=64), type_=sa.String(length=320),
                              existing_nullable=True)
        batch_op.create_index(batch_op.f('ix_interactions_entered_at'), ['entered_at'],
                              unique=False)
    op.execute("UPDATE interactions SET status = CASE"
               " WHEN ended_at IS NOT NULL THEN 'ended'"
               " WHEN answered_at IS NOT NULL THEN 'answered'"
               " WHEN offered_at IS NOT NULL THEN 'offered'"
               " WHEN queued_at IS NOT NULL THEN 'queued'"
               " ELSE 'new' END")
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.alter_column('status', existing_type=sa.String(length=16),
                              existing_nullable=False, server_default=None)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_token_hash'), ['token_hash'])


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_token_hash'), type_='unique')
        batch_op.drop_column('token_hash')

    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interactions_entered_at'))
        batch_op.alter_column('from_address', new_column_name='caller_number',
                              existing_type=sa.String(length=320), type_=sa.String(length=64),
                              existing_nullable=True)
        batch_op.drop_column('disposition')
        batch_op.drop_column('status')

    with op.batch_alter_table('interaction_events', schema=None) as batch_op:
        batch_op.drop_column('agent_id')

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('updated_at')

    op.drop_table('skills')
    op.drop_table('queues')
