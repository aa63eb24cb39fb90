"""All SQL of reports: GROUP BY aggregates over the filtered establishments, never rows one by one."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Float, and_, case, cast, func, or_
from sqlalchemy.orm import aliased, outerjoin
from sqlalchemy.sql import Select
from sqlmodel import Session, select

from ..establishments.queries import CLOSED, OPERATING_STATUS, apply_filter, record_is_closed, within_scope
from ..models import Establishment, PromotionProject, Support, SurveyRecord, SurveyRound

#: The answers (cnnt-2018 and cnnt-2019 share the names) that hold a round's workers and revenue.
WORKERS = "workers_total"
REVENUE_MILLION = "revenue_million_vnd"

if TYPE_CHECKING:
    from ..establishments.filters import EstablishmentFilter


def _sum(column):
    """SUM as a whole number on every backend (PostgreSQL returns NUMERIC for a bigint sum)."""
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


def _filtered(statement: Select, province_code: str, wanted: "EstablishmentFilter", scope: set[str] | None) -> Select:
    statement = statement.where(Establishment.province_code == province_code)
    return within_scope(apply_filter(statement, wanted), scope)


def by_district_and_sector(session: Session, province_code: str, wanted: "EstablishmentFilter",
                           scope: set[str] | None) -> list[tuple[str, str, int, int]]:
    """(district code, sector, establishments, workers)."""
    statement = select(Establishment.district_code, Establishment.sector, func.count(), _sum(Establishment.workers))
    statement = _filtered(statement, province_code, wanted, scope).group_by(Establishment.district_code,
                                                                           Establishment.sector)
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
    """district code → (establishments, workers, revenue đồng)."""
    statement = select(Establishment.district_code, func.count(), _sum(Establishment.workers),
                       _sum(Establishment.revenue_vnd))
    statement = _filtered(statement, province_code, wanted, scope).group_by(Establishment.district_code)
    return {code: (count, workers, revenue) for code, count, workers, revenue in session.exec(statement).all()}


# --- The panel between two rounds (reports/panel.py) -------------------------------------------------

def report_unit_column():
    """The unit the panel and effect reports group by: the legacy district.

    One place to switch (to the 2025 commune, say): every panel query groups by what this returns.
    """
    return Establishment.district_code


def _round_id(code: str):
    return select(SurveyRound.id).where(SurveyRound.code == code).scalar_subquery()


def _panel_records(from_code: str, to_code: str):
    """Establishment joined with its current record of each round (aliases: earlier, later)."""
    earlier, later = aliased(SurveyRecord, name="earlier"), aliased(SurveyRecord, name="later")
    joined = outerjoin(Establishment, earlier, and_(
        earlier.establishment_id == Establishment.id, earlier.round_id == _round_id(from_code),
        earlier.is_current == True))  # noqa: E712
    joined = joined.outerjoin(later, and_(later.establishment_id == Establishment.id,
                                          later.round_id == _round_id(to_code), later.is_current == True))  # noqa: E712
    return earlier, later, joined


def _workers(record):
    return record.answers[WORKERS].as_integer()


def _revenue_vnd(record):
    """Revenue in đồng from the answer in triệu đồng (a decimal), rounded to the đồng."""
    return cast(func.round(record.answers[REVENUE_MILLION].as_float() * 1_000_000), BigInteger)


def _category(earlier, later):
    """The same partition as establishments.queries.panel_category, as one CASE."""
    return case((and_(later.id.is_not(None), record_is_closed(later)), "closed"),
                (and_(later.id.is_not(None), earlier.id.is_not(None)), "continuing"),
                (later.id.is_not(None), "new"), else_="not_revisited")


def panel_cells(session: Session, province_code: str, from_code: str, to_code: str, wanted: "EstablishmentFilter",
                scope: set[str] | None) -> list[tuple]:
    """(unit, sector, category, establishments, workers earlier, workers later, revenue earlier, revenue later)
    for the establishments with a record in either round; the figures of a round the category lacks are 0."""
    earlier, later, joined = _panel_records(from_code, to_code)
    unit, category = report_unit_column(), _category(earlier, later)
    statement = (select(unit, Establishment.sector, category, func.count(), _sum(_workers(earlier)),
                        _sum(_workers(later)), _sum(_revenue_vnd(earlier)), _sum(_revenue_vnd(later)))
                 .select_from(joined).where(or_(earlier.id.is_not(None), later.id.is_not(None))))
    statement = _filtered(statement, province_code, wanted, scope).group_by(unit, Establishment.sector, category)
    return [tuple(row) for row in session.exec(statement).all()]


def continuing_medians(session: Session, province_code: str, from_code: str, to_code: str,
                       wanted: "EstablishmentFilter", scope: set[str] | None,
                       by: str = "cell") -> dict[tuple, tuple[float | None, float | None]]:
    """(unit, sector) → (median growth of workers %, median growth of revenue %) of the continuing
    establishments; by "unit": (unit,) → ...; by "total": one median over all of them, under the key ().

    Medians by window functions (row numbers within each cell), so the rows never leave the database.
    """
    earlier, later, joined = _panel_records(from_code, to_code)
    keys = {"cell": [report_unit_column(), Establishment.sector], "unit": [report_unit_column()], "total": []}[by]
    continuing = and_(earlier.id.is_not(None), later.id.is_not(None),
                      or_(later.answers[OPERATING_STATUS].as_string().is_(None),
                          later.answers[OPERATING_STATUS].as_string() != CLOSED))
    medians = []
    for before, after in ((_workers(earlier), _workers(later)), (_revenue_vnd(earlier), _revenue_vnd(later))):
        growth = 100.0 * (after - before) / cast(before, Float)
        ranked = select(*keys, growth.label("growth"),
                        func.row_number().over(partition_by=keys or None, order_by=growth).label("position"),
                        func.count().over(partition_by=keys or None).label("size")).select_from(joined)
        ranked = _filtered(ranked.where(continuing, before > 0, after.is_not(None)), province_code, wanted,
                           scope).subquery()
        grouping = [ranked.c[index] for index in range(len(keys))]
        middle = select(*grouping, func.avg(ranked.c.growth)).where(
            ranked.c.position >= (ranked.c.size + 1) // 2, ranked.c.position <= (ranked.c.size + 2) // 2)
        medians.append({tuple(row[:-1]): row[-1] for row in session.execute(middle.group_by(*grouping)).all()})
    workers, revenue = medians
    return {key: (workers.get(key), revenue.get(key)) for key in set(workers) | set(revenue)}


# --- Did support help? (reports/effect.py) ------------------------------------------------------------

def supported_between(first_year: int, last_year: int):
    """Establishments supported by a project of one of these years (projects are dated to the year)."""
    projects = select(PromotionProject.id).where(PromotionProject.year.between(first_year, last_year))
    return Establishment.id.in_(select(Support.establishment_id).where(Support.project_id.in_(projects)))


def effect_cells(session: Session, province_code: str, from_code: str, to_code: str, years: tuple[int, int],
                 wanted: "EstablishmentFilter", scope: set[str] | None) -> list[tuple]:
    """(unit, sector, supported, establishments, workers earlier, later, revenue earlier, later) of the
    continuing establishments with workers and revenue in both rounds."""
    earlier, later, joined = _panel_records(from_code, to_code)
    unit, supported = report_unit_column(), supported_between(*years)
    flag = case((supported, 1), else_=0)
    statement = (select(unit, Establishment.sector, flag, func.count(), _sum(_workers(earlier)), _sum(_workers(later)),
                        _sum(_revenue_vnd(earlier)), _sum(_revenue_vnd(later)))
                 .select_from(joined)
                 .where(earlier.id.is_not(None), later.id.is_not(None),
                        _category(earlier, later) == "continuing",
                        _workers(earlier).is_not(None), _workers(later).is_not(None),
                        earlier.answers[REVENUE_MILLION].as_float().is_not(None),
                        later.answers[REVENUE_MILLION].as_float().is_not(None)))
    statement = _filtered(statement, province_code, wanted, scope).group_by(unit, Establishment.sector, flag)
    return [tuple(row) for row in session.exec(statement).all()]
