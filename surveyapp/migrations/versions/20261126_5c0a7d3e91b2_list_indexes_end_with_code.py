"""List indexes end with the code: one per filter, ordered pages and counts from the index alone

Revision ID: 5c0a7d3e91b2
Revises: 3b19ba9f1730
Create Date: 2026-11-26 16:20:00
"""
from alembic import op

revision = "5c0a7d3e91b2"
down_revision = "3b19ba9f1730"
branch_labels = None
depends_on = None

OLD = {
    "ix_establishment_district_code": ["district_code"],
    "ix_establishment_district_sector": ["district_code", "sector"],
    "ix_establishment_commune_code": ["commune_code"],
    "ix_establishment_commune_sector": ["commune_code", "sector"],
    "ix_establishment_sector": ["sector"],
    "ix_establishment_legal_form": ["legal_form"],
    "ix_establishment_status": ["status"],
    "ix_establishment_gps_mismatch": ["gps_mismatch"],
    "ix_establishment_province_code": ["province_code"],
}
NEW = {
    "ix_establishment_list_district": ["district_code", "code"],
    "ix_establishment_list_district_sector": ["district_code", "sector", "code"],
    "ix_establishment_list_commune": ["commune_code", "code"],
    "ix_establishment_list_commune_sector": ["commune_code", "sector", "code"],
    "ix_establishment_list_sector": ["sector", "code"],
    "ix_establishment_list_legal_form": ["legal_form", "code"],
    "ix_establishment_list_status": ["status", "code"],
    "ix_establishment_list_gps_mismatch": ["gps_mismatch", "code"],
}


def upgrade():
    # Plain CREATE/DROP INDEX (no batch table rebuild): indexes need none, even on SQLite.
    for name in OLD:
        op.drop_index(name, table_name="establishment")
    for name, columns in NEW.items():
        op.create_index(name, "establishment", columns)


def downgrade():
    for name in NEW:
        op.drop_index(name, table_name="establishment")
    for name, columns in OLD.items():
        op.create_index(name, "establishment", columns)
