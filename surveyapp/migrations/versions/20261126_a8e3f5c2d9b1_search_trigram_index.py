"""Search box on a trigram index: FTS5 (trigram) on SQLite, pg_trgm GIN on PostgreSQL

Revision ID: a8e3f5c2d9b1
Revises: 7d41c0e5a9f3
Create Date: 2026-11-26 17:00:00
"""
from alembic import op

from surveyapp.establishments import search_index

revision = "a8e3f5c2d9b1"
down_revision = "7d41c0e5a9f3"
branch_labels = None
depends_on = None


def upgrade():
    search_index.create(op.get_bind())


def downgrade():
    search_index.drop(op.get_bind())
