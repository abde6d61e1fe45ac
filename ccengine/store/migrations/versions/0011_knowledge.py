"""kb_articles, kb_versions, kb_usage: the knowledge base's articles, every version of
each, and which were shown, used in a reply or read; full-text search over the articles.

Search is the database's own, kept outside the models (``ccengine.store.models.compared``
hides it from the comparison of models and migrations), every object of it named
``kb_search*`` or ``search_document``:

- SQLite: ``kb_search``, an FTS5 table (porter stemmer over unicode61 tokens) whose rowid
  is the article's id; the repository (ccengine/store/knowledge.py) writes it in the
  transaction that writes the article.
- PostgreSQL: ``kb_articles.search_document``, a generated tsvector (title weight A, tags
  B, body D) in the text search configuration of the article's language (the first part
  of its code: en-GB is english; unknown languages 'simple'), with the GIN index
  ``kb_search_gin``. The repository's ``PG_CONFIGS`` repeats this mapping for queries.

Revision ID: 0011_knowledge
Revises: 0010_customer_owner
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_knowledge'
down_revision = '0010_customer_owner'
branch_labels = None
depends_on = None

# language code (its first part) -> PostgreSQL text search configuration; all of these
# ship with PostgreSQL 12 and later
PG_CONFIGS = {
    'ar': 'arabic', 'da': 'danish', 'de': 'german', 'en': 'english', 'es': 'spanish',
    'fi': 'finnish', 'fr': 'french', 'ga': 'irish', 'hu': 'hungarian', 'id': 'indonesian',
    'it': 'italian', 'lt': 'lithuanian', 'nb': 'norwegian', 'ne': 'nepali', 'nl': 'dutch',
    'nn': 'norwegian', 'no': 'norwegian', 'pt': 'portuguese', 'ro': 'romanian',
    'ru': 'russian', 'sv': 'swedish', 'ta': 'tamil', 'tr': 'turkish',
}


def _pg_config(column: str) -> str:
    whens = ' '.join(f"WHEN '{code}' THEN '{name}'::regconfig"
                     for code, name in sorted(PG_CONFIGS.items()))
    return f"(CASE split_part({column}, '-', 1) {whens} ELSE 'simple'::regconfig END)"


def upgrade() -> None:
    op.create_table(
        'kb_articles',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('slug', sa.String(length=100), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('tags', sa.JSON(), nullable=False),
        sa.Column('language', sa.String(length=20), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('updated_at', sa.Float(), nullable=False),
        sa.Column('published_at', sa.Float(), nullable=True),
        sa.Column('created_by', sa.String(length=100), nullable=True),
        sa.Column('updated_by', sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('slug', name='uq_kb_articles_slug'),
    )
    op.create_index('ix_kb_articles_state_updated', 'kb_articles', ['state', 'updated_at'])
    op.create_table(
        'kb_versions',
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('tags', sa.JSON(), nullable=False),
        sa.Column('language', sa.String(length=20), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('changed_by', sa.String(length=100), nullable=True),
        sa.Column('changed_at', sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('article_id', 'version'),
    )
    op.create_table(
        'kb_usage',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('article_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('at', sa.Float(), nullable=False),
        sa.Column('interaction_id', sa.String(length=64), nullable=True),
        sa.Column('agent_id', sa.String(length=100), nullable=True),
        sa.Column('channel', sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(['article_id'], ['kb_articles.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_kb_usage_at', 'kb_usage', ['at'])
    op.create_index('ix_kb_usage_article_at', 'kb_usage', ['article_id', 'at'])
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("CREATE VIRTUAL TABLE kb_search USING fts5(title, body, tags, "
                   "tokenize = 'porter unicode61 remove_diacritics 2')")
    else:
        config = _pg_config('language')
        op.execute(
            "ALTER TABLE kb_articles ADD COLUMN search_document tsvector GENERATED ALWAYS AS ("
            f"setweight(to_tsvector({config}, title), 'A') || "
            f"setweight(to_tsvector({config}, coalesce(tags::text, '')), 'B') || "
            f"setweight(to_tsvector({config}, body), 'D')) STORED")
        op.execute("CREATE INDEX kb_search_gin ON kb_articles USING gin (search_document)")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('DROP TABLE IF EXISTS kb_search')
    op.drop_index('ix_kb_usage_article_at', table_name='kb_usage')
    op.drop_index('ix_kb_usage_at', table_name='kb_usage')
    op.drop_table('kb_usage')
    op.drop_table('kb_versions')
    op.drop_index('ix_kb_articles_state_updated', table_name='kb_articles')
    op.drop_table('kb_articles')
