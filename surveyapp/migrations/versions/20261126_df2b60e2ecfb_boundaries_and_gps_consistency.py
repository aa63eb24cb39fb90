"""boundaries and gps consistency

Revision ID: df2b60e2ecfb
Revises: dd5052ea3024
Create Date: 2026-11-26 13:02:52.118824
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from sqlalchemy.dialects import postgresql

revision: str = 'df2b60e2ecfb'
down_revision: Union[str, None] = 'dd5052ea3024'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('boundary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('geometry', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('source_file', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_code'], ['admin_unit.code'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('unit_code')
    )
    with op.batch_alter_table('boundary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_boundary_level'), ['level'], unique=False)

    with op.batch_alter_table('establishment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gps_mismatch', sa.Boolean(), nullable=True))
        batch_op.create_index(batch_op.f('ix_establishment_gps_mismatch'), ['gps_mismatch'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('establishment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_establishment_gps_mismatch'))
        batch_op.drop_column('gps_mismatch')

    with op.batch_alter_table('boundary', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_boundary_level'))

    op.drop_table('boundary')
