"""The files each part of a split ODK Collect submission brought

Revision ID: c5a9e3d7f1b2
Revises: b19e7a1c0d55 (establishment_tally)
Create Date: 2026-12-06 14:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = "c5a9e3d7f1b2"
down_revision = "b19e7a1c0d55"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "submission_attachment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_uuid", sa.String(length=36), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("file_name", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("instance_uuid", "filename", name="uq_submission_attachment_file"),
    )
    op.create_index("ix_submission_attachment_instance_uuid", "submission_attachment", ["instance_uuid"])


def downgrade():
    op.drop_index("ix_submission_attachment_instance_uuid", table_name="submission_attachment")
    op.drop_table("submission_attachment")
