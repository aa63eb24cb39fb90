"""The synthetic census: reproducible, plausible, inside the province, clearly marked."""
from __future__ import annotations

import json
from collections import Counter

import pytest
from sqlalchemy import text
from sqlmodel import select

from surveyapp.db import session_scope
from surveyapp.demo.generator import DemoError, generate_demo_census
from surveyapp.demo.removal import remove_demo_data
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


# --- `demo --replace` on a registry that has been used: `make run`, merges, reviews, imports, real data ---

REAL_ROWS = """SELECT code, name, owner, commune_code, status, merged_into_id, workers, latest_round_code,
       latest_record_status FROM establishment WHERE NOT is_demo ORDER BY code"""
REAL_RECORDS = """SELECT e.code, r.uuid, r.status, r.is_current, r.version_number, s.code FROM survey_record r
       JOIN establishment e ON e.id = r.establishment_id JOIN survey_round s ON s.id = r.round_id
       WHERE NOT e.is_demo ORDER BY r.uuid"""
REAL_PROMOTION = """SELECT p.code, p.title, p.state_support_vnd, e.code, s.state_support_vnd,
       s.beneficiary_contribution_vnd FROM support s JOIN promotion_project p ON p.id = s.project_id
       JOIN establishment e ON e.id = s.establishment_id WHERE NOT e.is_demo ORDER BY p.code, e.code"""


def _real_data(session) -> dict:
    """Every real (non-demo) establishment, its records and its support, as plain tuples."""
    session.expire_all()
    data = {name: [tuple(row) for row in session.execute(text(sql))]
            for name, sql in (("establishments", REAL_ROWS), ("records", REAL_RECORDS), ("support", REAL_PROMOTION))}
    session.rollback()  # an open read would hold back the large demo's index rebuild on PostgreSQL
    return data


def _setup(runner, size: int = 300) -> None:
    """What `make run` does on a new installation: demo census, promotion demo, demo accounts."""
    result = runner.invoke(args=["setup", "--demo-establishments", str(size)])
    assert result.exit_code == 0, result.output


def _replace(runner, size: int = 200, seed: int = 3):
    result = runner.invoke(args=["demo", "--establishments", str(size), "--seed", str(seed), "--replace"])
    assert result.exit_code == 0, result.output
    assert f"{size} establishments in province 94" in result.output
    return result


def _demo_codes(session, commune_codes=None) -> list[str]:
    statement = select(Establishment.code).where(Establishment.is_demo == True)  # noqa: E712
    if commune_codes:
        statement = statement.where(Establishment.commune_code.in_(commune_codes))
    codes = list(session.exec(statement.order_by(Establishment.code)))
    session.rollback()
    return codes


def _round(session, code: str) -> SurveyRound:
    return session.exec(select(SurveyRound).where(SurveyRound.code == code)).one()


def _add_real(session, name: str, commune_code: str = "31498", **values) -> Establishment:
    from surveyapp.establishments.services import register_establishment

    establishment = register_establishment(session, name=name, commune_code=commune_code, vsic_code="1071",
                                           legal_form="household_business", **values)
    session.commit()
    return establishment


def _add_record(session, establishment: Establishment, round_code: str, status: str = "approved") -> SurveyRecord:
    record = SurveyRecord(establishment_id=establishment.id, round_id=_round(session, round_code).id,
                          answers={"establishment_name": establishment.name}, questionnaire_id="cnnt-2019",
                          questionnaire_version="1", status=status)
    session.add(record)
    session.commit()
    return record


def _add_real_support(session, establishment_code: str, project_code: str = "KCĐP-2021-01", amount: int = 50_000_000):
    from surveyapp.promotion.services import add_support, save_project

    save_project(session, code=project_code, title="Đề án thật", year=2021, level="local", activity="machinery",
                 state_support_vnd=amount, beneficiary_contribution_vnd=amount)
    add_support(session, project_code=project_code, establishment_code=establishment_code, state_support_vnd=amount,
                beneficiary_contribution_vnd=amount)
    session.commit()


def test_replace_after_setup_keeps_the_demo_accounts_working(runner, session):
    from surveyapp.accounts.queries import assigned_communes
    from surveyapp.accounts.services import user_by_username

    _setup(runner)
    enumerator = user_by_username(session, "dieutra")
    communes = assigned_communes(session, enumerator.id)
    open_round = _round(session, "2019")
    _replace(runner, size=400)
    session.expire_all()
    assert len(_demo_codes(session)) == 400
    assert assigned_communes(session, enumerator.id) == communes
    assert _round(session, "2019").id == open_round.id and _round(session, "2019").is_open
    records_2019 = session.exec(select(SurveyRecord).where(SurveyRecord.round_id == open_round.id)).all()
    assert records_2019  # the new supplement's records are in the round the accounts are assigned to
    again = runner.invoke(args=["demo", "--establishments", "150", "--replace"])  # and once more
    assert again.exit_code == 0, again.output
    assert "Removed 400 synthetic establishments" in again.output


def test_replace_drops_a_demo_round_nothing_points_at(runner, session):
    _setup(runner)
    session.add(SurveyRound(code="2017", title="Thử nghiệm (mô phỏng)", is_demo=True))
    session.commit()
    _replace(runner)
    session.expire_all()
    assert {r.code for r in session.exec(select(SurveyRound))} == {"2018", "2019"}


def test_replace_after_an_enumerator_saved_and_a_supervisor_reviewed(runner, session, app):
    from surveyapp.accounts.queries import assigned_communes
    from surveyapp.accounts.services import user_by_username
    from surveyapp.demo.generator import ROUNDS
    from surveyapp.review.services import return_record

    from .conftest import login
    from .test_survey import minimal_submission, post_record

    _setup(runner)
    communes = sorted(assigned_communes(session, user_by_username(session, "dieutra").id))
    real = _add_real(session, "Cơ sở Bánh Pía Tân Huê Viên", commune_code=communes[0])
    enumerator = login(app.test_client(), "dieutra")
    assert post_record(enumerator, real.code, minimal_submission(), "submit").status_code == 302
    record = session.exec(select(SurveyRecord).where(SurveyRecord.establishment_id == real.id)).one()
    supervisor = login(app.test_client(), "giamsat")
    assert supervisor.post(f"/review/records/{record.uuid}/approve", data={"comment": "Đạt"}).status_code == 302
    demo_submitted = session.exec(select(SurveyRecord).where(SurveyRecord.status == "submitted")).first()
    if demo_submitted is not None:
        return_record(session, demo_submitted, user_by_username(session, "giamsat").id, "Bổ sung số lao động")
        session.commit()
    before = _real_data(session)
    assert before["records"][0][2] == "approved" and before["records"][0][-1] == ROUNDS[1].code

    _replace(runner)
    assert _real_data(session) == before
    queue = supervisor.get("/review")
    assert queue.status_code == 200


def test_replace_after_merges_undoes_mixed_merges_and_keeps_real_rows(runner, session):
    from surveyapp.duplicates.services import mark_not_duplicate, merge
    from surveyapp.models import DuplicateDecision, EstablishmentMerge

    _setup(runner)
    demo = _demo_codes(session)
    first_real = _add_real(session, "Cơ sở thật Một", owner="Lâm Văn A")
    second_real = _add_real(session, "Cơ sở thật Hai", owner="Lâm Văn B")
    third_real = _add_real(session, "Cơ sở thật Ba", owner="Lâm Văn C")
    fourth_real = _add_real(session, "Cơ sở thật Bốn", owner="Lâm Văn D")
    _add_record(session, first_real, "2019")
    _add_record(session, second_real, "2018")
    _add_record(session, fourth_real, "2019")
    _add_real_support(session, first_real.code)
    merge(session, third_real.code, fourth_real.code, actor_id=None)  # real into real: stays merged
    session.commit()
    before = _real_data(session)

    merge(session, demo[0], demo[1], actor_id=None)  # demo into demo
    merge(session, demo[2], first_real.code, actor_id=None)  # real into demo: its record and support move
    merge(session, second_real.code, demo[3], actor_id=None)  # demo into real: the demo record moves
    mark_not_duplicate(session, demo[4], second_real.code, actor_id=None)
    mark_not_duplicate(session, first_real.code, second_real.code, actor_id=None)
    session.commit()
    moved = _real_data(session)
    assert moved != before  # the mixed merges moved real rows

    _replace(runner)
    assert _real_data(session) == before
    pairs = {(d.code_a, d.code_b, d.decision) for d in session.exec(select(DuplicateDecision))}
    assert pairs == {tuple(sorted((first_real.code, second_real.code))) + ("not_duplicate",),
                     tuple(sorted((third_real.code, fourth_real.code))) + ("merged",)}
    merges = session.exec(select(EstablishmentMerge)).all()
    assert [(m.survivor_id, m.merged_id, m.reverted_at) for m in merges] == [(third_real.id, fourth_real.id, None)]
    assert session.exec(select(Establishment).where(Establishment.is_demo == True,  # noqa: E712
                                                    Establishment.status == "merged")).all() == []


def test_replace_refuses_when_a_real_merge_followed_a_mixed_one(runner, session):
    from surveyapp.duplicates.services import merge

    _setup(runner)
    demo = _demo_codes(session)
    survivor = _add_real(session, "Cơ sở thật Một")
    later = _add_real(session, "Cơ sở thật Hai")
    merge(session, survivor.code, demo[0], actor_id=None)  # demo into real
    merge(session, later.code, survivor.code, actor_id=None)  # then that real one into another real one
    session.commit()
    result = runner.invoke(args=["demo", "--establishments", "200", "--replace"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert survivor.code in result.output and later.code in result.output
    assert len(_demo_codes(session)) == 300  # nothing changed


def _import_real(runner, tmp_path, rows: list[list], *options) -> None:
    from .test_imports import csv_file

    path = csv_file(tmp_path, rows)
    result = runner.invoke(args=["import", str(path), *options])
    assert result.exit_code == 0, result.output


REAL_FILE = [
    ["", "Cơ sở Nước mắm Hai Thành", "Trần Văn Hai", "31498", "1079", "household_business", "9.60", "105.97", "3",
     "400000000"],
    ["", "HTX Dệt chiếu Định Hòa", "Thạch Thị Sa", "31501", "1329", "cooperative", "", "", "14", "2100000000"],
    ["94-947-000777", "Công ty TNHH Cơ khí Mekong", "Lý Quốc Hùng", "31690", "2592", "enterprise", "", "", "25",
     "9000000000"],
]


def test_replace_after_an_import_keeps_real_rows_and_their_codes(runner, session, tmp_path):
    _setup(runner)
    _import_real(runner, tmp_path, REAL_FILE, "--round", "2019")
    real_codes = [row[0] for row in _real_data(session)["establishments"]]
    _add_real_support(session, real_codes[0])
    before = _real_data(session)
    assert len(before["establishments"]) == 3 and len(before["records"]) == 3 and len(before["support"]) == 1

    _replace(runner, size=1200, seed=3)
    assert _real_data(session) == before
    codes = session.exec(select(Establishment.code)).all()
    assert len(codes) == len(set(codes)) == 1203
    real_by_district = {}
    for code in real_codes:
        real_by_district.setdefault(code[:7], []).append(int(code[7:]))
    for code in _demo_codes(session):  # each district's synthetic codes come after its real ones
        assert int(code[7:]) > max(real_by_district.get(code[:7], [0]))
    records = session.exec(select(SurveyRecord.establishment_id)).all()
    assert len(set(records)) == 1203  # each has its record; most synthetic 2018 ones a 2019 revisit too
    assert len(records) > 1203 + 600


def test_replace_with_a_large_size_copies_only_synthetic_rows(runner, session, tmp_path):
    _setup(runner, size=100)
    _import_real(runner, tmp_path, REAL_FILE, "--round", "2019")
    before = _real_data(session)

    _replace(runner, size=10_000, seed=3)
    assert _real_data(session) == before
    assert len(_demo_codes(session)) == 10_000
    codes = session.exec(select(Establishment.code)).all()
    assert len(codes) == len(set(codes)) == 10_003 and all(len(code) == 13 for code in codes)
    records = session.exec(select(SurveyRecord.establishment_id)).all()
    assert len(records) == len(set(records)) == 10_003


def test_a_failed_replace_leaves_the_database_as_it_was(runner, session):
    _setup(runner)
    _add_real(session, "Cơ sở thật cuối dãy số", code="94-941-999998")
    demo_before = _demo_codes(session)
    real_before = _real_data(session)
    result = runner.invoke(args=["demo", "--establishments", "300", "--replace"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "94-941" in result.output
    assert _demo_codes(session) == demo_before and _real_data(session) == real_before


def test_plain_demo_on_a_used_registry_points_at_replace(runner, session):
    _setup(runner, size=50)
    result = runner.invoke(args=["demo", "--establishments", "50"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "--replace" in result.output


def test_replace_alongside_real_data_only(runner, session):
    real = _add_real(session, "Cơ sở thật")
    _replace(runner, size=120)
    assert len(_demo_codes(session)) == 120
    assert [row[0] for row in _real_data(session)["establishments"]] == [real.code]


def test_replace_leaves_a_real_project_with_a_demo_code_alone(runner, session):
    from surveyapp.models import PromotionProject
    from surveyapp.promotion.services import save_project

    save_project(session, code="KC-2012-001", title="Đề án thật của Trung tâm", year=2015, level="local",
                 activity="training", state_support_vnd=1_000_000, beneficiary_contribution_vnd=0)
    session.commit()
    _setup(runner, size=50)
    _replace(runner, size=50)
    session.expire_all()
    real = session.exec(select(PromotionProject).where(PromotionProject.is_demo == False)).all()  # noqa: E712
    assert [(p.code, p.title, p.year, p.state_support_vnd) for p in real] == [
        ("KC-2012-001", "Đề án thật của Trung tâm", 2015, 1_000_000)]
    demo = session.exec(select(PromotionProject).where(PromotionProject.is_demo == True)).all()  # noqa: E712
    assert len(demo) == 223 and "KC-2012-001-MP" in {p.code for p in demo}
