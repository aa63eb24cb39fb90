"""Photos: the image answers of establishments, their files under instance/photos/ named by SHA-256

Revision ID: b3f7e1a2c9d4
Revises: a2025c0de5e1
Create Date: 2026-12-06 05:20:00
"""
from alembic import op
import sqlalchemy as sa

revision = "b3f7e1a2c9d4"
down_revision = "a2025c0de5e1"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("establishment_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=80), nullable=False),
        sa.Column("question", sa.String(length=60), nullable=True),
        sa.Column("record_uuid", sa.String(length=36), nullable=True),
        sa.Column("original_name", sa.String(length=255), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["establishment_id"], ["establishment.id"]),
        sa.ForeignKeyConstraint(["uploaded_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("establishment_id", "sha256", name="uq_photo_establishment_sha256"),
    )
    op.create_index("ix_photo_establishment_id", "photo", ["establishment_id"])
    op.create_index("ix_photo_sha256", "photo", ["sha256"])


def downgrade():
    op.drop_index("ix_photo_sha256", table_name="photo")
    op.drop_index("ix_photo_establishment_id", table_name="photo")
    op.drop_table("photo")
