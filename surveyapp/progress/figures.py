"""The three rates of a survey round, each defined once, and the words that name them on every page.

- approval rate = approved records ÷ records (current versions, drafts included);
- coverage = establishments with a record submitted, returned or approved ÷ establishments to visit;
- approved coverage = establishments with an approved record ÷ establishments to visit.

An establishment has at most one current record per round, so counting records and counting
establishments with a record is the same count. A rate over nothing is None ("–"), never 0 %.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Hashable

from flask_babel import lazy_gettext as _l

from ..models import RecordStatus

STATUSES = tuple(status.value for status in RecordStatus)
#: Statuses of a record that was handed in at least once: the establishment was visited.
HANDED_IN = (RecordStatus.submitted.value, RecordStatus.returned.value, RecordStatus.approved.value)

TO_VISIT = _l("Establishments to visit")
RECORDS = _l("Records")
APPROVAL_RATE = _l("Approval rate (%)")
COVERAGE = _l("Coverage (%)")
APPROVED_COVERAGE = _l("Approved coverage (%)")

#: The order of the figures' columns on every page and in the XLSX.
ORDER = ("to_visit", "records", *STATUSES, "approval_rate", "coverage", "approved_coverage")
#: Figure → its name on the pages (templates take these: a literal "%" in a template's _() is a format).
NAMES = {"to_visit": TO_VISIT, "records": RECORDS, "approval_rate": APPROVAL_RATE, "coverage": COVERAGE,
         "approved_coverage": APPROVED_COVERAGE}
#: (name, definition) shown beside the figures on every page and in the XLSX's About sheet.
DEFINITIONS = (
    (APPROVAL_RATE, _l("approved records ÷ records of the round (current versions only; drafts count as records).")),
    (COVERAGE, _l("establishments with a record submitted, returned or approved ÷ establishments to visit.")),
    (APPROVED_COVERAGE, _l("establishments with an approved record ÷ establishments to visit.")),
    (TO_VISIT, _l("establishments registered in the area (and matching the filter, where the page has one), "
                  "merged duplicates left out, closed ones included (a record confirms the closure).")),
    (RECORDS, _l("the current version of each establishment's questionnaire in the round, whatever its state; "
                 "earlier versions are history and are not counted.")),
)


def percent(part: int, whole: int | None) -> float | None:
    """100 × part ÷ whole to one decimal, a half rounded up as by hand (1 ÷ 400 → 0.3); None over nothing.

    Rounded here once, so the pages, the XLSX and the CSV print the same digits."""
    if not whole:
        return None
    return float((Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class RoundCounts:
    """Current records per state in one round over one area (or of one enumerator), and what to visit there.

    `to_visit` is None where it has no meaning (an enumerator: communes are assigned, not establishments).
    """

    to_visit: int | None = 0
    draft: int = 0
    submitted: int = 0
    returned: int = 0
    approved: int = 0

    @property
    def records(self) -> int:
        return self.draft + self.submitted + self.returned + self.approved

    @property
    def handed_in(self) -> int:
        """Establishments whose record was submitted at least once (submitted, returned or approved)."""
        return sum(getattr(self, status) for status in HANDED_IN)

    @property
    def approval_rate(self) -> float | None:
        return percent(self.approved, self.records)

    @property
    def coverage(self) -> float | None:
        return percent(self.handed_in, self.to_visit)

    @property
    def approved_coverage(self) -> float | None:
        return percent(self.approved, self.to_visit)

    def __add__(self, other: "RoundCounts") -> "RoundCounts":
        to_visit = None if self.to_visit is None or other.to_visit is None else self.to_visit + other.to_visit
        return RoundCounts(to_visit, *(getattr(self, name) + getattr(other, name) for name in STATUSES))

    def figures(self) -> dict[str, int | float | None]:
        """Every figure by its name (the names the pages mark cells with and the tests read)."""
        named = {"to_visit": self.to_visit, "records": self.records,
                 **{name: getattr(self, name) for name in STATUSES},
                 "approval_rate": self.approval_rate, "coverage": self.coverage,
                 "approved_coverage": self.approved_coverage}
        return named if self.to_visit is not None else {
            name: value for name, value in named.items() if name not in ("to_visit", "coverage", "approved_coverage")}


def total(counts: list[RoundCounts]) -> RoundCounts:
    return sum(counts, RoundCounts())


@dataclass
class CountsTable:
    """What `queries.round_counts` found: establishments to visit per area, current records per round,
    area and state. `of` gives the counts of one cell, zeros where nothing was found."""

    to_visit: dict[Hashable, int] | None
    records: dict[tuple[int, Hashable], dict[str, int]]

    def of(self, round_id: int, key: Hashable = None) -> RoundCounts:
        to_visit = None if self.to_visit is None else self.to_visit.get(key, 0)
        return RoundCounts(to_visit, **self.records.get((round_id, key), {}))

    def keys_with_records(self, round_id: int) -> set[Hashable]:
        return {key for (record_round, key) in self.records if record_round == round_id}

