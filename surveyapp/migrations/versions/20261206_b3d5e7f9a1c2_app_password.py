"""App passwords for ODK Collect (OpenRosa Digest and Basic authentication)

Revision ID: b3d5e7f9a1c2
Revises: b3f7e1a2c9d4 (photos; 7c1d4b9e2f60 before the merge of the photos branch)
Create Date: 2026-12-06 05:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = "b3d5e7f9a1c2"
down_revision = "b3f7e1a2c9d4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "app_password",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False, unique=True),
        sa.Column("realm", sa.String(length=60), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("sealed_ha1", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("app_password")
