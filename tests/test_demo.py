"""The synthetic census: reproducible, plausible, inside the province, clearly marked."""
from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import text
from sqlmodel import select

from surveyapp.db import session_scope
from surveyapp.demo.generator import DemoError, generate_demo_census, remove_demo_data
from surveyapp.models import Establishment, SurveyRecord, SurveyRound

from .conftest import DEMO_SIZE, build_app, dispose, shared_file

SNAPSHOT_COLUMNS = ("code, name, owner, legal_form, tax_code, phone, year_started, vsic_code, sector, address, "
                    "commune_code, lat, lon, workers, revenue_vnd, capital_vnd, latest_round_code, "
                    "latest_record_status, created_at")


def _snapshot(app) -> tuple[list, list]:
    with app.app_context(), session_scope(app) as session:
        establishments = session.execute(text(f"SELECT {SNAPSHOT_COLUMNS} FROM establishment ORDER BY code")).all()
        records = session.execute(text(
            "SELECT e.code, r.uuid, r.status, r.submitted_at, r.approved_at, s.code FROM survey_record r "
            "JOIN establishment e ON e.id = r.establishment_id JOIN survey_round s ON s.id = r.round_id "
            "ORDER BY e.code")).all()
    return [tuple(row) for row in establishments], [tuple(row) for row in records]


def _demo_database(databases, template_url, seed: int, size: int = 400):
    url = databases.copy(template_url)
    app = build_app(url)
    with app.app_context(), session_scope(app) as session:
        generate_demo_census(session, "94", size, seed=seed)
    return app, url


def test_same_seed_same_data_other_seed_other_data(databases, template_url):
    first, first_url = _demo_database(databases, template_url, seed=7)
    again, again_url = _demo_database(databases, template_url, seed=7)
    other, other_url = _demo_database(databases, template_url, seed=8)
    try:
        assert _snapshot(first) == _snapshot(again)
        assert _snapshot(first)[0] != _snapshot(other)[0]
    finally:
        for app, url in ((first, first_url), (again, again_url), (other, other_url)):
            dispose(app)
            databases.drop(url)


def test_demo_census_shape(demo_session):
    rows = demo_session.exec(select(Establishment)).all()
    assert len(rows) == DEMO_SIZE
    assert all(row.is_demo for row in rows)
    assert {row.district_code for row in rows} == {str(code) for code in range(941, 952)}
    assert len({row.commune_code for row in rows}) >= 100
    assert len({row.code for row in rows}) == DEMO_SIZE
    assert all(row.code.startswith(f"94-{row.district_code}-") for row in rows)

    sectors = Counter(row.sector for row in rows)
    assert sectors.most_common(1)[0][0] == "C10"  # food processing dominates rural industry
    assert sectors["C10"] / DEMO_SIZE > 0.4
    forms = Counter(row.legal_form for row in rows)
    assert forms["household_business"] + forms["household"] > 0.7 * DEMO_SIZE
    assert set(forms) == {"household_business", "household", "enterprise", "cooperative", "cooperative_group"}

    workers = sorted(row.workers for row in rows)
    assert workers[0] >= 1 and workers[len(workers) // 2] <= 10 and workers[-1] >= 50  # right-skewed
    revenue = sorted(row.revenue_vnd for row in rows)
    assert revenue[0] > 0 and all(v % 1_000_000 == 0 for v in revenue)
    assert revenue[-1] > 20 * revenue[len(revenue) // 2]


def test_demo_rounds_census_and_supplement(demo_session):
    rounds = {r.code: r for r in demo_session.exec(select(SurveyRound))}
    assert set(rounds) == {"2018", "2019"}
    per_round = Counter(r.round_id for r in demo_session.exec(select(SurveyRecord)))
    assert per_round[rounds["2018"].id] + per_round[rounds["2019"].id] == DEMO_SIZE
    assert per_round[rounds["2018"].id] > 4 * per_round[rounds["2019"].id]
    records = demo_session.exec(select(SurveyRecord)).all()
    assert Counter(r.status for r in records)["approved"] > 0.95 * DEMO_SIZE
    for record in records[:200]:
        survey_round = rounds["2018"] if record.round_id == rounds["2018"].id else rounds["2019"]
        assert survey_round.start_date <= record.submitted_at.date() <= survey_round.end_date


def test_demo_points_lie_inside_the_province(demo_session):
    from shapely.geometry import Point, shape
    from shapely.ops import unary_union

    collection = json.loads(shared_file("geo/soc_trang_districts.geojson").read_text(encoding="utf-8"))
    districts = {str(f["properties"]["level2_id"]): shape(f["geometry"]) for f in collection["features"]}
    province = unary_union(list(districts.values())).buffer(0.002)  # ~200 m for the coarse coastline
    rows = demo_session.exec(select(Establishment)).all()
    outside = [row.code for row in rows if not province.contains(Point(row.lon, row.lat))]
    assert outside == []
    wrong_district = [row.code for row in rows if not districts[row.district_code].buffer(0.01).contains(Point(row.lon, row.lat))]
    assert len(wrong_district) < 0.01 * len(rows)


def test_demo_refuses_a_registry_that_has_data(session, add_establishment):
    add_establishment(name="Cơ sở thật")
    with pytest.raises(DemoError, match="already holds establishments"):
        generate_demo_census(session, "94", 10, seed=1)


def test_demo_needs_admin_units(session):
    with pytest.raises(DemoError, match="admin-units load"):
        generate_demo_census(session, "01", 10, seed=1)


def test_remove_demo_data_keeps_real_data(session, add_establishment):
    generate_demo_census(session, "94", 50, seed=3)
    session.commit()
    assert remove_demo_data(session) == 50
    session.commit()
    real = add_establishment(name="Cơ sở thật")
    assert [e.code for e in session.exec(select(Establishment))] == [real.code]
    assert session.exec(select(SurveyRound)).all() == []


def test_demo_cli(runner, session):
    result = runner.invoke(args=["demo", "--establishments", "120", "--seed", "5"])
    assert result.exit_code == 0, result.output
    assert "120 establishments in province 94" in result.output
    again = runner.invoke(args=["demo", "--establishments", "120"])
    assert again.exit_code != 0 and "already holds establishments" in again.output
    replaced = runner.invoke(args=["demo", "--establishments", "80", "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert "Removed 120 synthetic establishments" in replaced.output
    assert len(session.exec(select(Establishment)).all()) == 80


def test_demo_cli_rejects_bad_sizes(runner):
    result = runner.invoke(args=["demo", "--establishments", "0"])
    assert result.exit_code == 2 and "0" in result.output
    result = runner.invoke(args=["demo", "--establishments", "many"])
    assert result.exit_code == 2


def test_demo_cli_copies_a_generated_base_for_large_sizes(runner, session):
    result = runner.invoke(args=["demo", "--establishments", "15000"])
    assert result.exit_code == 0, result.output
    assert "15000 establishments in province 94" in result.output
    codes = session.exec(select(Establishment.code)).all()
    assert len(codes) == len(set(codes)) == 15_000
    assert all(len(code) == 13 for code in codes)  # 94-941-000123: six-digit sequence numbers stay six digits
    records = session.exec(select(SurveyRecord)).all()
    assert len(records) == 15_000 and len({r.uuid for r in records}) == 15_000
    assert len({r.establishment_id for r in records}) == 15_000
    from surveyapp.establishments.filters import EstablishmentFilter
    from surveyapp.establishments.queries import count_establishments

    searched = count_establishments(session, EstablishmentFilter(q="banh"))  # the search index was rebuilt
    assert searched == len(session.exec(select(Establishment.id).where(Establishment.search_text.contains("banh"))).all()) > 0
    refused = runner.invoke(args=["demo", "--establishments", "12345", "--replace"])
    assert refused.exit_code != 0 and "multiple of 5,000" in refused.output
    assert len(session.exec(select(Establishment.code)).all()) == 15_000  # nothing changed
