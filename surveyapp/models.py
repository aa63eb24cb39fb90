"""Database tables of the census registry.

Names follow the glossary in the domain notes: *establishment* for cơ sở CNNT, *district* for
huyện/thị xã/thành phố, *commune* for xã/phường/thị trấn. Every schema change is an Alembic migration
in ``surveyapp/migrations``; these classes are the source autogenerate compares against.
"""
from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any, Optional

from sqlalchemy import (JSON, BigInteger, Column, DateTime, Index, Integer, String, Text, UniqueConstraint,
                        literal_column, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Field, SQLModel

from . import clock

#: Pydantic builds a model's validator and serializer when one is first used, not when its class is
#: made: table models never validate (SQLModel constructs them), so start-up skips that work (~15 ms).
SQLModel.model_config["defer_build"] = True
#: JSON on SQLite, JSONB on PostgreSQL (indexable, compact).
JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> dt.datetime:
    """What timestamps store: now, aware, in UTC (shown in the app's zone through `clock`)."""
    return clock.utc_now()


def _timestamp(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), **kwargs)


def _choice(length: int, **kwargs: Any) -> Any:
    """A choice from one of the enums above, stored and read as plain text (VARCHAR): adding a
    choice later needs no ALTER TYPE on PostgreSQL, and rows read back compare equal to the enum."""
    return Field(sa_type=String(length), **kwargs)


class UnitLevel(str, enum.Enum):
    province = "province"
    district = "district"
    commune = "commune"


class LegalForm(str, enum.Enum):
    enterprise = "enterprise"  #: doanh nghiệp nhỏ và vừa (DNNVV)
    cooperative = "cooperative"  #: hợp tác xã (HTX)
    cooperative_group = "cooperative_group"  #: tổ hợp tác (THT)
    household_business = "household_business"  #: hộ kinh doanh (HKD)
    household = "household"  #: hộ gia đình (Decree 52/2018)


class EstablishmentStatus(str, enum.Enum):
    active = "active"
    closed = "closed"
    merged = "merged"


class RecordStatus(str, enum.Enum):
    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    approved = "approved"


class Role(str, enum.Enum):
    admin = "admin"
    supervisor = "supervisor"
    enumerator = "enumerator"
    analyst = "analyst"


class UnitEra(str, enum.Enum):
    """Which administrative units a round is organised by and a page shows: before or after the reform."""

    legacy = "legacy"  #: đơn vị hành chính trước 1/7/2025: province, district, commune
    units_2025 = "2025"  #: sau 1/7/2025: province and commune (districts abolished)


class AdminUnit(SQLModel, table=True):
    """A province, district or commune as it stood before the 1 July 2025 reform (`AdminUnit2025`
    holds the units after it: new ward codes reuse old ones, so they cannot share this key)."""

    __tablename__ = "admin_unit"
    __table_args__ = (Index("ix_admin_unit_level_parent", "level", "parent_code"),)

    #: GSO code: 2 digits for a province, 3 for a district, 5 for a commune.
    code: str = Field(primary_key=True, max_length=5)
    #: Full Vietnamese name with its type, e.g. "Huyện Mỹ Tú".
    name: str = Field(max_length=120)
    #: Name without the type, e.g. "Mỹ Tú".
    short_name: str = Field(max_length=120)
    #: Vietnamese unit type: Tỉnh, Thành phố, Huyện, Thị xã, Quận, Xã, Phường, Thị trấn.
    unit_type: str = Field(max_length=30)
    #: province / district / commune.
    level: str = _choice(10)
    #: Code of the unit one level up; None for provinces.
    parent_code: Optional[str] = Field(default=None, foreign_key="admin_unit.code", max_length=5)
    #: Province the unit lies in (its own code for a province).
    province_code: str = Field(index=True, max_length=2)
    #: Lowercase name without diacritics, for matching and search.
    name_normalized: str = Field(max_length=120)
    #: Geocoded centroid (WGS 84); None where the source has none.
    lat: Optional[float] = None
    lon: Optional[float] = None
    #: Bounding box (WGS 84) from the source, for fitting maps and sanity checks.
    min_lat: Optional[float] = None
    min_lon: Optional[float] = None
    max_lat: Optional[float] = None
    max_lon: Optional[float] = None
    #: First day the unit is valid (None: unknown, before the data).
    valid_from: Optional[dt.date] = None
    #: Day the unit ceased to exist (2025-07-01 for the pre-reform units).
    valid_to: Optional[dt.date] = None
    #: For a commune: code of its main successor after 1 July 2025 (new ward codes may reuse old ones,
    #: so successors are not rows of this table).
    successor_code: Optional[str] = Field(default=None, max_length=5)
    #: Full name of that successor, e.g. "Phường Phú Lợi".
    successor_name: Optional[str] = Field(default=None, max_length=120)
    #: Province code of the successor (e.g. 92 for Cần Thơ, which absorbed Sóc Trăng).
    successor_province_code: Optional[str] = Field(default=None, max_length=2)
    #: Name of the successor province.
    successor_province_name: Optional[str] = Field(default=None, max_length=120)
    #: True when the commune was split and only its main part went to ``successor_code``.
    successor_split: bool = False


class AdminUnit2025(SQLModel, table=True):
    """A province or commune after the 1 July 2025 reform (Resolution 202/2025/QH15): no districts."""

    __tablename__ = "admin_unit_2025"
    __table_args__ = (Index("ix_admin_unit_2025_level_parent", "level", "parent_code"),)

    #: GSO code after the reform: 2 digits for a province, 5 for a commune (may equal a legacy code).
    code: str = Field(primary_key=True, max_length=5)
    #: Full Vietnamese name with its type, e.g. "Phường Phú Lợi".
    name: str = Field(max_length=120)
    #: Name without the type, e.g. "Phú Lợi".
    short_name: str = Field(max_length=120)
    #: Tỉnh, Thành phố, Xã, Phường, Đặc khu.
    unit_type: str = Field(max_length=30)
    #: province / commune.
    level: str = _choice(10)
    #: The commune's province; None for provinces.
    parent_code: Optional[str] = Field(default=None, max_length=5)
    #: Province the unit lies in (its own code for a province), e.g. 92 for Cần Thơ.
    province_code: str = Field(index=True, max_length=2)
    #: Lowercase name without diacritics, for matching and search.
    name_normalized: str = Field(max_length=120)
    #: Geocoded centroid (WGS 84): where a unit without a boundary is drawn as a circle.
    lat: Optional[float] = None
    lon: Optional[float] = None
    #: Area in km² from the source (communes only).
    area_km2: Optional[float] = None
    #: First day the unit is valid: 2025-07-01.
    valid_from: Optional[dt.date] = None
    #: Day the unit ceased to exist (None: still valid).
    valid_to: Optional[dt.date] = None


class CommuneCrosswalk(SQLModel, table=True):
    """Where each legacy commune went on 1 July 2025: one row per new commune that received part of it."""

    __tablename__ = "commune_crosswalk"
    __table_args__ = (Index("ix_commune_crosswalk_new", "new_code", "legacy_code"),)

    #: Commune before the reform (admin_unit.code).
    legacy_code: str = Field(primary_key=True, foreign_key="admin_unit.code", max_length=5)
    #: Commune after the reform (admin_unit_2025.code).
    new_code: str = Field(primary_key=True, foreign_key="admin_unit_2025.code", max_length=5)
    #: The part establishments of the legacy commune are counted in (one per legacy commune; the same
    #: as `AdminUnit.successor_code`).
    is_main: bool = True
    #: True when the legacy commune was split across several new communes (every row of it says so).
    is_split: bool = False


class Boundary(SQLModel, table=True):
    """The outline of a district or commune, imported from a GIS file and simplified for the web."""

    __tablename__ = "boundary"

    id: Optional[int] = Field(default=None, primary_key=True)
    #: The administrative unit it outlines (one boundary per unit; a new import replaces it).
    unit_code: str = Field(foreign_key="admin_unit.code", unique=True, max_length=5)
    #: district / commune (the unit's level, stored for filtering).
    level: str = _choice(10, index=True)
    #: GeoJSON geometry (WGS 84), simplified without gaps between neighbours.
    geometry: dict = Field(sa_column=Column(JSONType, nullable=False))
    #: Name of the feature in the source file, as matched.
    source_name: Optional[str] = Field(default=None, max_length=200)
    #: File it came from.
    source_file: Optional[str] = Field(default=None, max_length=255)
    imported_at: dt.datetime = _timestamp()


class Establishment(SQLModel, table=True):
    """A rural industrial establishment: one real producer, stable across survey rounds."""

    __tablename__ = "establishment"
    # One index per list filter, each ending with the code: a filtered page ordered by code is read
    # from the index in order and stops after 50 rows, and its count never touches the table.
    __table_args__ = (
        Index("ix_establishment_list_district", "district_code", "code"),
        Index("ix_establishment_list_district_sector", "district_code", "sector", "code"),
        Index("ix_establishment_list_commune", "commune_code", "code"),
        Index("ix_establishment_list_commune_sector", "commune_code", "sector", "code"),
        Index("ix_establishment_list_sector", "sector", "code"),
        Index("ix_establishment_list_legal_form", "legal_form", "code"),
        Index("ix_establishment_list_status", "status", "code"),
        Index("ix_establishment_list_gps_mismatch", "gps_mismatch", "code"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    #: Public code "<province>-<district>-<sequence>", e.g. 94-947-000123.
    code: str = Field(unique=True, max_length=20)
    #: Name as written by the establishment, e.g. "Cơ sở Bánh Pía Tân Huê Viên".
    name: str = Field(max_length=200)
    #: Owner or legal representative.
    owner: Optional[str] = Field(default=None, max_length=120)
    #: DNNVV / HTX / THT / HKD / household.
    legal_form: str = _choice(20)
    #: Tax code (10 or 13 digits) or household-business registration number.
    tax_code: Optional[str] = Field(default=None, index=True, max_length=20)
    #: Contact phone.
    phone: Optional[str] = Field(default=None, max_length=20)
    #: Year production started.
    year_started: Optional[int] = None
    #: Main activity, VSIC 2018 code (4 or 5 digits), e.g. "1079".
    vsic_code: str = Field(max_length=5)
    #: VSIC section letter + division, e.g. "C10"; derived from vsic_code, stored for filtering.
    sector: str = Field(max_length=3)
    #: Street address (hamlet, commune, ...).
    address: Optional[str] = Field(default=None, max_length=250)
    #: Commune the establishment is in (the code valid when it was surveyed).
    commune_code: str = Field(foreign_key="admin_unit.code", max_length=5)
    #: District of the commune, stored for filtering.
    district_code: str = Field(max_length=3)
    #: Province of the commune.
    province_code: str = Field(max_length=2)
    #: GPS point (WGS 84).
    lat: Optional[float] = None
    lon: Optional[float] = None
    #: active / closed / merged.
    status: str = _choice(10, default=EstablishmentStatus.active.value)
    #: Workers, from the latest approved record.
    workers: Optional[int] = None
    #: Yearly revenue in đồng, from the latest approved record.
    revenue_vnd: Optional[int] = Field(default=None, sa_type=BigInteger)
    #: Capital or assets in đồng, from the latest approved record.
    capital_vnd: Optional[int] = Field(default=None, sa_type=BigInteger)
    #: Code of the latest round with a record for this establishment, e.g. "2019".
    latest_round_code: Optional[str] = Field(default=None, max_length=30)
    #: Status of the record of that round.
    latest_record_status: Optional[str] = _choice(10, default=None)
    #: For a merged duplicate: the establishment that survived (its code redirects there).
    merged_into_id: Optional[int] = Field(default=None, foreign_key="establishment.id", index=True)
    #: True when the GPS point falls outside the declared district (or commune, when commune
    #: boundaries exist); False when inside; None when unchecked (no point, or no boundaries yet).
    gps_mismatch: Optional[bool] = None
    #: For one registered offline: the UUID the phone made for it, so a resend registers nothing twice.
    client_uuid: Optional[str] = Field(default=None, unique=True, index=True, max_length=36)
    #: Codes of existing establishments it likely duplicates, found when it was synced: for review.
    possible_duplicate_of: Optional[str] = Field(default=None, max_length=200)
    #: "name owner address" lowercased without diacritics: the text `q` searches.
    search_text: str = Field(default="", max_length=600)
    #: True for rows made by `flask demo`: synthetic, never real.
    is_demo: bool = Field(default=False, index=True)
    #: Incremented on each change; a stale edit is refused.
    version: int = 1
    created_at: dt.datetime = _timestamp()
    updated_at: dt.datetime = _timestamp()


class grid_cell(FunctionElement):  # noqa: N801 - reads as a SQL function
    """floor((value + offset) × scale) as an integer: the cell of a coordinate in the map's grid
    (`map_grid_cell`). The same SQL text in the index and in the queries, so SQLite uses the index."""

    type = Integer()
    inherit_cache = True


@compiles(grid_cell)
def _grid_cell_default(element, compiler, **kw):
    value, offset, scale = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(FLOOR(({value} + {offset}) * {scale}) AS INTEGER)"


@compiles(grid_cell, "sqlite")
def _grid_cell_sqlite(element, compiler, **kw):  # value + offset ≥ 0: truncation is the floor
    value, offset, scale = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(({value} + {offset}) * {scale} AS INTEGER)"


#: Level of the map's grid index: cells of 360 / 2**16 degrees (≈ 600 m); geo/queries.py groups by it.
MAP_GRID_LEVEL = 16


def map_grid_cell(column, offset: float, level: int = MAP_GRID_LEVEL) -> grid_cell:
    """Cell of a latitude (offset 90) or longitude (offset 180) at a grid level: 2**level cells per 360°."""
    return grid_cell(column, literal_column(repr(float(offset))), literal_column(repr(2 ** level / 360)))


# Two covering indexes for the map at a million establishments (migration 7d41c0e5a9f3). The grid
# index lists points cell by cell: clustering a whole province groups rows in index order (SQLite
# would otherwise sort a million rows) and a zoomed-in view reads only its cells. The units index
# gives the district/commune totals under the map without reading the wide table rows.
Index("ix_establishment_map_grid", map_grid_cell(Establishment.lat, 90), map_grid_cell(Establishment.lon, 180),
      Establishment.status, Establishment.commune_code, Establishment.district_code, Establishment.sector,
      Establishment.lat, Establishment.lon, Establishment.id)  # id: PostgreSQL then reads the index alone
Index("ix_establishment_map_units", Establishment.district_code, Establishment.commune_code, Establishment.status,
      Establishment.sector, Establishment.lat, Establishment.lon, Establishment.workers, Establishment.revenue_vnd)


class DuplicateDecision(SQLModel, table=True):
    """A supervisor's decision on a candidate pair, so it is not proposed again."""

    __tablename__ = "duplicate_decision"
    __table_args__ = (UniqueConstraint("code_a", "code_b"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    #: The pair's codes, code_a < code_b.
    code_a: str = Field(max_length=20)
    code_b: str = Field(max_length=20)
    #: not_duplicate / merged.
    decision: str = _choice(15)
    decided_by: Optional[int] = Field(default=None, foreign_key="app_user.id")
    decided_at: dt.datetime = _timestamp()


class EstablishmentMerge(SQLModel, table=True):
    """One merge of a duplicate into a survivor, with what moved, so an admin can undo it."""

    __tablename__ = "establishment_merge"

    id: Optional[int] = Field(default=None, primary_key=True)
    survivor_id: int = Field(foreign_key="establishment.id", index=True)
    merged_id: int = Field(foreign_key="establishment.id", index=True)
    #: Records moved from the merged establishment to the survivor.
    moved_record_ids: list = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    #: Of those, records that stopped being current because the survivor had one for the same round.
    retired_record_ids: list = Field(default_factory=list, sa_column=Column(JSONType, nullable=False))
    #: Promotion rows moved too: {"supports": [ids], "certificates": [ids], "ocop": [ids], "summed": [...]};
    #: "summed" holds supports from a project both had (added into the survivor's row), to undo exactly.
    moved_promotion: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False,
                                                                          server_default="{}"))
    #: The merged establishment's status before the merge.
    merged_status_before: str = Field(max_length=10)
    merged_by: Optional[int] = Field(default=None, foreign_key="app_user.id")
    merged_at: dt.datetime = _timestamp()
    reverted_by: Optional[int] = Field(default=None, foreign_key="app_user.id")
    reverted_at: Optional[dt.datetime] = Field(default=None, sa_type=DateTime(timezone=True))


class PromotionProject(SQLModel, table=True):
    """One industrial promotion project ("đề án khuyến công", Decree 45/2012/NĐ-CP)."""

    __tablename__ = "promotion_project"

    id: Optional[int] = Field(default=None, primary_key=True)
    #: Code used by the Centre, e.g. "KCĐP-2019-07"; unique.
    code: str = Field(unique=True, max_length=40)
    title: str = Field(max_length=300)
    #: Year the project was carried out.
    year: int = Field(index=True)
    #: national (central budget) / local (provincial budget).
    level: str = _choice(10, index=True)
    #: Decree 45 activity, e.g. training, machinery, trade_fair (see reference.PROMOTION_ACTIVITIES).
    activity: str = _choice(30, index=True)
    #: Total cost in đồng (state support + beneficiary contribution, unless recorded otherwise).
    total_cost_vnd: int = Field(default=0, sa_type=BigInteger)
    #: State budget share in đồng.
    state_support_vnd: int = Field(default=0, sa_type=BigInteger)
    #: Beneficiaries' own contribution in đồng.
    beneficiary_contribution_vnd: int = Field(default=0, sa_type=BigInteger)
    implementing_unit: Optional[str] = Field(default=None, max_length=200)
    #: planned / ongoing / completed / cancelled.
    status: str = _choice(12, default="completed")
    #: True for projects made by `flask demo`.
    is_demo: bool = False
    created_at: dt.datetime = _timestamp()


class Support(SQLModel, table=True):
    """Support one establishment received from one project, with the amounts."""

    __tablename__ = "support"
    __table_args__ = (UniqueConstraint("project_id", "establishment_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="promotion_project.id", index=True)
    establishment_id: int = Field(foreign_key="establishment.id", index=True)
    state_support_vnd: int = Field(default=0, sa_type=BigInteger)
    beneficiary_contribution_vnd: int = Field(default=0, sa_type=BigInteger)
    note: Optional[str] = Field(default=None, max_length=300)


class TrainingClass(SQLModel, table=True):
    """A vocational training class run by a project."""

    __tablename__ = "training_class"

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="promotion_project.id", index=True)
    title: str = Field(max_length=200)
    trainees: int = 0
    jobs_created: int = 0


class TradeFair(SQLModel, table=True):
    """A trade fair a project took establishments to."""

    __tablename__ = "trade_fair"

    id: Optional[int] = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="promotion_project.id", index=True)
    name: str = Field(max_length=200)
    establishments: int = 0
    booths: int = 0


class ProductCertificate(SQLModel, table=True):
    """A typical rural industrial product certificate (Circular 26/2014/TT-BCT)."""

    __tablename__ = "product_certificate"

    id: Optional[int] = Field(default=None, primary_key=True)
    #: The holder, when registered (historic certificates may name a holder not in the registry).
    establishment_id: Optional[int] = Field(default=None, foreign_key="establishment.id", index=True)
    holder_name: Optional[str] = Field(default=None, max_length=200)
    product: str = Field(max_length=200)
    #: handicrafts / food_processing / machinery / other.
    product_group: str = _choice(20)
    #: district / provincial / regional / national.
    level: str = _choice(12, index=True)
    year: int = Field(index=True)
    certificate_number: Optional[str] = Field(default=None, max_length=60)


class OcopRating(SQLModel, table=True):
    """An OCOP ("One Commune One Product") rating of a product: 1–5 stars."""

    __tablename__ = "ocop_rating"

    id: Optional[int] = Field(default=None, primary_key=True)
    establishment_id: Optional[int] = Field(default=None, foreign_key="establishment.id", index=True)
    holder_name: Optional[str] = Field(default=None, max_length=200)
    product: str = Field(max_length=200)
    stars: int = Field(index=True)
    year: int


class SurveyRound(SQLModel, table=True):
    """One data-collection campaign, e.g. the 2018 census or the 2019 supplement."""

    __tablename__ = "survey_round"

    id: Optional[int] = Field(default=None, primary_key=True)
    #: Short stable code used in URLs and filters, e.g. "2018".
    code: str = Field(unique=True, max_length=30)
    #: Title shown to people.
    title: str = Field(max_length=200)
    #: Questionnaire id in forms/, e.g. "cnnt-2018".
    questionnaire_id: Optional[str] = Field(default=None, max_length=60)
    #: Questionnaire version the round uses.
    questionnaire_version: Optional[str] = Field(default=None, max_length=30)
    start_date: Optional[dt.date] = None
    end_date: Optional[dt.date] = None
    #: Whether enumerators may still submit records.
    is_open: bool = False
    #: True for rounds made by `flask demo`.
    is_demo: bool = False
    #: Units the round is organised by (assignments, coverage) and pages show by default: "legacy"
    #: (before 1 July 2025) or "2025". Records keep the commune they were collected in either way.
    admin_units: str = _choice(10, default=UnitEra.legacy.value, sa_column_kwargs={"server_default": "legacy"})
    created_at: dt.datetime = _timestamp()


class SurveyRecord(SQLModel, table=True):
    """One questionnaire filled for one establishment in one round."""

    __tablename__ = "survey_record"
    __table_args__ = (
        Index("ix_survey_record_round_establishment", "round_id", "establishment_id"),
        Index("ix_survey_record_establishment", "establishment_id", "round_id"),
        Index("uq_survey_record_current", "establishment_id", "round_id", unique=True,
              sqlite_where=text("is_current"), postgresql_where=text("is_current")),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    #: Made by the client that filled it; unique, so a resend never creates a second record.
    uuid: str = Field(default_factory=lambda: str(uuid.uuid4()), unique=True, max_length=36)
    establishment_id: int = Field(foreign_key="establishment.id")
    round_id: int = Field(foreign_key="survey_round.id")
    #: Answers keyed by question name, validated against the round's questionnaire version.
    answers: dict = Field(default_factory=dict, sa_column=Column(JSONType, nullable=False))
    #: Questionnaire (form_id in forms/) and version the answers were filled with.
    questionnaire_id: Optional[str] = Field(default=None, max_length=60)
    questionnaire_version: Optional[str] = Field(default=None, max_length=30)
    #: 1 for the first version of this establishment's record in this round, then 2, 3... per edit.
    version_number: int = 1
    #: False once a newer version supersedes this one; one current record per establishment and round.
    is_current: bool = True
    #: Who filled it.
    enumerator_id: Optional[int] = Field(default=None, foreign_key="app_user.id")
    #: draft → submitted → approved | returned.
    status: str = _choice(10, default=RecordStatus.draft.value, index=True)
    #: Supervisor's comment when returning or approving.
    review_comment: Optional[str] = None
    #: GPS captured with the record, and its accuracy in metres.
    lat: Optional[float] = None
    lon: Optional[float] = None
    gps_accuracy_m: Optional[float] = None
    #: Flags for the supervisor, set when the record is saved: the accuracy is worse than the question
    #: asks for; the point lies outside the district of the declared commune (None: no boundary to check).
    gps_imprecise: Optional[bool] = None
    gps_outside_district: Optional[bool] = None
    #: UUID of the record this one edits, if any.
    supersedes: Optional[str] = Field(default=None, max_length=36)
    created_at: dt.datetime = _timestamp()
    updated_at: dt.datetime = _timestamp()
    submitted_at: Optional[dt.datetime] = Field(default=None, sa_type=DateTime(timezone=True))
    approved_at: Optional[dt.datetime] = Field(default=None, sa_type=DateTime(timezone=True))


class Photo(SQLModel, table=True):
    """A photo answer (signboard, products, workshop) of an establishment. The file lives under
    instance/photos/, named by its SHA-256, so the same bytes are stored once however often sent."""

    __tablename__ = "photo"
    __table_args__ = (UniqueConstraint("establishment_id", "sha256", name="uq_photo_establishment_sha256"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    #: The establishment whose readers may see it.
    establishment_id: int = Field(foreign_key="establishment.id", index=True)
    #: SHA-256 (hex) of the stored JPEG: the file's name and the check that it is intact.
    sha256: str = Field(max_length=64, index=True)
    #: What the answer holds and exports list: "<sha256>.jpg".
    file_name: str = Field(max_length=80)
    #: Question it was first sent for, and the record version (UUID) it came with, if known then.
    question: Optional[str] = Field(default=None, max_length=60)
    record_uuid: Optional[str] = Field(default=None, max_length=36)
    #: Name of the file on the phone, as sent (shown nowhere but kept for support).
    original_name: Optional[str] = Field(default=None, max_length=255)
    #: Bytes stored, and the stored picture's size in pixels.
    size_bytes: int
    width: int
    height: int
    #: Who sent it first.
    uploaded_by: Optional[int] = Field(default=None, foreign_key="app_user.id")
    created_at: dt.datetime = _timestamp()


class QuestionnaireVersion(SQLModel, table=True):
    """The text of each questionnaire version records were filled with, so old records still display
    (and validate) after the file in forms/ moves on."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (UniqueConstraint("form_id", "version"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    #: form_id from the settings sheet, e.g. "cnnt-2018".
    form_id: str = Field(max_length=60)
    version: str = Field(max_length=30)
    #: The definition file as it was (XLSForm Markdown).
    source: str = Field(sa_type=Text)
    #: SHA-256 of source: a file changed without a new version is refused.
    sha256: str = Field(max_length=64)
    created_at: dt.datetime = _timestamp()


class User(SQLModel, table=True):
    """A person who signs in. Roles and permissions arrive with the accounts issue."""

    __tablename__ = "app_user"

    id: Optional[int] = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=60)
    full_name: Optional[str] = Field(default=None, max_length=120)
    #: Hash from werkzeug.security (scrypt); never the password itself.
    password_hash: str = Field(max_length=255)
    #: admin / supervisor / enumerator / analyst.
    role: str = _choice(12, default=Role.enumerator.value)
    is_active: bool = True
    #: Bumped on sign-out, password change or reset, deactivation and role change: a session cookie
    #: carries the number it was signed in under and stops working once it differs.
    session_generation: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: dt.datetime = _timestamp()


class ApiToken(SQLModel, table=True):
    """A personal token for the JSON API (phones, scripts). Only its hash is stored."""

    __tablename__ = "api_token"

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    #: What the owner calls it, e.g. "Điện thoại Samsung".
    name: str = Field(max_length=80)
    #: SHA-256 of the token (tokens are long random strings: no slow hash needed).
    token_hash: str = Field(unique=True, max_length=64)
    #: First characters of the token, so its owner can tell tokens apart.
    prefix: str = Field(max_length=12)
    created_at: dt.datetime = _timestamp()
    last_used_at: Optional[dt.datetime] = Field(default=None, sa_type=DateTime(timezone=True))
    #: Set when revoked; a revoked token is refused.
    revoked_at: Optional[dt.datetime] = Field(default=None, sa_type=DateTime(timezone=True))


class AppPassword(SQLModel, table=True):
    """A user's password for ODK Collect (OpenRosa), apart from the sign-in password: one per user,
    generated, shown once. Digest authentication needs HA1 = MD5(username:realm:password) on the server,
    so HA1 is kept (tied to the realm, never the password), sealed with a key derived from SECRET_KEY."""

    __tablename__ = "app_password"

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", unique=True)
    #: The realm HA1 was computed for; another realm (a changed setting) needs a new app password.
    realm: str = Field(max_length=60)
    #: Random hex salt of the seal: each row's keystream is its own.
    salt: str = Field(max_length=32)
    #: HA1 (16 bytes) XOR HMAC-SHA256(SECRET_KEY, salt), as hex.
    sealed_ha1: str = Field(max_length=32)
    created_at: dt.datetime = _timestamp()


class SubmissionAttachment(SQLModel, table=True):
    """A file one part of a split ODK Collect submission brought: Collect sends a submission larger than
    the server's limit as several POSTs, each with the form and some of its files, every one but the last
    marked `*isIncomplete*`. The last part names the files of the earlier ones in its answers: this says
    which stored photo each name became (the photo row itself may belong to another record's upload)."""

    __tablename__ = "submission_attachment"
    __table_args__ = (UniqueConstraint("instance_uuid", "filename", name="uq_submission_attachment_file"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    #: The submission's instanceID (the record's UUID once its last part is in).
    instance_uuid: str = Field(max_length=36, index=True)
    #: The file's name on the phone, as the answers name it.
    filename: str = Field(max_length=255)
    #: The stored photo's file name ("<sha256>.jpg").
    file_name: str = Field(max_length=80)
    created_at: dt.datetime = _timestamp()


class Assignment(SQLModel, table=True):
    """A user's work area: one commune in one survey round (enumerators fill, supervisors review)."""

    __tablename__ = "assignment"
    __table_args__ = (
        UniqueConstraint("user_id", "commune_code", "round_id"),
        Index("ix_assignment_commune_round", "commune_code", "round_id"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    #: A commune of the round's units (`SurveyRound.admin_units`): admin_unit.code for a legacy round,
    #: admin_unit_2025.code for a round organised by the 2025 communes (so no foreign key to either).
    commune_code: str = Field(max_length=5)
    round_id: int = Field(foreign_key="survey_round.id")
    created_at: dt.datetime = _timestamp()


class AuditEvent(SQLModel, table=True):
    """Who did what to which entity and when, with the values before and after. Append-only."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_entity", "entity_type", "entity_id"),
        Index("ix_audit_event_action_time", "action", "created_at"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    created_at: dt.datetime = _timestamp(index=True)
    #: Acting user; None for the system (CLI without a user, migrations, demo loader).
    actor_id: Optional[int] = Field(default=None, foreign_key="app_user.id")
    #: Verb, e.g. "create", "update", "approve", "login_failed", "export".
    action: str = Field(max_length=40, index=True)
    #: Address the request came from (None for the CLI); login throttling counts failures by it.
    ip_address: Optional[str] = Field(default=None, max_length=45)
    #: Table or concept acted on, e.g. "establishment".
    entity_type: str = Field(max_length=40)
    #: Key of the entity (code or id as text).
    entity_id: Optional[str] = Field(default=None, max_length=60)
    before: Optional[dict] = Field(default=None, sa_column=Column(JSONType, nullable=True))
    after: Optional[dict] = Field(default=None, sa_column=Column(JSONType, nullable=True))


__all__ = [
    "AdminUnit",
    "ApiToken",
    "AppPassword",
    "Assignment",
    "AuditEvent",
    "Boundary",
    "DuplicateDecision",
    "EstablishmentMerge",
    "OcopRating",
    "Photo",
    "ProductCertificate",
    "PromotionProject",
    "Support",
    "TradeFair",
    "TrainingClass",
    "Establishment",
    "EstablishmentStatus",
    "LegalForm",
    "RecordStatus",
    "Role",
    "QuestionnaireVersion",
    "SurveyRecord",
    "SurveyRound",
    "UnitLevel",
    "User",
]
