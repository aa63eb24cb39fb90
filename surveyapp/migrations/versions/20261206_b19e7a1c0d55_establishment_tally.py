"""Maintained count of establishments by commune, sector, legal form and status (list totals at 1M)

Revision ID: b19e7a1c0d55
Revises: b3d5e7f9a1c2
Create Date: 2026-12-06 05:30:00
"""
from alembic import op

from surveyapp.establishments import tally

revision = "b19e7a1c0d55"
down_revision = "b3d5e7f9a1c2"
branch_labels = None
depends_on = None


def upgrade():
    tally.create(op.get_bind())


def downgrade():
    tally.drop(op.get_bind())
