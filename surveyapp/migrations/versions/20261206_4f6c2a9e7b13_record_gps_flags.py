"""record gps flags: imprecise fix, point outside the declared district

Revision ID: 4f6c2a9e7b13
Revises: 4e2a9c7b15d3
Create Date: 2026-12-06 02:45:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '4f6c2a9e7b13'
down_revision: Union[str, None] = '4e2a9c7b15d3'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('survey_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gps_imprecise', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('gps_outside_district', sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('survey_record', schema=None) as batch_op:
        batch_op.drop_column('gps_outside_district')
        batch_op.drop_column('gps_imprecise')
