"""Duplicate establishments by probabilistic record linkage: the independent labelled set, evidence
weighed (not one signal deciding), reasons in words, EM training, the CLI and page, portability."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from surveyapp.duplicates import linkage, training
from surveyapp.duplicates.explain import contribution_text

LABELLED = Path(__file__).with_name("data") / "duplicate_pairs.json"
HARD_NEGATIVES = {"one_syllable_apart", "market_row_neighbours", "one_owner_two_businesses", "siblings_one_phone",
                  "same_family_other_owner", "same_name_other_district"}
HARD_DUPLICATES = {"no_diacritics", "abbreviation", "swapped_owner_name", "moved_next_commune",
                   "re_registered_enterprise", "typo", "household_plain", "mixed"}


@pytest.fixture(scope="module")
def background():
    return training.demo_rows()


def test_labelled_set_is_large_hard_and_half_duplicates():
    data = json.loads(LABELLED.read_text(encoding="utf-8"))
    pairs = data["pairs"]
    cases = Counter(p["case"] for p in pairs)
    duplicates = sum(p["duplicate"] for p in pairs)
    assert len(pairs) >= 150 and 0.45 <= duplicates / len(pairs) <= 0.55
    assert set(cases) == HARD_NEGATIVES | HARD_DUPLICATES and min(cases.values()) >= 9
    codes = [r["code"] for r in data["records"]]
    assert len(codes) == len(set(codes)) == 2 * len(pairs)  # each pair its own two records


def test_precision_and_recall_on_the_independent_labelled_set(capsys):
    """The shipped model (EM on the demo census + the set's records, never its labels)."""
    result = training.evaluate(linkage.load_model(), (0.5, linkage.DEFAULT_THRESHOLD, 0.99))
    precision, recall, f1 = result["curve"][linkage.DEFAULT_THRESHOLD]
    with capsys.disabled():
        print(f"\nlinkage at {linkage.DEFAULT_THRESHOLD}: precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f};"
              f" errors {result['errors'][linkage.DEFAULT_THRESHOLD]}")
    assert precision >= 0.97 and recall >= 0.95
    wrong = set(result["errors"][linkage.DEFAULT_THRESHOLD]["wrong"])
    assert not wrong & {"one_owner_two_businesses", "same_family_other_owner", "siblings_one_phone"}


def _record(code, name, owner, phone=None, vsic="1071", sector="C10", commune="31498", lat=9.6230, lon=105.9837,
            address="Ấp Chợ, Phường 5", tax=None):
    return (code, name, owner, "household_business", tax, phone, vsic, sector, address, commune, "941",
            lat, lon)


def _scored(background, *records):
    table = linkage.arrow_table(background + list(records))
    return {(p.code_a, p.code_b): p for p in linkage.predict(table, linkage.load_model(), threshold=0.0)}


def test_one_signal_does_not_decide(background):
    same_owner_other_product = [
        _record("94-941-800001", "Cơ sở Bánh pía Phú Quý", "Trần Văn Lực", "0912345678"),
        _record("94-941-800002", "Cơ sở Nước đá Hải Đăng", "Trần Văn Lực", "0912345678", vsic="3530", sector="D35",
                lat=9.62302, lon=105.98372)]
    same_family_other_owner = [
        _record("94-941-800003", "Cơ sở Bánh in Tấn Phát", "Lâm Thị Thơ", lat=9.624, lon=105.985),
        _record("94-941-800004", "Cơ sở Bánh in Tấn Phú", "Lâm Văn Kiệt", lat=9.621, lon=105.981)]
    one_establishment = [
        _record("94-941-800005", "Cơ sở Mắm cá lóc Út Hiền", "Sơn Thị Diễm", "0987654321"),
        _record("94-941-800006", "CS Mam ca loc Ut Hien", "Diễm Sơn Thị", None, lat=9.62305, lon=105.98368)]
    scored = _scored(background, *same_owner_other_product, *same_family_other_owner, *one_establishment)
    assert scored[("94-941-800001", "94-941-800002")].score < 0.5
    assert scored.get(("94-941-800003", "94-941-800004")) is None or \
        scored[("94-941-800003", "94-941-800004")].score < 0.5
    duplicate = scored[("94-941-800005", "94-941-800006")]
    assert duplicate.score >= linkage.DEFAULT_THRESHOLD
    weights = {item.comparison: item for item in scored[("94-941-800001", "94-941-800002")].evidence}
    assert weights["contact"].weight > 0 > weights["business"].weight  # weighed, not a verdict either way


def test_reasons_are_words_with_signed_weights_in_the_users_language(app, background):
    pair = _scored(background, _record("94-941-800011", "Cơ sở Bánh bò Ngọc Hân", "Võ Hữu Toàn", "0911111111"),
                   _record("94-941-800012", "CS Banh bo Ngoc Han", "Võ Hữu Toàn", "0911111111"))[
        ("94-941-800011", "94-941-800012")]
    from flask_babel import force_locale
    with app.test_request_context("/"):
        with force_locale("vi"):
            vietnamese = "; ".join(contribution_text(item) for item in pair.evidence)
        with force_locale("en"):
            english = "; ".join(contribution_text(item) for item in pair.evidence)
    assert re.search(r"tên giống: \+\d+,\d", vietnamese) and "cùng chủ, cùng số điện thoại: +" in vietnamese
    assert re.search(r"same name: \+\d+\.\d", english) and "same owner and phone: +" in english
    assert sum(item.weight for item in pair.evidence) == pytest.approx(
        pair.match_weight - linkage.prior_weight(linkage.load_model(), len(background) + 2), abs=0.01)


def test_em_estimates_every_level_from_the_registry(background):
    records, _pairs = training.labelled_records()
    model = linkage.train(linkage.arrow_table(training.with_reentries(background[:2000]) + records))
    weights = {}
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                assert 0 < level["m_probability"] <= 1 and 0 < level["u_probability"] <= 1
                key = (comparison["output_column_name"], level["label_for_charts"].split(":")[0])
                weights[key] = level["m_probability"] / level["u_probability"]
    assert weights[("business", "exact")] > 1 > weights[("business", "else")]
    assert weights[("contact", "owner_phone")] > 1 > weights[("contact", "other_owner")]
    assert 0 < model["duplicates_per_record"] < 1


def test_model_sql_reads_the_same_on_spark():
    """The model's SQL is written for DuckDB and carried to Spark by sqlglot, as Splink does."""
    import sqlglot
    conditions = [level["sql_condition"] for comparison in linkage.comparisons()
                  for level in comparison["comparison_levels"] if level["sql_condition"] != "ELSE"]
    for sql in conditions + linkage.BLOCKING_RULES + [linkage.prepare_sql("establishments")]:
        assert sqlglot.transpile(sql, read="duckdb", write="spark")


def test_cli_writes_probabilities_and_reasons(runner, session, add_establishment, tmp_path):
    add_establishment(name="Cơ sở Bánh Pía Tân Huê Viên", owner="Lý Văn Hên", phone="0912000111", commune_code="31498")
    add_establishment(name="CS Banh Pia Tan Hue Vien", owner="Lý Văn Hên", commune_code="31498")
    add_establishment(name="Cơ sở Nước đá Sông Hậu", owner="Lý Văn Hên", phone="0912000111", vsic_code="3530",
                      commune_code="31498")
    out = tmp_path / "pairs.csv"
    assert runner.invoke(args=["duplicates", "--out", str(out)]).exit_code == 0
    lines = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(line["code_a"], line["code_b"]) for line in lines] == [("94-941-000001", "94-941-000002")]
    assert 0.85 <= float(lines[0]["score"]) <= 1 and "tên giống: +" in lines[0]["reasons"]
    assert runner.invoke(args=["duplicates", "--language", "en", "--out", str(out)]).exit_code == 0
    assert "same name: +" in out.read_text(encoding="utf-8")
    assert runner.invoke(args=["duplicates", "--language", "fr"]).exit_code == 2


def _bulk_registry(session, rows):
    from sqlalchemy import insert

    from surveyapp.models import Establishment
    now = dt.datetime(2026, 1, 1)
    session.execute(insert(Establishment), [
        dict(zip(linkage.COLUMNS, row), province_code="94", status="active", version=1, search_text="",
             created_at=now, updated_at=now) for row in rows])
    session.commit()


def test_cli_trains_on_this_registry_and_keeps_the_model(app, runner, session, tmp_path):
    from surveyapp.models import DuplicateDecision
    _bulk_registry(session, training.packaged_training_rows())
    _records, pairs = training.labelled_records()
    merged = [p for p in pairs if p["duplicate"]][:5]  # a supervisor merged these: labels for m
    session.add_all([DuplicateDecision(code_a=min(p["code_a"], p["code_b"]), code_b=max(p["code_a"], p["code_b"]),
                                       decision="merged") for p in merged])
    session.commit()
    kept = Path(app.instance_path) / "duplicates-model.json"
    try:
        result = runner.invoke(args=["duplicates", "--train", "--district", "941", "--out", str(tmp_path / "p.csv")])
        assert result.exit_code == 0, result.output
        model = json.loads(kept.read_text(encoding="utf-8"))
        assert model["trained_on"] == f"registry of {len(training.packaged_training_rows())} establishments"
        assert model["known_duplicates"] == 5
        levels = {(c["output_column_name"], level["label_for_charts"].split(":")[0]): level
                  for c in model["comparisons"] for level in c["comparison_levels"] if not level.get("is_null_level")}
        assert levels[("business", "exact")]["m_probability"] > 0.5 > levels[("business", "else")]["m_probability"]
        assert "Model trained on this registry" in result.output
    finally:
        kept.unlink(missing_ok=True)


def test_training_refuses_a_registry_without_duplicates(demo_app):
    result = demo_app.test_cli_runner().invoke(args=["duplicates", "--train"])
    assert result.exit_code == 1 and "no duplicates to learn from" in result.output
    assert not (Path(demo_app.instance_path) / "duplicates-model.json").exists()


def test_training_refuses_a_registry_too_small(runner, session, add_establishment):
    for number in range(3):
        add_establishment(name=f"Cơ sở Bánh pía số {number}", commune_code="31498")
    result = runner.invoke(args=["duplicates", "--train"])
    assert result.exit_code == 1 and "too few to learn from" in result.output


def test_page_shows_match_weight_and_each_comparison(client_as, session, add_establishment):
    add_establishment(name="Cơ sở Bánh Pía Tân Huê Viên", owner="Lý Văn Hên", commune_code="31498")
    add_establishment(name="CS Banh Pia Tan Hue Vien", owner="Ly Van Hen", commune_code="31498")
    page = client_as("admin").get("/duplicates?district=941").text
    row = re.search(r'<table[^>]*id="pairs".*?</table>', page, re.S).group(0)
    assert "Trọng số khớp" in row and re.search(r"<td class=\"text-end\">\+\d+,\d</td>", row)
    assert re.search(r"tên giống: \+\d+,\d; cùng chủ: \+\d+,\d", row)


def test_the_extreme_thresholds_work(runner, session, add_establishment, tmp_path):
    add_establishment(name="Cơ sở Bánh Pía Tân Huê Viên", owner="Lý Văn Hên", commune_code="31498")
    add_establishment(name="CS Banh Pia Tan Hue Vien", owner="Ly Van Hen", commune_code="31498")
    for threshold, pairs in (("1", 0), ("0", 1)):
        out = tmp_path / f"pairs-{threshold}.csv"
        result = runner.invoke(args=["duplicates", "--threshold", threshold, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert len(out.read_text(encoding="utf-8").splitlines()) == 1 + pairs
