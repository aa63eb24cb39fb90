"""All SQL of reports: GROUP BY aggregates over the filtered establishments, never rows one by one."""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Float, and_, case, cast, func, join, literal, null, text, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select
from sqlmodel import Session, select

from ..establishments.queries import apply_filter, record_is_closed, within_scope
from ..models import AdminUnit, Establishment, PromotionProject, Support, SurveyRecord, SurveyRound

#: The answers (cnnt-2018 and cnnt-2019 share the names) that hold a round's workers and revenue.
WORKERS = "workers_total"
REVENUE_MILLION = "revenue_million_vnd"

if TYPE_CHECKING:
    from ..establishments.filters import EstablishmentFilter


@functools.cache
def _legacy_commune():
    """Each establishment's commune before 1 July 2025, joined as a second AdminUnit. Made on first use:
    an alias made at import time configures every mapper while the app starts."""
    return aliased(AdminUnit, name="legacy_commune")


def _sum(column):
    """SUM as a whole number on every backend (PostgreSQL returns NUMERIC for a bigint sum)."""
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


def _filtered(statement: Select, province_code: str, wanted: "EstablishmentFilter", scope: set[str] | None) -> Select:
    statement = statement.where(Establishment.province_code == province_code)
    if wanted.units_2025:  # areas are the communes after 1 July 2025: each legacy commune's main successor
        legacy_commune = _legacy_commune()
        statement = statement.join(legacy_commune, legacy_commune.code == Establishment.commune_code)
    return within_scope(apply_filter(statement, wanted), scope)


def _area(wanted: "EstablishmentFilter"):
    """What "by district" tables group by: the district, or with `units=2025` the commune after 1 July 2025."""
    return _legacy_commune().successor_code if wanted.units_2025 else Establishment.district_code


def by_district_and_sector(session: Session, province_code: str, wanted: "EstablishmentFilter",
                           scope: set[str] | None) -> list[tuple[str, str, int, int]]:
    """(district code, sector, establishments, workers); the 2025 commune instead of the district with `units=2025`."""
    area = _area(wanted)
    statement = select(area, Establishment.sector, func.count(), _sum(Establishment.workers)).select_from(Establishment)
    statement = _filtered(statement, province_code, wanted, scope).group_by(area, Establishment.sector)
    return [tuple(row) for row in session.exec(statement).all()]


def by_legal_form(session: Session, province_code: str, wanted: "EstablishmentFilter",
                  scope: set[str] | None) -> list[tuple[str, int, int, int, int]]:
    """(legal form, establishments, workers, revenue đồng, capital đồng), most establishments first."""
    statement = select(Establishment.legal_form, func.count(), _sum(Establishment.workers),
                       _sum(Establishment.revenue_vnd), _sum(Establishment.capital_vnd))
    statement = _filtered(statement, province_code, wanted, scope).group_by(Establishment.legal_form)
    return sorted((tuple(row) for row in session.exec(statement).all()), key=lambda row: (-row[1], row[0]))


def by_district(session: Session, province_code: str, wanted: "EstablishmentFilter",
                scope: set[str] | None) -> dict[str, tuple[int, int, int]]:
    """district code (the 2025 commune with `units=2025`) → (establishments, workers, revenue đồng)."""
    area = _area(wanted)
    statement = select(area, func.count(), _sum(Establishment.workers),
                       _sum(Establishment.revenue_vnd)).select_from(Establishment)
    statement = _filtered(statement, province_code, wanted, scope).group_by(area)
    return {code: (count, workers, revenue) for code, count, workers, revenue in session.exec(statement).all()}


# --- The panel between two rounds (reports/panel.py) -------------------------------------------------

def report_unit_column(wanted: "EstablishmentFilter | None" = None):
    """The unit the panel reports group by: the legacy district, or with `units=2025` the commune after
    1 July 2025 (`_filtered` joins what that needs). The effect compares within legacy districts (None)."""
    return _area(wanted) if wanted is not None else Establishment.district_code


def without_jit(session: Session) -> None:
    """PostgreSQL compiles a query this size with its JIT for seconds, longer than running it (measured
    at 500,000 establishments: 5–10 s of compiling); off for the rest of this transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _round_id(code: str):
    return select(SurveyRound.id).where(SurveyRound.code == code).scalar_subquery()


def _narrowed(province_code: str, wanted: "EstablishmentFilter", scope: set[str] | None) -> Select | None:
    """The ids of the establishments a filter (or an enumerator's communes) keeps, for the records' pass
    to read only theirs; None when it keeps the whole province, whose records are read faster in one scan
    than looked up one establishment at a time (1M on SQLite: 2.3 s against 2.9 s; one district of
    110,400: 0.6 s against 2.1 s)."""
    if wanted.is_empty() and scope is None:
        return None
    return _filtered(select(Establishment.id), province_code, wanted, scope)


def _panel_facts(from_code: str, to_code: str, establishments: Select | None):
    """One row per establishment with a current record in either round: in_from, in_to, closed (1/0) and
    workers and revenue (đồng) of each round (NULL without a record or an answer); only the records of
    `establishments` (ids) when given. The statements around it filter the establishments as well.

    One pass over the two rounds' records, the few answers read there, grouped by establishment: the
    joins and sorts after it carry narrow rows, never the answers (a million of them would spill).
    """
    earlier, later = _round_id(from_code), _round_id(to_code)
    in_round = {"from": SurveyRecord.round_id == earlier, "to": SurveyRecord.round_id == later}
    workers = SurveyRecord.answers[WORKERS].as_integer()
    revenue = cast(func.round(SurveyRecord.answers[REVENUE_MILLION].as_float() * 1_000_000), BigInteger)
    statement = (select(SurveyRecord.establishment_id.label("establishment_id"),
                        func.max(case((in_round["from"], 1), else_=0)).label("in_from"),
                        func.max(case((in_round["to"], 1), else_=0)).label("in_to"),
                        func.max(case((and_(in_round["to"], record_is_closed(SurveyRecord)), 1),
                                      else_=0)).label("closed"),
                        func.max(case((in_round["from"], workers))).label("workers_from"),
                        func.max(case((in_round["to"], workers))).label("workers_to"),
                        func.max(case((in_round["from"], revenue))).label("revenue_from"),
                        func.max(case((in_round["to"], revenue))).label("revenue_to"))
                 .where(SurveyRecord.round_id.in_([earlier, later]), SurveyRecord.is_current == True))  # noqa: E712
    if establishments is not None:
        statement = statement.where(SurveyRecord.establishment_id.in_(establishments))
    return statement.group_by(SurveyRecord.establishment_id).subquery("facts")


def _panel_join(from_code: str, to_code: str, province_code: str, wanted: "EstablishmentFilter",
                scope: set[str] | None):
    facts = _panel_facts(from_code, to_code, _narrowed(province_code, wanted, scope))
    return facts, join(Establishment, facts, facts.c.establishment_id == Establishment.id)


def _category(facts):
    """The same partition as establishments.queries.panel_category, as one CASE."""
    return case((facts.c.closed == 1, "closed"), (and_(facts.c.in_to == 1, facts.c.in_from == 1), "continuing"),
                (facts.c.in_to == 1, "new"), else_="not_revisited")


def panel_cells(session: Session, province_code: str, from_code: str, to_code: str, wanted: "EstablishmentFilter",
                scope: set[str] | None) -> list[tuple]:
    """(unit, sector, category, establishments, workers earlier, workers later, revenue earlier, revenue later)
    for the establishments with a record in either round; the figures of a round the category lacks are 0."""
    facts, joined = _panel_join(from_code, to_code, province_code, wanted, scope)
    unit, category = report_unit_column(wanted), _category(facts)
    statement = (select(unit, Establishment.sector, category, func.count(), _sum(facts.c.workers_from),
                        _sum(facts.c.workers_to), _sum(facts.c.revenue_from), _sum(facts.c.revenue_to))
                 .select_from(joined))
    statement = _filtered(statement, province_code, wanted, scope).group_by(unit, Establishment.sector, category)
    without_jit(session)
    return [tuple(row) for row in session.exec(statement).all()]


def continuing_medians(session: Session, province_code: str, from_code: str, to_code: str,
                       wanted: "EstablishmentFilter", scope: set[str] | None) -> dict[tuple, tuple]:
    """Medians of the continuing establishments' own growth (workers %, revenue %), in one pass:
    (unit, sector) → (workers, revenue) per cell, (unit,) → per unit, () → over all of them.

    Window functions number each growth within its cell, unit and the whole (rows without a figure
    last); the middle one or two of each are averaged. The rows never leave the database.
    """
    facts, joined = _panel_join(from_code, to_code, province_code, wanted, scope)
    unit = report_unit_column(wanted)
    levels = {"cell": [unit, Establishment.sector], "unit": [unit], "total": []}
    growths = {"workers": _growth_pct(facts.c.workers_from, facts.c.workers_to),
               "revenue": _growth_pct(facts.c.revenue_from, facts.c.revenue_to)}
    columns = [unit.label("unit"), Establishment.sector.label("sector")]
    for measure, growth in growths.items():
        columns.append(growth.label(measure))
        for level, keys in levels.items():
            partition = {"partition_by": keys} if keys else {}
            columns += [func.row_number().over(order_by=[growth.is_(None), growth], **partition)
                        .label(f"{measure}_{level}_position"),
                        func.count(growth).over(**partition).label(f"{measure}_{level}_size")]
    continuing = _category(facts) == "continuing"
    # A CTE: the three levels read the ranked rows computed once (a subquery would be inlined three times).
    ranked = _filtered(select(*columns).select_from(joined).where(continuing), province_code, wanted,
                       scope).cte("ranked")

    def median(measure: str, level: str):
        position, size = ranked.c[f"{measure}_{level}_position"], ranked.c[f"{measure}_{level}_size"]
        return func.avg(case((and_(position >= (size + 1) // 2, position <= (size + 2) // 2), ranked.c[measure])))

    parts = [select(literal(level).label("level"), *(ranked.c[name] if name in names else null()
                                                     for name in ("unit", "sector")),
                    median("workers", level), median("revenue", level)).group_by(*(ranked.c[name] for name in names))
             for level, names in (("cell", ("unit", "sector")), ("unit", ("unit",)), ("total", ()))]
    medians: dict[tuple, tuple] = {}
    without_jit(session)
    for level, unit_code, sector, workers, revenue in session.execute(union_all(*parts)).all():
        key = {"cell": (unit_code, sector), "unit": (unit_code,), "total": ()}[level]
        medians[key] = (workers, revenue)
    return medians


def _growth_pct(before, after):
    """after / before − 1 in %, NULL where there is no figure or nothing to divide by."""
    return case((and_(before > 0, after.is_not(None)), 100.0 * (after - before) / cast(before, Float)))


# --- Did support help? (reports/effect.py) ------------------------------------------------------------

def supported_between(first_year: int, last_year: int):
    """Establishments supported by a project of one of these years (projects are dated to the year)."""
    projects = select(PromotionProject.id).where(PromotionProject.year.between(first_year, last_year))
    return Establishment.id.in_(select(Support.establishment_id).where(Support.project_id.in_(projects)))


def effect_cells(session: Session, province_code: str, from_code: str, to_code: str, years: tuple[int, int],
                 wanted: "EstablishmentFilter", scope: set[str] | None) -> list[tuple]:
    """(unit, sector, supported, establishments, workers earlier, later, revenue earlier, later) of the
    continuing establishments with workers and revenue in both rounds."""
    facts, joined = _panel_join(from_code, to_code, province_code, wanted, scope)
    unit, supported = report_unit_column(), supported_between(*years)
    flag = case((supported, 1), else_=0)
    statement = (select(unit, Establishment.sector, flag, func.count(), _sum(facts.c.workers_from),
                        _sum(facts.c.workers_to), _sum(facts.c.revenue_from), _sum(facts.c.revenue_to))
                 .select_from(joined)
                 .where(_category(facts) == "continuing",
                        *(facts.c[name].is_not(None) for name in ("workers_from", "workers_to", "revenue_from",
                                                                  "revenue_to"))))
    statement = _filtered(statement, province_code, wanted, scope).group_by(unit, Establishment.sector, flag)
    without_jit(session)
    return [tuple(row) for row in session.exec(statement).all()]
