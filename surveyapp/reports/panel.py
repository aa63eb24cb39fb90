"""The panel between two survey rounds: who continued, who is new, who closed, who was not revisited.

The four categories split the establishments with a record in either round (each falls in exactly one):

- continuing: a record in both rounds, not found closed in the later;
- new: a record in the later round only (not found closed);
- closed: the later round's record says closed for good (operating_status = closed);
- not revisited: a record in the earlier round, none in the later.

"A record" is the establishment's current record of the round, whatever its review state. The SQL is in
queries.py (`panel_cells`, the counts) and establishments/queries.py (`panel_category`, the list's filter).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from ..adminunits import queries as unit_queries
from ..establishments.filters import PANEL_CATEGORIES, PanelRoundsError, choose_panel_rounds  # noqa: F401
from ..survey import queries as survey_queries
from . import queries

if TYPE_CHECKING:
    from ..establishments.filters import EstablishmentFilter

CATEGORY_LABELS = {
    "continuing": _l("Continuing"),
    "new": _l("New"),
    "closed": _l("Closed"),
    "not_revisited": _l("Not revisited"),
}
DEFINITIONS = (
    (_l("Continuing"), _l("A record in both rounds, and the later one does not say the establishment has closed.")),
    (_l("New"), _l("A record in the later round only (a new establishment found by the later round).")),
    (_l("Closed"), _l("The later round's record says the establishment has closed down for good.")),
    (_l("Not revisited"), _l("A record in the earlier round and none in the later one.")),
    (_l("Establishments"), _l("Each establishment with a record in either round falls in exactly one of the four "
                              "categories; a record is the current one of the round, in any review state.")),
    (_l("Workers, revenue"), _l("As recorded in each round's questionnaire (regular workers; revenue of the "
                                "year before the visit), summed; a category without a record in a round "
                                "counts 0 there.")),
    (_l("Growth of the continuing"), _l("Total: the change of the continuing establishments' sum between the "
                                        "rounds, in %. Median: the middle of their own changes in %.")),
)
def unit_argument(wanted: "EstablishmentFilter") -> str:
    """The list filter argument that selects one reporting unit (queries.report_unit_column's)."""
    return "commune_2025" if wanted.units_2025 else "district"


@dataclass
class PanelCell:
    establishments: int = 0
    workers_from: int = 0
    workers_to: int = 0
    revenue_from_vnd: int = 0
    revenue_to_vnd: int = 0

    def add(self, other: "PanelCell") -> None:
        for name in ("establishments", "workers_from", "workers_to", "revenue_from_vnd", "revenue_to_vnd"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class PanelRow:
    unit_code: str
    unit_name: str
    #: VSIC division; "" for a unit's row over all sectors (and the province's).
    sector: str
    cells: dict[str, PanelCell] = field(default_factory=lambda: {name: PanelCell() for name in PANEL_CATEGORIES})
    median_workers_pct: float | None = None
    median_revenue_pct: float | None = None

    def total(self, measure: str) -> int:
        return sum(getattr(cell, measure) for cell in self.cells.values())

    def growth_pct(self, before: str, after: str) -> float | None:
        """Change of the continuing establishments' sum, in %."""
        cell = self.cells["continuing"]
        start, end = getattr(cell, before), getattr(cell, after)
        return 100 * (end - start) / start if start else None

    @property
    def workers_growth_pct(self) -> float | None:
        return self.growth_pct("workers_from", "workers_to")

    @property
    def revenue_growth_pct(self) -> float | None:
        return self.growth_pct("revenue_from_vnd", "revenue_to_vnd")


@dataclass
class PanelReport:
    from_code: str
    to_code: str
    #: Unit × sector rows, then under each unit its row over all sectors (sector "").
    rows: list[PanelRow]
    units: list[PanelRow]
    total: PanelRow


def panel_rounds(session: Session, from_code: str | None, to_code: str | None) -> tuple[str, str]:
    """The two rounds' codes, the two latest by default; PanelRoundsError when they cannot make a panel."""
    rounds = [survey_round.code for survey_round in survey_queries.all_rounds(session)]
    return choose_panel_rounds(rounds, from_code, to_code)


def report_units(session: Session, province_code: str, wanted: "EstablishmentFilter") -> list[tuple[str, str]]:
    """(code, name) of the units the panel reports by, in order: the legacy districts, or with `units=2025`
    the communes after 1 July 2025 (see unit_argument)."""
    if wanted.units_2025:
        return unit_queries.commune_2025_choices(session, province_code)
    return [(unit.code, unit.name) for unit in unit_queries.districts_of_province(session, province_code)]


def panel_report(session: Session, province_code: str, from_code: str, to_code: str, wanted: "EstablishmentFilter",
                 scope: set[str] | None) -> PanelReport:
    names = dict(report_units(session, province_code, wanted))
    rows: dict[tuple[str, str], PanelRow] = {}
    for unit, sector, category, *figures in queries.panel_cells(session, province_code, from_code, to_code, wanted,
                                                                 scope):
        row = rows.setdefault((unit, sector), PanelRow(unit, names.get(unit, unit), sector))
        row.cells[category] = PanelCell(*figures)
    medians = queries.continuing_medians(session, province_code, from_code, to_code, wanted, scope)
    for key, row in rows.items():
        row.median_workers_pct, row.median_revenue_pct = medians.get(key, (None, None))
    order = {code: index for index, code in enumerate(names)}
    ordered = sorted(rows.values(), key=lambda row: (order.get(row.unit_code, len(order)), row.unit_code, row.sector))
    units: dict[str, PanelRow] = {}
    total = PanelRow("", "", "")
    for row in ordered:
        unit = units.setdefault(row.unit_code, PanelRow(row.unit_code, row.unit_name, ""))
        for name, cell in row.cells.items():
            unit.cells[name].add(cell)
            total.cells[name].add(cell)
    for code, unit in units.items():
        unit.median_workers_pct, unit.median_revenue_pct = medians.get((code,), (None, None))
    total.median_workers_pct, total.median_revenue_pct = medians.get((), (None, None))
    return PanelReport(from_code, to_code, ordered, list(units.values()), total)


CSV_COLUMNS = ("unit_code", "unit_name", "sector", "category", "establishments", "workers_from", "workers_to",
               "revenue_from_vnd", "revenue_to_vnd")


def csv_rows(report: PanelReport) -> list[tuple]:
    """One line per unit, sector and category (money in đồng): what `report panel --out x.csv` writes."""
    return [(row.unit_code, row.unit_name, row.sector, category, cell.establishments, cell.workers_from,
             cell.workers_to, cell.revenue_from_vnd, cell.revenue_to_vnd)
            for row in report.rows for category, cell in row.cells.items()]
