"""industrial promotion

Revision ID: 9b6469462075
Revises: cb1b848ed486
Create Date: 2026-11-26 14:06:07.545433
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)


revision: str = '9b6469462075'
down_revision: Union[str, None] = 'cb1b848ed486'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('promotion_project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('activity', sa.String(length=30), nullable=False),
    sa.Column('total_cost_vnd', sa.BigInteger(), nullable=False),
    sa.Column('state_support_vnd', sa.BigInteger(), nullable=False),
    sa.Column('beneficiary_contribution_vnd', sa.BigInteger(), nullable=False),
    sa.Column('implementing_unit', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('promotion_project', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_promotion_project_activity'), ['activity'], unique=False)
        batch_op.create_index(batch_op.f('ix_promotion_project_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_promotion_project_year'), ['year'], unique=False)

    op.create_table('trade_fair',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('establishments', sa.Integer(), nullable=False),
    sa.Column('booths', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['promotion_project.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('trade_fair', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trade_fair_project_id'), ['project_id'], unique=False)

    op.create_table('training_class',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('trainees', sa.Integer(), nullable=False),
    sa.Column('jobs_created', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['promotion_project.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('training_class', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_class_project_id'), ['project_id'], unique=False)

    op.create_table('ocop_rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('establishment_id', sa.Integer(), nullable=True),
    sa.Column('holder_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('product', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('stars', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['establishment_id'], ['establishment.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ocop_rating', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ocop_rating_establishment_id'), ['establishment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ocop_rating_stars'), ['stars'], unique=False)

    op.create_table('product_certificate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('establishment_id', sa.Integer(), nullable=True),
    sa.Column('holder_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('product', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('product_group', sa.String(length=20), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('certificate_number', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True),
    sa.ForeignKeyConstraint(['establishment_id'], ['establishment.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('product_certificate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_product_certificate_establishment_id'), ['establishment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_certificate_level'), ['level'], unique=False)
        batch_op.create_index(batch_op.f('ix_product_certificate_year'), ['year'], unique=False)

    op.create_table('support',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('establishment_id', sa.Integer(), nullable=False),
    sa.Column('state_support_vnd', sa.BigInteger(), nullable=False),
    sa.Column('beneficiary_contribution_vnd', sa.BigInteger(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.ForeignKeyConstraint(['establishment_id'], ['establishment.id'], ),
    sa.ForeignKeyConstraint(['project_id'], ['promotion_project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'establishment_id')
    )
    with op.batch_alter_table('support', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_establishment_id'), ['establishment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('support', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_project_id'))
        batch_op.drop_index(batch_op.f('ix_support_establishment_id'))

    op.drop_table('support')
    with op.batch_alter_table('product_certificate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_product_certificate_year'))
        batch_op.drop_index(batch_op.f('ix_product_certificate_level'))
        batch_op.drop_index(batch_op.f('ix_product_certificate_establishment_id'))

    op.drop_table('product_certificate')
    with op.batch_alter_table('ocop_rating', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ocop_rating_stars'))
        batch_op.drop_index(batch_op.f('ix_ocop_rating_establishment_id'))

    op.drop_table('ocop_rating')
    with op.batch_alter_table('training_class', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_class_project_id'))

    op.drop_table('training_class')
    with op.batch_alter_table('trade_fair', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trade_fair_project_id'))

    op.drop_table('trade_fair')
    with op.batch_alter_table('promotion_project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_promotion_project_year'))
        batch_op.drop_index(batch_op.f('ix_promotion_project_level'))
        batch_op.drop_index(batch_op.f('ix_promotion_project_activity'))

    op.drop_table('promotion_project')
