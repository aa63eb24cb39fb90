"""assignments and audit addresses

Revision ID: dd5052ea3024
Revises: 715cb89172d5
Create Date: 2026-11-26 12:31:59.367592
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)


revision: str = 'dd5052ea3024'
down_revision: Union[str, None] = '715cb89172d5'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('commune_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['commune_code'], ['admin_unit.code'], ),
    sa.ForeignKeyConstraint(['round_id'], ['survey_round.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'commune_code', 'round_id')
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_commune_round', ['commune_code', 'round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ip_address', sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True))
        batch_op.create_index('ix_audit_event_action_time', ['action', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_action_time')
        batch_op.drop_column('ip_address')

    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_user_id'))
        batch_op.drop_index('ix_assignment_commune_round')

    op.drop_table('assignment')
