"""All SQL about establishments and their records (rounds: survey/queries.py)."""
from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sqlalchemy import Integer, String, and_, bindparam, column, exists, func, literal, literal_column, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql import Select
from sqlmodel import Session, select

from ..models import (
    AdminUnit, Establishment, EstablishmentStatus, OcopRating, ProductCertificate, PromotionProject, Support,
    SurveyRecord, SurveyRound,
)
from ..adminunits.queries import legacy_communes_counted_in
from ..text import search_terms
from . import search_index, tally

if TYPE_CHECKING:
    from .filters import EstablishmentFilter


class rare(FunctionElement):  # noqa: N801 - reads as a SQL function
    """A condition few rows meet (merged duplicates). SQLite's statistics know how many rows a status
    has on average, not that "merged" is rare, so without the hint it reads a district's 100,000
    rows to find its few merged ones instead of reading the status index. PostgreSQL knows already."""

    inherit_cache = True  # untyped, not Boolean: a Boolean function would be compared "= 1" on SQLite


@compiles(rare)
def _rare_default(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(rare, "sqlite")
def _rare_sqlite(element, compiler, **kw):
    return f"likelihood({compiler.process(element.clauses, **kw)}, 0.001)"


@dataclass
class EstablishmentPage:
    rows: list[Establishment]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1


def search_conditions(query: str | None) -> list:
    """The words of the search box: each must appear in the folded name/owner/address.

    Words of three letters or more go through the trigram index (search_index), all in one lookup;
    shorter ones are checked on the rows those found.
    """
    terms = search_terms(query)
    indexed = [t for t in terms if len(t) >= search_index.MIN_TERM and not set(t) & set("%_\\")]
    conditions = [indexed_terms(*indexed)] if indexed else []
    return conditions + [Establishment.search_text.contains(t, autoescape=True) for t in terms if t not in indexed]


class indexed_terms(FunctionElement):  # noqa: N801 - reads as a SQL function
    """search_text contains every term: SQLite asks the FTS5 trigram table once for all of them,
    PostgreSQL ANDs one LIKE per term (its pg_trgm index serves them). Terms of three letters or
    more without LIKE wildcards only (shorter ones have no trigram)."""

    inherit_cache = True

    def __init__(self, *terms: str):
        # An FTS5 query: each term a quoted string (its trigrams in a row: the term as a substring).
        fts_query = " ".join('"' + term.replace('"', '""') + '"' for term in terms)
        super().__init__(literal(fts_query), *(literal(f"%{term}%") for term in terms))


_SEARCH_TABLE = table(search_index.FTS_TABLE, column("rowid"))


@compiles(indexed_terms)
def _indexed_terms_default(element, compiler, **kw):
    patterns = list(element.clauses)[1:]
    return compiler.process(and_(*(Establishment.search_text.like(pattern) for pattern in patterns)), **kw)


@compiles(indexed_terms, "sqlite")
def _indexed_terms_sqlite(element, compiler, **kw):
    fts_query = list(element.clauses)[0]
    matching = select(_SEARCH_TABLE.c.rowid).where(literal_column(search_index.FTS_TABLE).op("MATCH")(fts_query))
    return compiler.process(Establishment.id.in_(matching.scalar_subquery()), **kw)


#: Filter arguments that are one column equal to the value.
_EQUALITIES = {"district": Establishment.district_code, "commune": Establishment.commune_code,
               "sector": Establishment.sector, "legal_form": Establishment.legal_form}


def apply_filter(statement: Select, wanted: "EstablishmentFilter", with_merged: bool = False) -> Select:
    """Add the WHERE clauses of a filter to a statement over Establishment.

    Without a status filter, merged duplicates are left out unless `with_merged` (for counting).
    """
    statement = statement.where(*(column == value for name, column in _EQUALITIES.items()
                                  if (value := getattr(wanted, name))))
    if wanted.commune_2025:  # the legacy communes counted in it: an IN list read from the commune index
        statement = statement.where(Establishment.commune_code.in_(legacy_communes_counted_in(wanted.commune_2025)))
    statement = statement.where(*status_conditions(wanted.status, with_merged))
    if wanted.gps_mismatch:
        statement = statement.where(Establishment.gps_mismatch == (wanted.gps_mismatch == "1"))
    if wanted.round:
        round_id = select(SurveyRound.id).where(SurveyRound.code == wanted.round).scalar_subquery()
        statement = statement.where(Establishment.id.in_(
            select(SurveyRecord.establishment_id).where(SurveyRecord.round_id == round_id)))
    if wanted.panel:
        statement = statement.where(panel_category(wanted.panel, wanted.panel_from, wanted.panel_to))
    statement = statement.where(*search_conditions(wanted.q))
    return _promotion_filters(statement, wanted)


def status_conditions(status: str | None, with_merged: bool = False) -> list:
    """The status asked for; without one, merged duplicates are left out unless `with_merged`."""
    if status == EstablishmentStatus.merged.value:
        return [rare(Establishment.status == status)]
    if status:
        return [Establishment.status == status]
    if not with_merged:  # a merged duplicate lives on in its survivor: counting both would count one twice
        return [Establishment.status != EstablishmentStatus.merged.value]
    return []


#: The answer of cnnt-2019 (and later) that says an establishment has closed down for good.
OPERATING_STATUS = "operating_status"
CLOSED = "closed"


def round_records(round_code: str, closed_only: bool = False) -> Select:
    """Ids of establishments with a current record in a round (those it found closed, with `closed_only`)."""
    round_id = select(SurveyRound.id).where(SurveyRound.code == round_code).scalar_subquery()
    statement = select(SurveyRecord.establishment_id).where(SurveyRecord.round_id == round_id,
                                                            SurveyRecord.is_current == True)  # noqa: E712
    if closed_only:
        statement = statement.where(record_is_closed(SurveyRecord))
    return statement


def record_is_closed(record):
    return record.answers[OPERATING_STATUS].as_string() == CLOSED


def panel_category(category: str, from_code: str, to_code: str):
    """The condition of one panel category (reports/panel.py holds the definitions the page shows).

    "Has a record" is `id IN (ids of a round's records)`, the database starting from survey_record's
    index; "has none" is NOT EXISTS, an anti-join (NOT IN over a million ids would not fit PostgreSQL's
    hashed subplan). The same partition `reports.queries.panel_cells` counts with CASE.
    """
    def has(code: str, closed_only: bool = False):
        return Establishment.id.in_(round_records(code, closed_only))

    def lacks(code: str, closed_only: bool = False):
        return ~exists(round_records(code, closed_only).where(SurveyRecord.establishment_id == Establishment.id))

    return {
        "continuing": and_(has(from_code), has(to_code), lacks(to_code, closed_only=True)),
        "new": and_(has(to_code), lacks(from_code), lacks(to_code, closed_only=True)),
        "closed": has(to_code, closed_only=True),
        "not_revisited": and_(has(from_code), lacks(to_code)),
    }[category]


def _promotion_filters(statement: Select, wanted: "EstablishmentFilter") -> Select:
    """Support received, a given project, certificates and OCOP stars.

    `id IN (ids from the other table)` rather than a correlated EXISTS: the database can start from
    the few matching ids (an index on the other table) instead of testing every establishment.
    """
    if wanted.supported:
        supported = Establishment.id.in_(select(Support.establishment_id))
        statement = statement.where(supported if wanted.supported == "1" else ~supported)
    if wanted.project:
        project_id = select(PromotionProject.id).where(PromotionProject.code == wanted.project).scalar_subquery()
        statement = statement.where(Establishment.id.in_(
            select(Support.establishment_id).where(Support.project_id == project_id)))
    if wanted.certificate_level:
        statement = statement.where(Establishment.id.in_(
            select(ProductCertificate.establishment_id).where(ProductCertificate.level == wanted.certificate_level)))
    if wanted.ocop_min_stars:
        statement = statement.where(Establishment.id.in_(
            select(OcopRating.establishment_id).where(OcopRating.stars >= int(wanted.ocop_min_stars))))
    return statement


def within_scope(statement: Select, communes: set[str] | None) -> Select:
    """Only establishments of these communes (None: no restriction; an empty set: nothing)."""
    if communes is None:
        return statement
    return statement.where(Establishment.commune_code.in_(sorted(communes)))


def count_establishments(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None = None) -> int:
    """The filter's total, read on the session's connection: the ORM's execute adds its own bookkeeping to a
    plain SELECT, and the lists and exports that count have nothing pending to flush."""
    statement, values = count_query(wanted, scope)
    return session.connection().execute(statement, values).scalar_one()


#: The filter arguments the tally can split a total by.
_TALLIED = {"district", "commune", "sector", "legal_form", "status"}


def count_statement(wanted: "EstablishmentFilter", scope: set[str] | None = None) -> Select:
    """How many establishments the filter selects, merged duplicates left out unless asked for: the sum
    of the maintained tally when the filter only uses what the tally is split by, else the rows."""
    statement, values = count_query(wanted, scope)
    return statement.params(values)


def count_query(wanted: "EstablishmentFilter", scope: set[str] | None = None) -> tuple[Select, dict]:
    """count_statement as a statement and the values to bind. A statement built once and run again with
    new values is the cheapest: the database answers a tally sum in less time than it takes to build one,
    and a statement the engine has compiled before needs no matching of its result columns."""
    values = wanted.as_query_args()
    if set(values) <= _TALLIED:
        if scope is not None:
            values["scope"] = sorted(scope)
        return _tallied_template(tuple(values)), values
    return counted_rows_statement(wanted, scope), {}


@functools.lru_cache(maxsize=128)
def _tallied_template(names: tuple[str, ...]) -> Select:
    """The filter's total from establishment_tally (a few thousand rows for a province, not a million),
    for filters on these arguments (and "scope"), the values left to bind."""
    counts = tally.tally.c
    statement = select(func.coalesce(func.sum(counts.n), 0)).select_from(tally.tally)
    for name in names:
        if name != "scope":
            statement = statement.where(getattr(counts, f"{name}_code" if name in ("district", "commune") else name)
                                        == bindparam(name, type_=String))
    if "status" not in names:
        statement = statement.where(counts.status != EstablishmentStatus.merged.value)
    if "scope" in names:
        statement = statement.where(counts.commune_code.in_(bindparam("scope", expanding=True, type_=String)))
    return statement


def counted_rows_statement(wanted: "EstablishmentFilter", scope: set[str] | None = None) -> Select:
    """The filter's total counted on the establishment rows.

    `status != 'merged'` cannot be read from an index range, so the count without a status filter is
    "all rows of the filter" minus "its merged rows": both come from index ranges (the first from
    the filter's index, the second from the status index), never from the table itself.
    """
    def counted(filter_, with_merged=False):
        statement = apply_filter(select(func.count()).select_from(Establishment), filter_, with_merged)
        return within_scope(statement, scope).scalar_subquery()

    if wanted.status:
        return select(counted(wanted))
    merged = replace(wanted, status=EstablishmentStatus.merged.value)
    return select(counted(wanted, with_merged=True) - counted(merged))


def page_statement(wanted: "EstablishmentFilter", page: int, per_page: int, scope: set[str] | None = None,
                   columns: tuple | None = None, *, after: str | None = None, before: str | None = None,
                   total: int | None = None, successors: bool = False) -> Select:
    """The rows of one page, ordered by code, read from the filter's index (with `successors`, `columns`
    then the four SUCCESSOR_COLUMNS).

    `after`/`before` (the code the previous page ended with, or the next one started with): the page is
    read from there (keyset), as cheap as page 1 however deep. Else page `page` is skipped to: from the
    end of the list (backwards, see `reads_backwards`) when that is nearer and `total` is known.
    """
    statement, values = page_query(wanted, page, per_page, scope, columns, after=after, before=before, total=total,
                                   successors=successors)
    return statement.params(values)


def page_query(wanted: "EstablishmentFilter", page: int, per_page: int, scope: set[str] | None = None,
               columns: tuple | None = None, *, after: str | None = None, before: str | None = None,
               total: int | None = None, successors: bool = False) -> tuple[Select, dict]:
    """page_statement as a statement and the values to bind (see count_query): for the common lists,
    equalities on district, commune, sector and legal form and a status, a statement built once."""
    first = (page - 1) * per_page
    if after is not None:
        order, bounds = "after", {"cursor": after, "limit": per_page}
    elif before is not None:
        order, bounds = "before", {"cursor": before, "limit": per_page}
    elif reads_backwards(page, per_page, total):
        order, bounds = "backwards", {"offset": max(total - page * per_page, 0), "limit": min(per_page, total - first)}
    else:
        order, bounds = "forwards", {"offset": first, "limit": per_page}
    values = wanted.as_query_args()
    if set(values) <= _EQUALITIES.keys() | {"status"}:
        if scope is not None:
            values["scope"] = sorted(scope)
        return _page_template(tuple(values), values.get("status"), columns, successors, order), values | bounds
    statement = within_scope(apply_filter(select(*columns) if columns else select(Establishment), wanted), scope)
    return _paged(_with_successors(statement) if successors else statement, order), bounds


@functools.lru_cache(maxsize=256)
def _page_template(names: tuple[str, ...], status: str | None, columns: tuple | None, successors: bool,
                   order: str) -> Select:
    """A page of a filter made of `_EQUALITIES` (and a status, and "scope"), the values left to bind:
    built once per combination (the same conditions `apply_filter` and `within_scope` write)."""
    statement = select(*columns) if columns else select(Establishment)
    statement = statement.where(*(_EQUALITIES[name] == bindparam(name) for name in names if name in _EQUALITIES))
    statement = statement.where(*status_conditions(status))
    if "scope" in names:
        statement = statement.where(Establishment.commune_code.in_(bindparam("scope", expanding=True)))
    return _paged(_with_successors(statement) if successors else statement, order)


def _with_successors(statement: Select) -> Select:
    return statement.add_columns(*SUCCESSOR_COLUMNS).outerjoin(
        SUCCESSOR_UNIT, SUCCESSOR_UNIT.c.code == Establishment.commune_code)


def _paged(statement: Select, order: str) -> Select:
    """Ordered by code from a cursor ("after", "before") or by an offset ("forwards", "backwards");
    the bounds are bound parameters (cursor, offset, limit)."""
    limit = bindparam("limit", type_=Integer)
    if order == "after":
        return statement.where(Establishment.code > bindparam("cursor")).order_by(Establishment.code).limit(limit)
    if order == "before":
        return (statement.where(Establishment.code < bindparam("cursor")).order_by(Establishment.code.desc())
                .limit(limit))
    ordered = Establishment.code.desc() if order == "backwards" else Establishment.code
    return statement.order_by(ordered).offset(bindparam("offset", type_=Integer)).limit(limit)


def reads_backwards(page: int, per_page: int, total: int | None, before: str | None = None) -> bool:
    """Whether page_statement reads the page in descending order (the caller turns the rows round)."""
    if before is not None:
        return True
    first = (page - 1) * per_page
    return total is not None and first < total and total - page * per_page < first


def establishments_page(session: Session, wanted: "EstablishmentFilter", page: int, per_page: int,
                        scope: set[str] | None = None, columns: tuple | None = None, *,
                        after: str | None = None, before: str | None = None,
                        successors: bool = False) -> EstablishmentPage:
    """One page of the filtered list, ordered by code, with the total count; `scope` limits communes.

    Rows are Establishment objects, or with `columns` plain rows of those columns (the JSON API:
    no objects to build when they are only read), followed by the four `SUCCESSOR_COLUMNS` with
    `successors`. `after`/`before`: see page_statement (`page` is then the number the page is shown with).
    """
    total = count_establishments(session, wanted, scope)
    if after is not None:
        before = None
    statement, values = page_query(wanted, page, per_page, scope, columns, after=after, before=before, total=total,
                                   successors=successors)
    rows = (list(session.exec(statement, params=values)) if columns is None
            else session.connection().execute(statement, values).all())
    if reads_backwards(page, per_page, None if after is not None else total, before):
        rows.reverse()
    return EstablishmentPage(rows, total, page, per_page)


#: The establishment's commune, for the units after 1 July 2025 it counts in: a page `with successors`
#: reads them in its own statement (an outer join by primary key: one lookup a row, no second query).
SUCCESSOR_UNIT = AdminUnit.__table__.alias("successor_unit")
SUCCESSOR_COLUMNS = (SUCCESSOR_UNIT.c.successor_code, SUCCESSOR_UNIT.c.successor_name,
                     SUCCESSOR_UNIT.c.successor_province_code, SUCCESSOR_UNIT.c.successor_province_name)


_BY_CODE = select(Establishment).where(Establishment.code == bindparam("code"))


def establishment_by_code(session: Session, code: str) -> Establishment | None:
    return session.exec(_BY_CODE, params={"code": code}).first()


def establishments_by_codes(session: Session, codes: list[str]) -> list[Establishment]:
    if not codes:
        return []
    return list(session.exec(select(Establishment).where(Establishment.code.in_(codes))))


def any_demo_establishment(session: Session) -> bool:
    statement = select(Establishment.id).where(Establishment.is_demo == True).limit(1)  # noqa: E712
    return session.exec(statement).first() is not None


def establishment_by_client_uuid(session: Session, client_uuid: str) -> Establishment | None:
    return session.exec(select(Establishment).where(Establishment.client_uuid == client_uuid)).first()
