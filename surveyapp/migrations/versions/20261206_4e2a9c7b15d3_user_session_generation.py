"""User session generation: ending every session of a user (sign-out, password change, role change)

Revision ID: 4e2a9c7b15d3
Revises: a8e3f5c2d9b1
Create Date: 2026-12-06 02:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = "4e2a9c7b15d3"
down_revision = "a8e3f5c2d9b1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.add_column(sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("app_user") as batch_op:
        batch_op.drop_column("session_generation")
