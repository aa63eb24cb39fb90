"""questionnaire versions and record history

Revision ID: 715cb89172d5
Revises: e917d125208c
Create Date: 2026-11-26 12:22:27.465308
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)


revision: str = '715cb89172d5'
down_revision: Union[str, None] = 'e917d125208c'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('questionnaire_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('version', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('form_id', 'version')
    )
    with op.batch_alter_table('survey_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('questionnaire_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))
        batch_op.add_column(sa.Column('version_number', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('is_current', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.create_index('uq_survey_record_current', ['establishment_id', 'round_id'], unique=True, sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'))
    # Records made before this migration were filled with their round's questionnaire.
    op.execute(
        "UPDATE survey_record SET questionnaire_id = (SELECT questionnaire_id FROM survey_round "
        "WHERE survey_round.id = survey_record.round_id) WHERE questionnaire_id IS NULL"
    )



def downgrade() -> None:
    with op.batch_alter_table('survey_record', schema=None) as batch_op:
        batch_op.drop_index('uq_survey_record_current', sqlite_where=sa.text('is_current'), postgresql_where=sa.text('is_current'))
        batch_op.drop_column('is_current')
        batch_op.drop_column('version_number')
        batch_op.drop_column('questionnaire_id')

    op.drop_table('questionnaire_version')
