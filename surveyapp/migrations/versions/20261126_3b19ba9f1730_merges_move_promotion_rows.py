"""merges move promotion rows

Revision ID: 3b19ba9f1730
Revises: 9b6469462075
Create Date: 2026-11-26 14:45:47.611600
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from sqlalchemy.dialects import postgresql

revision: str = '3b19ba9f1730'
down_revision: Union[str, None] = '9b6469462075'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('establishment_merge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moved_promotion', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), server_default='{}', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('establishment_merge', schema=None) as batch_op:
        batch_op.drop_column('moved_promotion')

