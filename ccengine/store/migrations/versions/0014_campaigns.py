"""campaigns, campaign_targets, campaign_contacts: outbound campaigns, the customers on
their lists with where each is in the steps, and every attempt of a step

Revision ID: 0014_campaigns
Revises: 0013_consent
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_campaigns'
down_revision = '0013_consent'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'campaigns',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('spec', sa.JSON(), nullable=False),
        sa.Column('secret', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.Column('started_at', sa.Float(), nullable=True),
        sa.Column('finished_at', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name', name='uq_campaigns_name'),
    )
    op.create_table(
        'campaign_targets',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.String(length=36), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_at', sa.Float(), nullable=True),
        sa.Column('phone', sa.String(length=32), nullable=True),
        sa.Column('email', sa.String(length=320), nullable=True),
        sa.Column('outcome', sa.String(length=200), nullable=True),
        sa.Column('response_interaction', sa.String(length=64), nullable=True),
        sa.Column('callback_id', sa.String(length=36), nullable=True),
        sa.Column('added_at', sa.Float(), nullable=False),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
        sa.PrimaryKeyConstraint('campaign_id', 'customer_id'),
    )
    with op.batch_alter_table('campaign_targets', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_targets_due', ['state', 'next_at'], unique=False)
        batch_op.create_index('ix_campaign_targets_customer', ['customer_id'], unique=False)
    op.create_table(
        'campaign_contacts',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.String(length=36), nullable=False),
        sa.Column('step', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('outcome', sa.String(length=32), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('interaction_id', sa.String(length=64), nullable=True),
        sa.Column('message_id', sa.String(length=998), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('campaign_contacts', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_contacts_customer_at', ['customer_id', 'at'],
                              unique=False)
        batch_op.create_index('ix_campaign_contacts_campaign', ['campaign_id', 'step'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('campaign_contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_contacts_campaign')
        batch_op.drop_index('ix_campaign_contacts_customer_at')
    op.drop_table('campaign_contacts')
    with op.batch_alter_table('campaign_targets', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_targets_customer')
        batch_op.drop_index('ix_campaign_targets_due')
    op.drop_table('campaign_targets')
    op.drop_table('campaigns')
