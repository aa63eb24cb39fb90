"""Map indexes: establishments by grid cell (clusters of the live map) and by unit (the totals under it)

Revision ID: 7d41c0e5a9f3
Revises: 5c0a7d3e91b2
Create Date: 2026-11-26 16:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = "7d41c0e5a9f3"
down_revision = "5c0a7d3e91b2"
branch_labels = None
depends_on = None

#: 2**16 / 360: cells of the grid level 16 per degree (surveyapp.models.MAP_GRID_LEVEL).
SCALE = repr(2 ** 16 / 360)
COVERED = ["status", "commune_code", "district_code", "sector", "lat", "lon", "id"]
UNITS = ["district_code", "commune_code", "status", "sector", "lat", "lon", "workers", "revenue_vnd"]


def _cell(column: str, offset: str) -> sa.TextClause:
    """The SQL of surveyapp.models.grid_cell, written out: SQLite uses the index only for the same text."""
    if op.get_bind().dialect.name == "sqlite":  # the value is never negative: truncation is the floor
        return sa.text(f"CAST(({column} + {offset}) * {SCALE} AS INTEGER)")
    return sa.text(f"CAST(FLOOR(({column} + {offset}) * {SCALE}) AS INTEGER)")


def upgrade():
    op.create_index("ix_establishment_map_grid", "establishment",
                    [_cell("lat", "90.0"), _cell("lon", "180.0"), *COVERED])
    op.create_index("ix_establishment_map_units", "establishment", UNITS)


def downgrade():
    op.drop_index("ix_establishment_map_units", table_name="establishment")
    op.drop_index("ix_establishment_map_grid", table_name="establishment")
