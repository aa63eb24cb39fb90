"""Summary tables: SQL aggregates arranged into rows and columns that the page and XLSX share.

A `ReportTable` is plain data (headers, kinds, rows, a total row), so the HTML page, the XLSX download
and the tests all read the same thing. Money columns hold đồng; both edges show them in triệu đồng.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from sqlmodel import Session

from .. import reference
from ..adminunits import queries as unit_queries
from ..progress import figures
from ..progress.queries import round_counts
from ..survey import queries as survey_queries
from . import queries

if TYPE_CHECKING:
    from ..establishments.filters import EstablishmentFilter

TABLES = ("districts", "district_sector_establishments", "district_sector_workers", "legal_forms", "round_coverage")


@dataclass(frozen=True)
class ReportColumn:
    header: str
    #: text | code | int | million (a đồng amount shown in triệu đồng) | percent
    kind: str = "int"
    #: Longer explanation (a tooltip on the page).
    title: str | None = None
    width: int = 12
    #: The fieldwork figure the column holds (progress.figures), marked on the page's cells.
    key: str | None = None


@dataclass
class ReportTable:
    key: str
    title: str
    columns: list[ReportColumn]
    rows: list[list[Any]] = field(default_factory=list)
    total: list[Any] | None = None
    note: str | None = None
    #: (name, definition) of the figures the table holds, shown under it and in the XLSX's About sheet.
    definitions: tuple = ()


@dataclass
class ReportContext:
    """What every table of one request is computed over."""

    session: Session
    province_code: str
    filter: "EstablishmentFilter"
    scope: set[str] | None
    language: str = "vi"

    def districts(self) -> list[tuple[str, str]]:
        """The areas of "by district" tables: the districts, or with `units=2025` the communes after 1 July 2025."""
        if self.filter.units_2025:
            return unit_queries.commune_2025_choices(self.session, self.province_code)
        return [(unit.code, unit.name) for unit in unit_queries.districts_of_province(self.session, self.province_code)]

    def area_header(self) -> str:
        return _("Commune (from 1/7/2025)") if self.filter.units_2025 else _("District")

    @property
    def narrowed(self) -> bool:
        """A filter or an enumerator's communes: districts without establishments are left out."""
        return self.scope is not None or not self.filter.is_empty()


def build(context: ReportContext, key: str) -> ReportTable:
    return {"districts": districts_table, "district_sector_establishments": lambda c: district_sector_table(c, 0),
            "district_sector_workers": lambda c: district_sector_table(c, 1), "legal_forms": legal_forms_table,
            "round_coverage": round_coverage_table}[key](context)


def _district_columns(context: ReportContext) -> list[ReportColumn]:
    return [ReportColumn(_("Code"), "code", width=7), ReportColumn(context.area_header(), "text", width=26)]


def districts_table(context: ReportContext) -> ReportTable:
    counts = queries.by_district(context.session, context.province_code, context.filter, context.scope)
    title = (_("Establishments, workers and revenue by commune (from 1/7/2025)") if context.filter.units_2025
             else _("Establishments, workers and revenue by district"))
    table = ReportTable("districts", title, _district_columns(context) + [
        ReportColumn(_("Establishments")), ReportColumn(_("Workers")),
        ReportColumn(_("Revenue (million VND)"), "million", width=16)])
    for code, name in context.districts():
        establishments, workers, revenue = counts.get(code, (0, 0, 0))
        if establishments or not context.narrowed:
            table.rows.append([code, name, establishments, workers, revenue])
    table.total = ["", _("Total"), *(sum(row[index] for row in table.rows) for index in (2, 3, 4))]
    return table


def district_sector_table(context: ReportContext, measure: int) -> ReportTable:
    """Districts down, sectors (VSIC divisions) across; measure 0 = establishments, 1 = workers."""
    cells: dict[tuple[str, str], int] = {}
    for district, sector, establishments, workers in queries.by_district_and_sector(
            context.session, context.province_code, context.filter, context.scope):
        cells[(district, sector)] = (establishments, workers)[measure]
    sectors = sorted({sector for _district, sector in cells})
    divisions = reference.vsic_divisions()
    columns = _district_columns(context) + [
        ReportColumn(sector, title=divisions[sector].name(context.language) if sector in divisions else None, width=8)
        for sector in sectors] + [ReportColumn(_("Total"))]
    key, title = (("district_sector_establishments", _("Establishments by district and sector")) if measure == 0
                  else ("district_sector_workers", _("Workers by district and sector")))
    table = ReportTable(key, title, columns, note=_("Sectors are VSIC 2018 divisions; hover a code for its name."))
    for code, name in context.districts():
        values = [cells.get((code, sector), 0) for sector in sectors]
        if sum(values) or not context.narrowed:
            table.rows.append([code, name, *values, sum(values)])
    table.total = ["", _("Total"), *(sum(row[index] for row in table.rows) for index in range(2, len(columns)))]
    return table


def legal_forms_table(context: ReportContext) -> ReportTable:
    rows = queries.by_legal_form(context.session, context.province_code, context.filter, context.scope)
    everyone = sum(row[1] for row in rows)
    table = ReportTable("legal_forms", _("Legal forms"), [
        ReportColumn(_("Legal form"), "text", width=34), ReportColumn(_("Establishments")),
        ReportColumn(_("Share (%)"), "percent", width=9), ReportColumn(_("Workers")),
        ReportColumn(_("Revenue (million VND)"), "million", width=16),
        ReportColumn(_("Capital (million VND)"), "million", width=16)])
    for legal_form, establishments, workers, revenue, capital in rows:
        share = 100 * establishments / everyone if everyone else 0
        table.rows.append([reference.label(reference.LEGAL_FORM_LABELS, legal_form), establishments, share, workers,
                           revenue, capital])
    table.total = [_("Total"), everyone, 100.0 if everyone else 0, *(sum(row[i] for row in table.rows) for i in (3, 4, 5))]
    return table


def round_coverage_table(context: ReportContext) -> ReportTable:
    """Per round and district: establishments to visit, current records by state, and the three rates.

    A district shows when it has something to visit or a record; each round's total row is the sum of
    its district rows, so it equals the province's figures (progress.queries counts both).
    """
    by = "commune_2025" if context.filter.units_2025 else "district"
    table_counts = round_counts(context.session, context.province_code, by, wanted=context.filter,
                                scope=context.scope)
    labels = reference.RECORD_STATUS_LABELS
    table = ReportTable("round_coverage", _("Survey round coverage"), [
        ReportColumn(_("Survey round"), "code", width=10), *_district_columns(context),
        ReportColumn(str(figures.TO_VISIT), key="to_visit", width=14),
        ReportColumn(str(figures.RECORDS), key="records"),
        *(ReportColumn(str(reference.label(labels, status)), key=status) for status in figures.STATUSES),
        ReportColumn(str(figures.APPROVAL_RATE), "percent", key="approval_rate", width=14),
        ReportColumn(str(figures.COVERAGE), "percent", key="coverage", width=14),
        ReportColumn(str(figures.APPROVED_COVERAGE), "percent", key="approved_coverage", width=14)],
        definitions=figures.DEFINITIONS)
    districts = context.districts()
    for survey_round in survey_queries.all_rounds(context.session):
        district_rows = [(code, name, table_counts.of(survey_round.id, code)) for code, name in districts]
        shown = [(code, name, counts) for code, name, counts in district_rows if counts.to_visit or counts.records]
        if shown:
            table.rows.extend(_coverage_row(survey_round.code, code, name, counts) for code, name, counts in shown)
            table.rows.append(_coverage_row(survey_round.code, "", _("All communes") if context.filter.units_2025
                                            else _("All districts"),
                                            figures.total([counts for _code, _name, counts in shown])))
    return table


def _coverage_row(round_code: str, code: str, name: str, counts: figures.RoundCounts) -> list[Any]:
    values = counts.figures()
    return [round_code, code, name, *(values[name] for name in figures.ORDER)]
