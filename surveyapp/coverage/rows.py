"""Coverage rows: each commune (or enumerator) of a round with its counts, from progress.round_counts.

The CSV keeps its columns (`listed` is the establishments to visit; `done_percent` is the approved
coverage, kept as an alias of `approved_coverage_percent`) and adds the records and the other rates.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from ..adminunits import queries as unit_queries
from ..establishments.filters import EstablishmentFilter
from ..models import UnitEra
from ..progress.figures import STATUSES, RoundCounts
from ..progress.queries import enumerator_names, round_counts

CSV_FIELDS = ["commune_code", "commune_name", "district_code", "listed", *STATUSES, "done_percent", "records",
              "approval_rate_percent", "coverage_percent", "approved_coverage_percent"]


@dataclass
class CommuneRow:
    code: str
    name: str
    #: None for a commune after 1 July 2025 (districts were abolished).
    district_code: str | None
    counts: RoundCounts

    def as_csv(self) -> dict:
        counts = self.counts
        return {"commune_code": self.code, "commune_name": self.name, "district_code": self.district_code,
                "listed": counts.to_visit, **{status: getattr(counts, status) for status in STATUSES},
                "done_percent": counts.approved_coverage, "records": counts.records,
                "approval_rate_percent": counts.approval_rate, "coverage_percent": counts.coverage,
                "approved_coverage_percent": counts.approved_coverage}


@dataclass
class EnumeratorRow:
    #: None for records made without an account (an import from the command line).
    username: str | None
    full_name: str | None
    counts: RoundCounts


def commune_rows(session: Session, province_code: str, round_id: int, district_code: str | None,
                 admin_units: str = UnitEra.legacy.value) -> list[CommuneRow]:
    """Every commune of the province (or district), with zeros where nothing is registered: the round's
    communes, legacy ones or (`admin_units="2025"`) those after 1 July 2025."""
    if admin_units == UnitEra.units_2025.value:
        return _commune_2025_rows(session, province_code, round_id, district_code)
    table = round_counts(session, province_code, "commune", round_id=round_id,
                         wanted=EstablishmentFilter(district=district_code))
    communes = (unit_queries.communes_of_district(session, district_code) if district_code
                else unit_queries.communes_of_province(session, province_code))
    return [CommuneRow(unit.code, unit.name, unit.parent_code, table.of(round_id, unit.code)) for unit in communes]


def _commune_2025_rows(session: Session, province_code: str, round_id: int,
                       district_code: str | None) -> list[CommuneRow]:
    """Each commune after 1 July 2025 covering the province (or the legacy district's communes)."""
    table = round_counts(session, province_code, "commune_2025", round_id=round_id,
                         wanted=EstablishmentFilter(district=district_code))
    communes = unit_queries.communes_2025_of_province(session, province_code)
    if district_code:
        wanted = {unit.successor_code for unit in unit_queries.communes_of_district(session, district_code)}
        communes = [unit for unit in communes if unit.code in wanted]
    return [CommuneRow(unit.code, unit.name, None, table.of(round_id, unit.code)) for unit in communes]


def enumerator_rows(session: Session, province_code: str, round_id: int,
                    district_code: str | None) -> list[EnumeratorRow]:
    table = round_counts(session, province_code, "enumerator", round_id=round_id,
                         wanted=EstablishmentFilter(district=district_code))
    user_ids = table.keys_with_records(round_id)
    names = enumerator_names(session, {user_id for user_id in user_ids if user_id is not None})
    rows = [EnumeratorRow(*names.get(user_id, (None, None)), table.of(round_id, user_id)) for user_id in user_ids]
    return sorted(rows, key=lambda row: (row.username is None, row.username or ""))
