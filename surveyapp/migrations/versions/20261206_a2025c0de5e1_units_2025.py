"""The units after 1 July 2025 as first-class rows, the legacy → new commune crosswalk, each round's
units era; an assignment names a commune of its round's units (no foreign key to one table)

Revision ID: a2025c0de5e1
Revises: 7c1d4b9e2f60
Create Date: 2026-12-06 05:30:00
"""
from alembic import op
import sqlalchemy as sa

revision = "a2025c0de5e1"
down_revision = "7c1d4b9e2f60"
branch_labels = None
depends_on = None

#: Names the unnamed foreign keys of SQLite so batch mode can drop one (PostgreSQL named it itself).
_NAMING = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def upgrade():
    op.create_table(
        "admin_unit_2025",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("short_name", sa.String(length=120), nullable=False),
        sa.Column("unit_type", sa.String(length=30), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("parent_code", sa.String(length=5), nullable=True),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("name_normalized", sa.String(length=120), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("area_km2", sa.Float(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_admin_unit_2025_level_parent", "admin_unit_2025", ["level", "parent_code"])
    op.create_index("ix_admin_unit_2025_province_code", "admin_unit_2025", ["province_code"])
    op.create_table(
        "commune_crosswalk",
        sa.Column("legacy_code", sa.String(length=5), nullable=False),
        sa.Column("new_code", sa.String(length=5), nullable=False),
        sa.Column("is_main", sa.Boolean(), nullable=False),
        sa.Column("is_split", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["legacy_code"], ["admin_unit.code"]),
        sa.ForeignKeyConstraint(["new_code"], ["admin_unit_2025.code"]),
        sa.PrimaryKeyConstraint("legacy_code", "new_code"),
    )
    op.create_index("ix_commune_crosswalk_new", "commune_crosswalk", ["new_code", "legacy_code"])
    with op.batch_alter_table("survey_round") as batch_op:
        batch_op.add_column(sa.Column("admin_units", sa.String(length=10), nullable=False,
                                      server_default="legacy"))
    _drop_assignment_commune_key()


def _drop_assignment_commune_key():
    """Drop assignment.commune_code → admin_unit, under whatever name it has (PostgreSQL names it
    itself; on SQLite it is unnamed or was named by an earlier batch rebuild)."""
    keys = sa.inspect(op.get_bind()).get_foreign_keys("assignment")
    name = next((key["name"] for key in keys if key["constrained_columns"] == ["commune_code"]), None)
    with op.batch_alter_table("assignment", naming_convention=_NAMING) as batch_op:
        batch_op.drop_constraint(name or "fk_assignment_commune_code_admin_unit", type_="foreignkey")


def downgrade():
    op.execute("DELETE FROM assignment WHERE round_id IN (SELECT id FROM survey_round WHERE admin_units = '2025')")
    with op.batch_alter_table("assignment") as batch_op:
        batch_op.create_foreign_key("fk_assignment_commune_code_admin_unit", "admin_unit", ["commune_code"], ["code"])
    with op.batch_alter_table("survey_round") as batch_op:
        batch_op.drop_column("admin_units")
    op.drop_index("ix_commune_crosswalk_new", table_name="commune_crosswalk")
    op.drop_table("commune_crosswalk")
    op.drop_index("ix_admin_unit_2025_province_code", table_name="admin_unit_2025")
    op.drop_index("ix_admin_unit_2025_level_parent", table_name="admin_unit_2025")
    op.drop_table("admin_unit_2025")
