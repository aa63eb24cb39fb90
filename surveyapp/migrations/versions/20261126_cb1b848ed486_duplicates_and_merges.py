"""duplicates and merges

Revision ID: cb1b848ed486
Revises: b95d1945e809
Create Date: 2026-11-26 13:26:34.450947
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from sqlalchemy.dialects import postgresql

revision: str = 'cb1b848ed486'
down_revision: Union[str, None] = 'b95d1945e809'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('duplicate_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_a', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('code_b', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('decision', sa.String(length=15), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code_a', 'code_b')
    )
    op.create_table('establishment_merge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survivor_id', sa.Integer(), nullable=False),
    sa.Column('merged_id', sa.Integer(), nullable=False),
    sa.Column('moved_record_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('retired_record_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('merged_status_before', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('merged_by', sa.Integer(), nullable=True),
    sa.Column('merged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reverted_by', sa.Integer(), nullable=True),
    sa.Column('reverted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['merged_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['merged_id'], ['establishment.id'], ),
    sa.ForeignKeyConstraint(['reverted_by'], ['app_user.id'], ),
    sa.ForeignKeyConstraint(['survivor_id'], ['establishment.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('establishment_merge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_establishment_merge_merged_id'), ['merged_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_establishment_merge_survivor_id'), ['survivor_id'], unique=False)

    with op.batch_alter_table('establishment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_establishment_merged_into_id'), ['merged_into_id'], unique=False)
        batch_op.create_foreign_key('fk_establishment_merged_into', 'establishment', ['merged_into_id'], ['id'])



def downgrade() -> None:
    with op.batch_alter_table('establishment', schema=None) as batch_op:
        batch_op.drop_constraint('fk_establishment_merged_into', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_establishment_merged_into_id'))
        batch_op.drop_column('merged_into_id')

    with op.batch_alter_table('establishment_merge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_establishment_merge_survivor_id'))
        batch_op.drop_index(batch_op.f('ix_establishment_merge_merged_id'))

    op.drop_table('establishment_merge')
    op.drop_table('duplicate_decision')
