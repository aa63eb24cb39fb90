"""The common lists run statements built once and bound with each request's values (issue 19, item 1).

A page of equalities (district, commune, sector, legal form, status, an enumerator's communes) and
its tally total reuse one statement per combination; the JSON list reads the 2025 units in the same
statement. What they return must be what the general statements return.
"""
from __future__ import annotations

import orjson
import pytest

from surveyapp.adminunits.queries import successors_by_code
from surveyapp.api import serialize
from surveyapp.establishments import queries
from surveyapp.establishments.filters import EstablishmentFilter
from surveyapp.establishments.queries import apply_filter, within_scope
from surveyapp.models import Establishment
from sqlmodel import func, select

SHAPES = [
    dict(),
    dict(district="947"),
    dict(district="947", sector="C10"),
    dict(commune="31498", legal_form="household_business"),
    dict(sector="C10", status="active"),
    dict(district="941", status="merged"),
]


def general_codes(session, wanted, scope=None) -> list[str]:
    """The filter's codes from apply_filter, the statement every other filter uses."""
    statement = within_scope(apply_filter(select(Establishment.code), wanted), scope).order_by(Establishment.code)
    return list(session.exec(statement))


@pytest.mark.parametrize("arguments", SHAPES)
@pytest.mark.parametrize("scope", [None, {"31498", "31501", "31582"}, set()])
def test_prepared_pages_hold_the_rows_of_the_general_statement(demo_session, arguments, scope):
    wanted = EstablishmentFilter(**arguments)
    expected = general_codes(demo_session, wanted, scope)
    assert queries.count_establishments(demo_session, wanted, scope) == len(expected)
    for page in (1, 2, 3, max(1, -(-len(expected) // 20))):  # forwards, and the last ones read backwards
        rows = queries.establishments_page(demo_session, wanted, page, 20, scope).rows
        assert [row.code for row in rows] == expected[(page - 1) * 20:page * 20]
    if len(expected) > 25:
        after = queries.establishments_page(demo_session, wanted, 2, 20, scope, after=expected[4]).rows
        before = queries.establishments_page(demo_session, wanted, 1, 20, scope, before=expected[25]).rows
        assert [row.code for row in after] == expected[5:25]
        assert [row.code for row in before] == expected[5:25]


def test_one_statement_serves_every_value_of_a_combination(demo_session):
    columns = serialize.ESTABLISHMENT_COLUMNS
    first, first_values = queries.page_query(EstablishmentFilter(district="947", sector="C10"), 1, 50, None, columns)
    other, other_values = queries.page_query(EstablishmentFilter(district="941", sector="C16"), 4, 50, None, columns)
    assert first is other
    assert (first_values["district"], other_values["district"], other_values["offset"]) == ("947", "941", 150)
    count, _ = queries.count_query(EstablishmentFilter(district="947", sector="C10"))
    assert count is queries.count_query(EstablishmentFilter(district="950", sector="C25"))[0]
    searched, values = queries.page_query(EstablishmentFilter(q="banh pia"), 1, 50)
    assert "cursor" not in values and values["limit"] == 50  # a search builds its own statement


def test_count_statement_and_page_statement_still_compile_with_their_values():
    wanted = EstablishmentFilter(district="947", sector="C10")
    total = str(queries.count_statement(wanted, {"31582"}).compile(compile_kwargs={"literal_binds": True}))
    page = str(queries.page_statement(wanted, 3, 50).compile(compile_kwargs={"literal_binds": True}))
    assert "'947'" in total and "'31582'" in total and "establishment_tally" in total
    assert "'947'" in page and "'C10'" in page and "OFFSET 100" in page


def test_the_json_list_is_what_each_establishment_says(demo_app, demo_client, demo_session):
    """Each row of the list (read with its 2025 units in one statement) equals the object's own JSON."""
    answer = demo_client.get("/api/v1/establishments?sector=C10&per_page=500&page=2")
    assert answer.status_code == 200
    listed = answer.json["establishments"]
    codes = [row["code"] for row in listed]
    objects = {e.code: e for e in demo_session.exec(select(Establishment).where(Establishment.code.in_(codes)))}
    successors = successors_by_code(demo_session, {e.commune_code for e in objects.values()})
    assert len(listed) == 500 and any(row["commune_code_2025"] for row in listed)
    for row in listed:
        establishment = objects[row["code"]]
        assert row == serialize.establishment_json(establishment, successors.get(establishment.commune_code))
    assert answer.json["total"] == demo_session.exec(
        select(func.count()).select_from(Establishment).where(Establishment.sector == "C10",
                                                              Establishment.status != "merged")).one()


def test_a_commune_without_a_successor_lists_none_with_sorted_keys(client, add_establishment, session):
    from surveyapp.models import AdminUnit

    unit = session.get(AdminUnit, "31498")
    unit.successor_code = unit.successor_name = unit.successor_province_code = unit.successor_province_name = None
    session.add(unit)
    session.commit()
    add_establishment(name="Cơ sở không có xã mới", commune_code="31498")
    answer = client.get("/api/v1/establishments?commune=31498")
    row = answer.json["establishments"][0]
    assert [row[key] for key in ("commune_code_2025", "commune_name_2025", "province_code_2025",
                                 "province_name_2025")] == [None, None, None, None]
    assert answer.data == orjson.dumps(orjson.loads(answer.data), option=orjson.OPT_SORT_KEYS)


def test_bad_filter_values_are_still_refused(client):
    bad = client.get("/api/v1/establishments?district=999&sector=C10&page=0")
    assert bad.status_code == 400
    refused = client.get("/api/v1/establishments?district=947&after=not%20a%20code")
    assert refused.status_code == 400 and refused.json["error"]["details"] == {"argument": "after"}
