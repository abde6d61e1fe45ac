"""intent_labels: the intent an agent confirmed or corrected for a piece of work in wrap-up
(the classifier learns from them; repeat-contact reports count by them)

Revision ID: 0012_intent_labels
Revises: 0011_knowledge
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_intent_labels'
down_revision = '0011_knowledge'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'intent_labels',
        sa.Column('interaction_id', sa.String(length=64), nullable=False),
        sa.Column('intent', sa.String(length=64), nullable=False),
        sa.Column('detected', sa.String(length=64), nullable=True),
        sa.Column('agent_id', sa.String(length=100), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], ),
        sa.PrimaryKeyConstraint('interaction_id'),
    )
    with op.batch_alter_table('intent_labels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intent_labels_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('intent_labels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intent_labels_at'))
    op.drop_table('intent_labels')
