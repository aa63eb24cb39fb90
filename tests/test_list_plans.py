"""Every list filter is answered from an index (EXPLAIN), and the search box's trigram index stays current.

The plans are read on the demo census with promotion data, after ANALYZE, on the backend the suite
runs on. On PostgreSQL sequential scans (and the hash and merge joins that read a whole side) are
switched off for the EXPLAIN: on a few thousand rows a scan is cheaper and would be chosen anyway;
with them off, a scan without an index condition can only mean that no index serves the filter.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, inspect, text
from sqlmodel import select

from surveyapp.db import get_engine, session_scope
from surveyapp.demo.generator import generate_demo_census
from surveyapp.demo.promotion import generate_promotion_demo
from surveyapp.establishments import queries, search_index
from surveyapp.establishments.filters import EstablishmentFilter
from surveyapp.models import PromotionProject

from .conftest import PROVINCE, build_app, dispose

#: One filter at a time (and the two combinations the indexes are made for).
FILTERS = {
    "district": dict(district="947"), "commune": dict(commune="31498"), "sector": dict(sector="C10"),
    "legal_form": dict(legal_form="enterprise"), "status": dict(status="closed"),
    "status merged": dict(status="merged"), "gps_mismatch": dict(gps_mismatch="1"), "round": dict(round="2019"),
    "q": dict(q="banh pia"), "q one word": dict(q="tre"), "supported": dict(supported="1"),
    "certificate_level": dict(certificate_level="provincial"), "ocop_min_stars": dict(ocop_min_stars="3"),
    "district + sector": dict(district="947", sector="C10"), "commune + sector": dict(commune="31498", sector="C10"),
}
SQLITE_FULL_SCAN = re.compile(r"\bSCAN establishment\b(?!_)")


@pytest.fixture(scope="module")
def analysed_app(databases, template_url):
    url = databases.copy(template_url)
    app = build_app(url)
    with app.app_context(), session_scope(app) as session:
        generate_demo_census(session, PROVINCE, 3209, seed=1)
        generate_promotion_demo(session, seed=1)
    with get_engine(app).begin() as connection:
        connection.execute(text("ANALYZE"))
    yield app
    dispose(app)
    databases.drop(url)


def full_scans(connection, statement) -> list[str]:
    """The plan's reads of the whole establishment table or of a whole index of it (empty: none)."""
    sql = str(statement.compile(connection, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "sqlite":
        lines = [row[-1] for row in connection.execute(text("EXPLAIN QUERY PLAN " + sql))]
        return [line for line in lines if SQLITE_FULL_SCAN.search(line)]
    for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin"):
        connection.execute(text(f"SET LOCAL {setting} = off"))
    document = connection.execute(text("EXPLAIN (FORMAT JSON) " + sql)).scalar()
    inspector = inspect(connection)
    own_indexes = {index["name"] for index in inspector.get_indexes("establishment")} | {
        "establishment_pkey", *(c["name"] for c in inspector.get_unique_constraints("establishment"))}
    return [f"{node['Node Type']} {node.get('Index Name', '')}" for node in _nodes(document[0]["Plan"])
            if node.get("Relation Name") == "establishment" and "Index Cond" not in node
            and node["Node Type"] != "Bitmap Heap Scan"  # its Bitmap Index Scans carry the conditions
            or node.get("Index Name") in own_indexes and "Index Cond" not in node]


def _nodes(node: dict):
    yield node
    for child in node.get("Plans", []):
        yield from _nodes(child)


def statements(connection, wanted) -> list:
    """The count on every backend; the page too on SQLite (PostgreSQL may rightly prefer reading the
    code index in order and stopping after 50 rows when the filter matches many)."""
    if connection.dialect.name == "sqlite":
        return [queries.page_statement(wanted, 1, 50), queries.count_statement(wanted)]
    return [queries.count_statement(wanted)]


@pytest.mark.parametrize("name", list(FILTERS))
def test_each_list_filter_uses_an_index(analysed_app, name):
    wanted = EstablishmentFilter(**FILTERS[name])
    with get_engine(analysed_app).connect() as connection:
        for statement in statements(connection, wanted):
            assert not full_scans(connection, statement)


def test_a_project_filter_uses_an_index(analysed_app):
    with session_scope(analysed_app) as session:
        code = session.exec(select(PromotionProject.code)).first()
    wanted = EstablishmentFilter(project=code)
    with get_engine(analysed_app).connect() as connection:
        for statement in statements(connection, wanted):
            assert not full_scans(connection, statement)


def test_the_plan_check_catches_a_full_scan(analysed_app):
    """The check itself: a filter on a column no index starts with is reported."""
    from surveyapp.models import Establishment

    statement = select(func.count()).select_from(Establishment).where(Establishment.year_started > 1990)
    with get_engine(analysed_app).connect() as connection:
        assert full_scans(connection, statement)


def test_search_finds_words_anywhere_ignoring_diacritics_and_follows_edits(session, add_establishment):
    pia = add_establishment(name="Cơ sở Bánh Pía Tân Huê Viên", owner="Đặng Thị Út")
    add_establishment(name="Cơ sở Bánh Tráng", owner="Lê Văn Pía")
    add_establishment(name="HTX Đan lát tre", address="Ấp Phú Thứ")

    def found(q):
        page = queries.establishments_page(session, EstablishmentFilter(q=q), 1, 50)
        assert page.total == len(page.rows)
        return sorted(e.name for e in page.rows)

    assert found("banh pia") == ["Cơ sở Bánh Pía Tân Huê Viên", "Cơ sở Bánh Tráng"]  # pia: a name or an owner
    assert found("BÁNH tân huê") == ["Cơ sở Bánh Pía Tân Huê Viên"]
    assert found("co so") == ["Cơ sở Bánh Pía Tân Huê Viên", "Cơ sở Bánh Tráng"]  # short words: no trigram
    assert found("phu thu") == ["HTX Đan lát tre"]
    assert found('pia"') == [] and found("100%") == [] and found("a_b") == []  # quotes and wildcards are text
    pia.name = "Cơ sở Kẹo Dừa"
    pia.search_text = "co so keo dua | dang thi ut"
    session.add(pia)
    session.commit()
    assert found("banh pia") == ["Cơ sở Bánh Tráng"] and found("keo dua") == ["Cơ sở Kẹo Dừa"]
    session.delete(pia)
    session.commit()
    assert found("keo dua") == []


def test_the_search_index_exists_after_the_migrations(app):
    """SQLite: the FTS5 table and its three triggers; PostgreSQL: the pg_trgm GIN index."""
    engine = get_engine(app)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert search_index.installed_triggers(connection) == {
                "establishment_search_insert", "establishment_search_delete", "establishment_search_update"}
            assert connection.execute(text(f"SELECT count(*) FROM {search_index.FTS_TABLE}")).scalar() >= 0
        else:
            names = {index["name"] for index in inspect(connection).get_indexes("establishment")}
            assert search_index.PG_INDEX in names
