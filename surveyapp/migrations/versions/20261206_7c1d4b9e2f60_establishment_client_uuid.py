"""Establishment registered offline: the client's UUID (a resend registers nothing twice) and the
likely duplicates found at sync, kept for review

Revision ID: 7c1d4b9e2f60
Revises: 4f6c2a9e7b13
Create Date: 2026-12-06 03:10:00
"""
from alembic import op
import sqlalchemy as sa

revision = "7c1d4b9e2f60"
down_revision = "4f6c2a9e7b13"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("establishment") as batch_op:
        batch_op.add_column(sa.Column("client_uuid", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("possible_duplicate_of", sa.String(length=200), nullable=True))
        batch_op.create_index("ix_establishment_client_uuid", ["client_uuid"], unique=True)


def downgrade():
    with op.batch_alter_table("establishment") as batch_op:
        batch_op.drop_index("ix_establishment_client_uuid")
        batch_op.drop_column("possible_duplicate_of")
        batch_op.drop_column("client_uuid")
