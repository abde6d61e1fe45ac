"""consents, consent_events, do_not_call, email_suppressions: the consent ledger (each
customer's consent per channel and purpose now, and every change of it), the do-not-call
list and the addresses campaign mail never goes to

Revision ID: 0013_consent
Revises: 0012_intent_labels
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_consent'
down_revision = '0012_intent_labels'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'consents',
        sa.Column('customer_id', sa.String(length=36), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('by', sa.String(length=100), nullable=False),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.Column('evidence', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
        sa.PrimaryKeyConstraint('customer_id', 'channel', 'purpose'),
    )
    op.create_table(
        'consent_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('customer_id', sa.String(length=36), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('purpose', sa.String(length=16), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('by', sa.String(length=100), nullable=False),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.Column('evidence', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.create_index('ix_consent_events_customer_at', ['customer_id', 'at'],
                              unique=False)
    op.create_table(
        'do_not_call',
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('by', sa.String(length=100), nullable=False),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('number'),
    )
    op.create_table(
        'email_suppressions',
        sa.Column('address', sa.String(length=320), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('address'),
    )


def downgrade() -> None:
    op.drop_table('email_suppressions')
    op.drop_table('do_not_call')
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_events_customer_at')
    op.drop_table('consent_events')
    op.drop_table('consents')
