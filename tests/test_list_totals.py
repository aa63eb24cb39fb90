"""List totals come from the maintained tally where a filter allows it, and the tally stays exact (issue 19)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, text
from sqlmodel import select

from surveyapp.db import get_engine, session_scope
from surveyapp.demo.scale import build_large_registry
from surveyapp.establishments import queries, tally
from surveyapp.establishments.filters import EstablishmentFilter
from surveyapp.models import Establishment

from .conftest import PROVINCE

#: Filters the tally answers, alone and combined.
TALLIED = [dict(), dict(district="947"), dict(commune="31498"), dict(sector="C10"), dict(legal_form="enterprise"),
           dict(status="closed"), dict(status="merged"), dict(status="active"), dict(district="947", sector="C10"),
           dict(commune="31498", sector="C10"), dict(district="941", legal_form="household_business", status="active")]
#: Filters it cannot split by: counted from the rows.
COUNTED = [dict(q="banh"), dict(gps_mismatch="1"), dict(round="2019"), dict(district="947", q="co so")]


def exact_total(session, wanted: EstablishmentFilter, scope=None) -> int:
    return session.exec(queries.counted_rows_statement(wanted, scope)).one()


def compiled(statement) -> str:
    return str(statement.compile(compile_kwargs={"literal_binds": True}))


@pytest.mark.parametrize("arguments", TALLIED + COUNTED)
def test_every_total_equals_the_rows_it_counts(demo_session, arguments):
    wanted = EstablishmentFilter(**arguments)
    assert queries.count_establishments(demo_session, wanted) == exact_total(demo_session, wanted)
    scope = {"31498", "31501", "31504"}
    assert queries.count_establishments(demo_session, wanted, scope) == exact_total(demo_session, wanted, scope)
    assert queries.count_establishments(demo_session, wanted, set()) == 0


@pytest.mark.parametrize("arguments", TALLIED)
def test_tallied_totals_read_no_establishment_row(arguments):
    sql = compiled(queries.count_statement(EstablishmentFilter(**arguments), {"31498"}))
    assert tally.TABLE in sql
    assert "FROM establishment " not in sql + " " and "FROM establishment\n" not in sql


@pytest.mark.parametrize("arguments", COUNTED)
def test_other_filters_count_the_rows(arguments):
    assert tally.TABLE not in compiled(queries.count_statement(EstablishmentFilter(**arguments)))


def tally_by_key(session) -> dict:
    rows = session.execute(text(f"SELECT {', '.join(tally.KEYS)}, n FROM {tally.TABLE} WHERE n != 0")).all()
    return {tuple(row[:-1]): row[-1] for row in rows}


def counted_by_key(session) -> dict:
    columns = [getattr(Establishment, key) for key in tally.KEYS]
    rows = session.exec(select(*columns, func.count()).group_by(*columns)).all()
    return {tuple(row[:-1]): row[-1] for row in rows}


def test_the_tally_follows_inserts_updates_and_deletes(session, add_establishment):
    first = add_establishment(name="Cơ sở Một", vsic_code="1071")
    second = add_establishment(name="Cơ sở Hai", vsic_code="1610", legal_form="enterprise")
    add_establishment(name="Cơ sở Ba", commune_code="31501")
    assert tally_by_key(session) == counted_by_key(session) and sum(tally_by_key(session).values()) == 3
    first.status = "merged"
    second.sector, second.vsic_code = "C25", "2511"
    session.add_all([first, second])
    session.commit()
    second.name = "Cơ sở Hai mới"  # a change of no counted column leaves the tally alone
    session.add(second)
    session.commit()
    assert tally_by_key(session) == counted_by_key(session)
    assert queries.count_establishments(session, EstablishmentFilter()) == 2  # merged left out
    assert queries.count_establishments(session, EstablishmentFilter(status="merged")) == 1
    session.delete(first)
    session.commit()
    assert tally_by_key(session) == counted_by_key(session)
    assert queries.count_establishments(session, EstablishmentFilter(sector="C25")) == 1


def test_a_bulk_load_counts_once_at_the_end(app):
    with app.app_context(), session_scope(app) as session:
        build_large_registry(session, PROVINCE, 400)
    with session_scope(app) as session:
        assert tally_by_key(session) == counted_by_key(session)
        assert sum(tally_by_key(session).values()) == 400


def test_the_tally_and_its_triggers_exist_after_the_migrations(app):
    with get_engine(app).connect() as connection:
        assert tally.installed_triggers(connection) == set(tally._triggers(connection))
