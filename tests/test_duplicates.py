"""Duplicate establishments: matching quality on a labelled set, the CLI, merge and undo, decisions, coverage."""
from __future__ import annotations

import csv
import io
import random
import re

import pytest
from sqlmodel import select

from surveyapp.duplicates.matching import Candidate, candidate_pairs, normalise_name
from surveyapp.models import AuditEvent, Establishment, SurveyRecord
from surveyapp.questionnaire.registry import registry
from surveyapp.survey.services import definition_for, save_record
from surveyapp.text import fold

from .test_survey import minimal_submission

BASES = [
    ("Cơ sở Bánh Pía Tân Huê Viên", "household_business"), ("Hộ kinh doanh Nguyễn Văn Hùng", "household_business"),
    ("Công ty TNHH Xay xát Đại Thành", "enterprise"), ("HTX Dệt chiếu Đại Ân", "cooperative"),
    ("Cơ sở Nước mắm Ba Xuyên", "household"), ("Cơ sở Lạp xưởng Thuận Phát", "household_business"),
    ("Tổ hợp tác Đan lát lục bình Mỹ Phước", "cooperative_group"), ("DNTN Cơ khí Hưng Thịnh", "enterprise"),
    ("Cơ sở Bánh phồng tôm Kim Phát", "household"), ("Cơ sở Mắm ba khía Út Mai", "household"),
    ("Cơ sở Nước đá Sông Hậu", "household_business"), ("Cơ sở Rượu nếp Hiệp Hòa", "household_business"),
]
#: Different producers whose names look alike (same trade, same commune): must not be proposed.
LOOKALIKES = [
    ("Cơ sở Bánh Pía Tân Huê Viên", "Cơ sở Bánh Pía Kim Phát"), ("Cơ sở Nước mắm Ba Xuyên", "Cơ sở Nước mắm Sông Hậu"),
    ("Hộ kinh doanh Nguyễn Văn Hùng", "Hộ kinh doanh Nguyễn Văn Dũng"), ("HTX Dệt chiếu Đại Ân", "HTX Dệt chiếu Vĩnh Hải"),
    ("Cơ sở Lạp xưởng Thuận Phát", "Cơ sở Lạp xưởng Minh Châu"), ("DNTN Cơ khí Hưng Thịnh", "DNTN Cơ khí Thành Công"),
]


def variant(name: str, rng: random.Random) -> str:
    """How the same establishment gets typed again: no diacritics, another prefix, word order, a typo."""
    kind = rng.choice(["fold", "prefix", "order", "typo", "case"])
    if kind == "fold":
        return fold(name).title()
    if kind == "prefix":
        return re.sub(r"^(Cơ sở|Hộ kinh doanh|Công ty TNHH|HTX|DNTN|Tổ hợp tác)", lambda m: {
            "Cơ sở": "CS", "Hộ kinh doanh": "HKD", "Công ty TNHH": "Cty TNHH MTV", "HTX": "Hợp tác xã",
            "DNTN": "Doanh nghiệp tư nhân", "Tổ hợp tác": "THT"}[m.group(1)], name)
    if kind == "order":
        words = normalise_name(name).split()
        return " ".join(words[len(words) // 2:] + words[:len(words) // 2])
    if kind == "typo":
        position = rng.randrange(len(name) // 2, len(name) - 1)
        return name[:position] + name[position + 1] + name[position] + name[position + 2:]
    return name.upper()


def labelled_set(seed: int = 3):
    rng = random.Random(seed)
    rows, truth = [], set()
    for index, (name, _form) in enumerate(BASES * 3):
        commune = f"31{500 + index // len(BASES):03d}"  # each name once per commune
        original = Candidate(f"94-941-{index * 2:06d}", name, commune)
        copy = Candidate(f"94-941-{index * 2 + 1:06d}", variant(name, rng), commune)
        rows += [original, copy]
        truth.add(tuple(sorted((original.code, copy.code))))
    for index, (first, second) in enumerate(LOOKALIKES):
        rows += [Candidate(f"94-942-{index * 2:06d}", first, "31600"), Candidate(f"94-942-{index * 2 + 1:06d}", second, "31600")]
    # Same tax code, names written very differently: one producer.
    rows += [Candidate("94-943-000001", "Công ty TNHH Thực phẩm Mekong", "31700", tax_code="2200123456"),
             Candidate("94-943-000002", "Cty Mekong Food", "31700", tax_code="2200123456")]
    truth.add(("94-943-000001", "94-943-000002"))
    return rows, truth


def pair_table(response) -> str:
    match = re.search(r'<table[^>]*id="pairs".*?</table>', response.text, re.S)
    return match.group(0) if match else ""


def test_precision_and_recall_on_a_labelled_set(capsys):
    rows, truth = labelled_set()
    found = {(p.code_a, p.code_b) for p in candidate_pairs(rows)}
    true_positives = len(found & truth)
    precision = true_positives / len(found)
    recall = true_positives / len(truth)
    with capsys.disabled():
        print(f"\nduplicates: {len(truth)} true pairs, {len(found)} proposed, precision {precision:.2f}, recall {recall:.2f}")
    assert precision >= 0.9 and recall >= 0.9


def test_names_are_normalised_the_vietnamese_way():
    assert normalise_name("Cơ sở Bánh Pía Tân Huê Viên") == normalise_name("CS. Banh pia tan hue vien")
    assert normalise_name("Hộ kinh doanh Đặng Văn Út") == "dang van ut"
    assert normalise_name("Công ty TNHH MTV Xay Xát") == normalise_name("Cty TNHH Xay xát")
    assert normalise_name("HTX") == "htx"  # a name that is only a prefix stays


def test_phone_and_gps_are_reasons_too():
    rows = [Candidate("94-941-000001", "Cơ sở Bánh Pía Út", "31498", phone="0912 345 678", lat=9.6, lon=105.97),
            Candidate("94-941-000002", "Bánh pía Út Hên", "31498", phone="+84912345678", lat=9.60003, lon=105.97002)]
    (pair,) = candidate_pairs(rows, threshold=0.7)
    assert "same phone" in pair.reasons and any(r.startswith("GPS") for r in pair.reasons)


def test_cli_writes_exact_columns(runner, session, add_establishment, tmp_path):
    add_establishment(name="Cơ sở Bánh Pía Tân Huê Viên", commune_code="31498")
    add_establishment(name="CS Banh Pia Tan Hue Vien", commune_code="31498")
    add_establishment(name="Cơ sở Nước đá Sông Hậu", commune_code="31498")
    out = tmp_path / "pairs.csv"
    result = runner.invoke(args=["duplicates", "--district", "941", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert lines[0] == ["code_a", "code_b", "score", "reasons"]
    assert [line[:2] for line in lines[1:]] == [["94-941-000001", "94-941-000002"]]
    assert lines[1][0] < lines[1][1] and float(lines[1][2]) >= 0.85
    assert runner.invoke(args=["duplicates", "--threshold", "2"]).exit_code == 2


@pytest.fixture
def pair(app, session, round_2019, add_establishment):
    """Two entries of one producer, each with a submitted record in the 2019 round."""
    first = add_establishment(name="Cơ sở Bánh Pía Tân Huê Viên", commune_code="31498", workers=5)
    second = add_establishment(name="CS Bánh pía Tân Huê Viên", commune_code="31498", workers=4)
    with app.test_request_context("/"):
        definition = definition_for(session, registry(), "cnnt-2019", "2")
        for establishment in (first, second):
            save_record(session, establishment=establishment, survey_round=round_2019, definition=definition,
                        raw_answers=minimal_submission(), submit=True, actor_id=None, actor_role="admin")
    session.commit()
    return first, second


def test_merge_keeps_every_record_redirects_and_can_be_undone(client, client_as, session, pair):
    first, second = pair
    supervisor = client_as("supervisor")
    page = supervisor.get("/duplicates?district=941")
    assert first.code in page.text and second.code in page.text
    merged = supervisor.post("/duplicates/merge", data={"a": first.code, "b": second.code, "keep": first.code})
    assert merged.status_code == 302
    session.expire_all()
    records = session.exec(select(SurveyRecord)).all()
    assert len(records) == 2 and {r.establishment_id for r in records} == {first.id}
    assert sorted(r.is_current for r in records) == [False, True]  # one current per round: the survivor's
    gone = session.get(Establishment, second.id)
    assert gone.status == "merged" and gone.merged_into_id == first.id
    redirect = client.get(f"/establishments/{second.code}")
    assert redirect.status_code == 301 and redirect.headers["Location"] == f"/establishments/{first.code}"
    assert 'data-total="1"' in client.get("/establishments?q=banh+pia").text  # counted once now
    assert second.code not in pair_table(supervisor.get("/duplicates?district=941"))
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "merge")).one()
    assert event.after["survivor"] == first.code and len(event.after["moved_records"]) == 1

    assert supervisor.post("/duplicates/merges/1/revert").status_code == 403  # admins undo
    assert client.post("/duplicates/merges/1/revert").status_code == 302
    session.expire_all()
    assert session.get(Establishment, second.id).status == "active"
    assert sorted((r.establishment_id, r.is_current) for r in session.exec(select(SurveyRecord))) == \
        sorted([(first.id, True), (second.id, True)])
    assert second.code in pair_table(supervisor.get("/duplicates?district=941"))  # may be proposed again
    actions = [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["merge", "revert_merge"]


def test_not_a_duplicate_is_remembered(client_as, session, pair):
    first, second = pair
    supervisor = client_as("supervisor")
    assert supervisor.post("/duplicates/not-duplicate", data={"a": second.code, "b": first.code}).status_code == 302
    assert first.code not in pair_table(supervisor.get("/duplicates?district=941"))
    assert supervisor.post("/duplicates/not-duplicate", data={"a": first.code, "b": first.code}).status_code == 404


def test_supervisors_only_decide_on_their_communes(client_as, session, round_2019, add_establishment):
    add_establishment(name="Cơ sở Nước đá Sông Hậu", commune_code="31501")
    add_establishment(name="CS Nuoc da Song Hau", commune_code="31501")
    supervisor = client_as("supervisor")  # assigned to 31498 only
    assert 'data-total="0"' in supervisor.get("/duplicates?district=941").text
    assert supervisor.get("/duplicates/compare?a=94-941-000001&b=94-941-000002").status_code == 404
    assert supervisor.get("/duplicates?district=999").status_code == 400
    assert supervisor.get("/duplicates?threshold=abc").status_code == 400


def test_registration_shows_likely_existing_matches_first(client_as, session, round_2019, add_establishment):
    existing = add_establishment(name="Cơ sở Bánh Pía Tân Huê Viên", commune_code="31498")
    enumerator = client_as("enumerator")
    data = {"name": "CS banh pia Tan Hue Vien", "legal_form": "household_business", "vsic_code": "1071"}
    warned = enumerator.post("/survey/communes/31498/register?round=2019", data=data)
    assert warned.status_code == 200 and 'id="likely-matches"' in warned.text and existing.code in warned.text
    assert len(session.exec(select(Establishment)).all()) == 1  # nothing saved yet
    confirmed = enumerator.post("/survey/communes/31498/register?round=2019", data=data | {"confirm_new": "1"})
    assert confirmed.status_code == 302
    assert len(session.exec(select(Establishment)).all()) == 2


def test_coverage_per_commune_and_enumerator(client_as, session, pair, add_establishment):
    add_establishment(name="Cơ sở chưa khảo sát", commune_code="31498")
    page = client_as("analyst").get("/coverage?round=2019&district=941").text
    row = re.search(r'<tr data-commune="31498">.*?</tr>', page, re.S).group(0)
    cells = re.findall(r'<td class="num" data-figure="\w+">([^<]*)</td>', row)
    assert cells[:6] == ["3", "2", "0", "2", "0", "0"]  # to visit, records, draft, submitted, returned, approved
    csv_text = client_as("analyst").get("/coverage?round=2019&district=941&format=csv").data.decode("utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(csv_text)))
    ward = next(line for line in lines if line["commune_code"] == "31498")
    assert (ward["listed"], ward["submitted"], ward["done_percent"], ward["coverage_percent"]) == ("3", "2", "0.0", "66.7")
    assert client_as("analyst").get("/coverage?round=1999").status_code == 400
    assert client_as("enumerator").get("/coverage").status_code == 403


def test_merge_moves_support_certificates_and_ocop_and_undo_restores_them(client, session, pair):
    from surveyapp.models import OcopRating, ProductCertificate, Support
    from surveyapp.promotion.services import add_certificate, add_ocop, add_support, save_project

    first, second = pair
    for code in ("KC-1", "KC-2"):
        save_project(session, code=code, title=code, year=2020, level="local", activity="training",
                     state_support_vnd=10_000_000, beneficiary_contribution_vnd=5_000_000)
    add_support(session, project_code="KC-1", establishment_code=first.code, state_support_vnd=3_000_000,
                beneficiary_contribution_vnd=1_000_000)
    add_support(session, project_code="KC-1", establishment_code=second.code, state_support_vnd=2_000_000,
                beneficiary_contribution_vnd=500_000)  # both got the same project
    add_support(session, project_code="KC-2", establishment_code=second.code, state_support_vnd=7_000_000,
                beneficiary_contribution_vnd=4_000_000)
    add_certificate(session, product="Bánh pía", product_group="food_processing", level="provincial", year=2020,
                    establishment_code=second.code)
    add_ocop(session, product="Bánh pía", stars=4, year=2021, establishment_code=second.code)
    session.commit()
    before = sorted((s.establishment_id, s.project_id, s.state_support_vnd) for s in session.exec(select(Support)))

    client.post("/duplicates/merge", data={"a": first.code, "b": second.code, "keep": first.code})
    session.expire_all()
    supports = sorted((s.establishment_id, s.state_support_vnd, s.beneficiary_contribution_vnd)
                      for s in session.exec(select(Support)))
    assert supports == [(first.id, 5_000_000, 1_500_000), (first.id, 7_000_000, 4_000_000)]
    assert {c.establishment_id for c in session.exec(select(ProductCertificate))} == {first.id}
    assert {o.establishment_id for o in session.exec(select(OcopRating))} == {first.id}
    page = client.get(f"/establishments/{first.code}").text
    assert page.count("/promotion/projects/KC-") == 2 and "OCOP 4" in page

    client.post("/duplicates/merges/1/revert")
    session.expire_all()
    after = sorted((s.establishment_id, s.project_id, s.state_support_vnd) for s in session.exec(select(Support)))
    assert after == before
    assert {c.establishment_id for c in session.exec(select(ProductCertificate))} == {second.id}
