"""Did support help? Supported establishments against comparable unsupported ones, between two rounds.

Both groups are continuing establishments (panel.py) with workers and revenue in both rounds.
Supported: helped by a promotion project of a year from the earlier round's to the later round's
(projects are dated to the year). Comparable: not helped in those years, in the same unit and sector.
Each unit × sector cell's comparables grow at their own rate; applied to the supported establishments'
starting figures of that cell, these rates give what the supported would have reached growing like
their neighbours. The effect is the supported's growth minus that, in percentage points: a
difference-in-differences over cells, computed from per-cell sums (queries.effect_cells).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from ..survey import queries as survey_queries
from . import queries
from .panel import PanelCell

if TYPE_CHECKING:
    from ..establishments.filters import EstablishmentFilter

DEFINITIONS = (
    (_l("Supported"), _l("Continuing establishments helped by a promotion project of a year from the earlier "
                         "round's to the later round's (projects are dated to the year).")),
    (_l("Comparable"), _l("Continuing establishments not helped in those years, in the same district and sector "
                          "as supported ones.")),
    (_l("Growth"), _l("Change of the group's total between the two rounds, in %. The comparable growth is each "
                      "district and sector's rate weighted by the supported establishments' starting figures.")),
    (_l("Difference"), _l("Supported growth minus comparable growth, in percentage points.")),
)
CAVEAT = _l("This compares establishments; it does not prove that support caused the difference. Projects "
            "choose whom they help (often the more dynamic establishments), and closed establishments are left "
            "out of both groups. Read the difference as a clue, with the counts beside it.")


@dataclass
class Measure:
    """One measure (workers or revenue) of the comparison."""

    supported_growth_pct: float | None
    comparable_growth_pct: float | None

    @property
    def difference_pp(self) -> float | None:
        if self.supported_growth_pct is None or self.comparable_growth_pct is None:
            return None
        return self.supported_growth_pct - self.comparable_growth_pct


@dataclass
class EffectReport:
    from_code: str
    to_code: str
    years: tuple[int, int]
    #: Supported establishments with comparables in their cell, and those comparables.
    supported: PanelCell = field(default_factory=PanelCell)
    comparable: PanelCell = field(default_factory=PanelCell)
    #: Supported establishments left out: no comparable in their district and sector.
    unmatched: int = 0
    workers: Measure | None = None
    revenue: Measure | None = None


def support_years(session: Session, from_code: str, to_code: str) -> tuple[int, int] | None:
    """The years of the two rounds (their start dates), or None when a round has no dates."""
    years = []
    for code in (from_code, to_code):
        survey_round = survey_queries.round_by_code(session, code)
        day = (survey_round.start_date or survey_round.end_date) if survey_round else None
        if day is None:
            return None
        years.append(day.year)
    return years[0], years[1]


def effect_report(session: Session, province_code: str, from_code: str, to_code: str, years: tuple[int, int],
                  wanted: "EstablishmentFilter", scope: set[str] | None) -> EffectReport:
    cells: dict[tuple[str, str], dict[int, tuple]] = {}
    for unit, sector, supported, *figures in queries.effect_cells(session, province_code, from_code, to_code, years,
                                                                  wanted, scope):
        cells.setdefault((unit, sector), {})[supported] = tuple(figures)
    report = EffectReport(from_code, to_code, years)
    expected_workers = expected_revenue = 0.0
    for groups in cells.values():
        if 1 not in groups:
            continue
        if 0 not in groups:
            report.unmatched += groups[1][0]
            continue
        helped, others = groups[1], groups[0]
        report.supported.add(PanelCell(*helped))
        report.comparable.add(PanelCell(*others))
        expected_workers += helped[1] * _rate(others[1], others[2])
        expected_revenue += helped[3] * _rate(others[3], others[4])
    supported = report.supported
    report.workers = Measure(_growth(supported.workers_from, supported.workers_to),
                             _growth(supported.workers_from, expected_workers))
    report.revenue = Measure(_growth(supported.revenue_from_vnd, supported.revenue_to_vnd),
                             _growth(supported.revenue_from_vnd, expected_revenue))
    return report


def _rate(before: int, after: int) -> float:
    return after / before if before else 1.0


def _growth(before: float, after: float) -> float | None:
    return 100 * (after - before) / before if before else None
