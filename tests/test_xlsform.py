"""Questionnaires brought in as XLSForm (.xlsx, as KoboToolbox and ODK write them) or .md: checked with
every problem placed by sheet, row and column, published as a version, attached to a round, and
downloaded back (issue 16, items 1 and 2)."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from surveyapp.models import AuditEvent, Establishment, QuestionnaireVersion, RecordStatus, SurveyRound
from surveyapp.questionnaire.definition import load_definition_file
from surveyapp.questionnaire.publishing import check_upload
from surveyapp.questionnaire.registry import registry
from surveyapp.questionnaire.xlsform import candidate_from_workbook, read_workbook, workbook_bytes

from .xlsforms import KOBO_SURVEY, SURVEY_HEADER, survey_row, workbook

FORMS = Path(__file__).resolve().parent.parent / "forms"


def check(app, session, filename: str, data: bytes):
    with app.test_request_context("/"):
        return check_upload(session, registry(), filename, data)


def problem_lines(app, checked, language="en") -> list[str]:
    from surveyapp.questionnaire.messages import problem_line

    with app.test_request_context("/"):
        return [problem_line(p, language) for p in checked.problems]


def kobo_round(session, code="2020", form_id="cnnt-2019", version="2") -> SurveyRound:
    survey_round = SurveyRound(code=code, title="Khảo sát làng nghề 2020", questionnaire_id=form_id,
                               questionnaire_version=version, is_open=True)
    session.add(survey_round)
    session.commit()
    return survey_round


def test_a_kobo_workbook_becomes_the_apps_markdown():
    candidate = candidate_from_workbook(read_workbook(workbook()), form_id_if_missing="x", version_if_missing=None)
    assert candidate.problems == []
    survey_header = next(line for line in candidate.markdown.splitlines() if "| type |" in line)
    # Kobo's language columns named the app's way; its own $kuid/$autoname columns dropped.
    assert "label::vi | label::en | hint::vi | hint::en" in survey_header and "$kuid" not in survey_header
    assert "| default_language |" in candidate.markdown and "|  | lang-nghe-2020 | 1 |" in candidate.markdown


def test_a_bare_label_column_is_the_default_language():
    header = ["type", "name", "label", "required"]
    checked_rows = [["text", "ten", "Tên cơ sở", "yes"], ["integer", "so", "Số lao động", ""]]
    candidate = candidate_from_workbook(read_workbook(workbook(checked_rows, [["list_name", "name", "label"]], [],
                                                               survey_header=header)),
                                        form_id_if_missing="phieu", version_if_missing="1")
    assert "| type | name | label::vi | required |" in candidate.markdown
    assert "|  | phieu | 1 |" in candidate.markdown  # form_id from the file name, the next version


def test_the_kobo_form_loads_with_its_metadata_recorded_not_shown(app, session):
    checked = check(app, session, "lang-nghe.xlsx", workbook())
    assert checked.ok, problem_lines(app, checked)
    definition = checked.definition
    assert [m.kind for m in definition.metadata] == ["start", "end", "today", "deviceid", "username"]
    assert "start" not in definition.by_name  # not a question: not on the page
    assert definition.by_name["san_luong"].repeat == "san_pham"
    assert definition.by_name["nguyen_lieu_khac"].relevant_text == "selected(${nguyen_lieu}, 'khac')"
    assert definition.by_name["co_xuat_khau"].appearance == "minimal"


def broken_workbook() -> bytes:
    survey = list(KOBO_SURVEY)
    survey[7] = survey_row("integer", "so_lao_dong", "Số lao động", "Workers", constraint=". >= ")
    survey += [survey_row("calculate", "tong", "", ""), survey_row("select_one mau", "mau", "Màu", "Colour"),
               survey_row("text", "ten_co_so", "Tên", "Name"), survey_row("range", "diem", "Điểm", "Score")]
    return workbook(survey)


def test_a_broken_workbook_is_refused_with_sheet_row_and_column(app, session):
    checked = check(app, session, "broken.xlsx", broken_workbook())
    assert not checked.ok
    lines = problem_lines(app, checked)
    assert "sheet survey, row 9, column I: the constraint '. >=' cannot be read: unexpected end of expression " \
           "at position 4" in lines
    assert "sheet survey, row 19: the calculate 'tong' has no calculation" in lines
    assert any(line.startswith("sheet survey, row 22, column A: the type 'range' is not supported") for line in lines)
    assert "sheet survey, row 20, column A: the choice list 'mau' of 'mau' is not in the choices sheet" in lines
    assert "sheet survey, row 21, column B: the name 'ten_co_so' is already used on row 8" in lines
    # The same problems in Vietnamese.
    vietnamese = problem_lines(app, checked, "vi")
    assert "trang survey, dòng 20, cột A: danh sách lựa chọn 'mau' của 'mau' không có trong trang choices" in vietnamese


def test_columns_the_app_cannot_honour_are_named(app, session):
    header = SURVEY_HEADER + ["repeat_count", "trigger", "media::image"]
    rows = [row + ["", "", ""] for row in KOBO_SURVEY]
    rows[6][-3] = "${so_lao_dong} * 2"
    rows[8][-2] = "${so_lao_dong}"
    checked = check(app, session, "kobo.xlsx", workbook(rows, survey_header=header))
    lines = problem_lines(app, checked)
    assert "sheet survey, row 8, column O: the column 'repeat_count' (repeat_count) is not supported by this app " \
           "yet" in lines
    assert "sheet survey, row 10, column P: the column 'trigger' (trigger) is not supported by this app yet" in lines
    assert len(lines) == 2  # the empty media column is dropped, not refused


def test_pyxform_checks_the_candidate_too(app, session):
    from surveyapp.questionnaire import xlsform

    checked = check(app, session, "kobo.xlsx", workbook(settings=[["form_id", "version", "form_title"],
                                                                  ["lang-nghe-2020", "1", "Làng nghề"]]))
    assert checked.ok
    candidate = checked.candidate
    assert xlsform.pyxform_problems(candidate) == []
    broken = xlsform.Candidate(candidate.markdown.replace("| end_group |", "| note |"), candidate.lines,
                               candidate.letters)
    problems = xlsform.pyxform_problems(broken)
    assert problems and problems[0].message.startswith("pyxform:") and problems[0].place.sheet == "survey"


def test_the_supported_types_follow_the_loaders_question_types(monkeypatch):
    from surveyapp.questionnaire import definition, xlsform

    assert "image" in xlsform.supported_types()  # the photo question (issue 16 item 4)
    rows = [survey_row("audio", "ghi_am", "Ghi âm", "Recording")]
    refused = candidate_from_workbook(read_workbook(workbook(rows)), form_id_if_missing="x", version_if_missing="1")
    assert "type 'audio' is not supported" in " ".join(p.message for p in refused.problems)
    monkeypatch.setattr(definition, "QUESTION_TYPES", definition.QUESTION_TYPES | {"audio"})
    monkeypatch.setattr(xlsform, "QUESTION_TYPES", definition.QUESTION_TYPES)
    assert "audio" in xlsform.supported_types()


def test_an_older_kobo_export_names_the_form_id_string():
    settings = [["id_string", "version", "form_title::English (en)", "form_title::Tiếng Việt (vi)"],
                ["lang-nghe", "3", "Craft villages", "Làng nghề"]]
    candidate = candidate_from_workbook(read_workbook(workbook(settings=settings)), form_id_if_missing="x",
                                        version_if_missing=None)
    assert "| form_id | version | form_title | form_title_en |" in candidate.markdown
    assert "|  | lang-nghe | 3 | Làng nghề | Craft villages |" in candidate.markdown


def test_a_file_that_is_no_workbook_or_a_zip_bomb_is_refused(app, session):
    assert problem_lines(app, check(app, session, "x.xlsx", b"not a zip")) == [
        "the file is not an Excel workbook (.xlsx)"]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<worksheet>" + b" " * (80 * 1024 * 1024) + b"</worksheet>")
    lines = problem_lines(app, check(app, session, "bomb.xlsx", bomb.getvalue()))
    assert len(lines) == 1 and "xl/worksheets/sheet1.xml" in lines[0]  # the part that expands too much
    assert problem_lines(app, check(app, session, "form.docx", b"x")) == [
        "upload an XLSForm .xlsx or a questionnaire .md"]


def test_cli_import_prints_problems_and_stores_nothing(runner, session, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(broken_workbook())
    result = runner.invoke(args=["forms", "import", str(path)])
    assert result.exit_code == 1
    assert "broken.xlsx: sheet survey, row 20, column A: the choice list 'mau' of 'mau' is not in the choices " \
           "sheet" in result.output
    assert session.exec(select(QuestionnaireVersion)).all() == []


def test_cli_import_publishes_a_version_and_attaches_it_to_a_round(runner, session, tmp_path):
    kobo_round(session)
    path = tmp_path / "lang-nghe.xlsx"
    path.write_bytes(workbook())
    result = runner.invoke(args=["forms", "import", str(path), "--round", "2020"])
    assert result.exit_code == 0, result.output
    assert "Published: lang-nghe-2020 version 1, 8 questions" in result.output
    assert "Round 2020 now uses lang-nghe-2020 version 1" in result.output
    session.expire_all()
    survey_round = session.exec(select(SurveyRound).where(SurveyRound.code == "2020")).one()
    assert (survey_round.questionnaire_id, survey_round.questionnaire_version) == ("lang-nghe-2020", "1")
    events = {(e.action, e.entity_id) for e in session.exec(select(AuditEvent))}
    assert {("publish", "lang-nghe-2020@1"), ("questionnaire_version", "2020")} <= events

    again = runner.invoke(args=["forms", "import", str(path)])
    assert again.exit_code == 0 and "Already published: lang-nghe-2020 version 1" in again.output

    # A version in use never changes: other questions under version 1 are refused at the version cell.
    changed = list(KOBO_SURVEY) + [survey_row("text", "ghi_chu", "Ghi chú", "Remarks")]
    path.write_bytes(workbook(changed))
    refused = runner.invoke(args=["forms", "import", str(path)])
    assert refused.exit_code == 1
    assert "sheet settings, row 2, column C: version 1 of lang-nghe-2020 is already published with other " \
           "questions" in refused.output
    # Without settings.version it gets the next one.
    no_version = [["form_id", "form_title"], ["lang-nghe-2020", "Phiếu khảo sát làng nghề 2020"]]
    path.write_bytes(workbook(changed, settings=no_version))
    published = runner.invoke(args=["forms", "import", str(path)])
    assert published.exit_code == 0 and "Published: lang-nghe-2020 version 2, 9 questions" in published.output


@pytest.mark.parametrize("path", sorted(FORMS.glob("cnnt-*.md")) + sorted((FORMS / "previous").glob("*.md")),
                         ids=lambda p: p.name)
def test_every_form_round_trips_md_to_xlsx_and_back(app, session, path):
    original = load_definition_file(path)
    checked = check(app, session, path.stem + ".xlsx", workbook_bytes(original.source_text))
    assert checked.ok, problem_lines(app, checked)
    assert checked.already_published  # the same form_id, version and questions as the file
    imported = checked.definition
    assert (imported.form_id, imported.version, imported.title) == (original.form_id, original.version, original.title)
    assert imported.choices == original.choices
    assert [_question(q) for q in imported.walk()] == [_question(q) for q in original.walk()]


def _question(question) -> dict:
    values = dict(vars(question))
    values.pop("line")
    values["children"] = [child.name for child in question.children]
    return values


def test_the_admin_uploads_previews_maps_publishes_attaches_and_downloads(app, client, session):
    kobo_round(session)
    page = client.post("/admin/questionnaires", data={"file": (io.BytesIO(workbook()), "lang-nghe.xlsx")},
                       content_type="multipart/form-data")
    assert page.status_code == 302
    candidate_url = page.headers["Location"]
    sha = re.search(r"candidates/([0-9a-f]{64})", candidate_url).group(1)
    screen = client.get(candidate_url)
    assert screen.status_code == 200 and "lang-nghe-2020" in screen.text and 'id="map-ten_co_so"' in screen.text
    preview = client.get(f"/admin/questionnaires/candidates/{sha}/preview")
    assert preview.status_code == 200 and "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    assert 'name="nguyen_lieu"' in preview.text and "Số lao động" in preview.text
    assert 'data-name="start"' not in preview.text  # metadata is recorded, not shown
    assert session.exec(select(QuestionnaireVersion)).all() == []  # nothing stored before publishing

    published = client.post(f"/admin/questionnaires/candidates/{sha}/publish",
                            data={"name": "lang-nghe.xlsx", "map-ten_co_so": "name", "map-so_lao_dong": "workers"})
    assert published.status_code == 302
    stored = session.exec(select(QuestionnaireVersion)).one()
    assert (stored.form_id, stored.version) == ("lang-nghe-2020", "1")
    assert "| establishment_field |" in stored.source

    listing = client.get("/admin/questionnaires")
    assert 'data-version="lang-nghe-2020@1"' in listing.text
    attached = client.post("/admin/questionnaires/attach", data={"round": "2020", "questionnaire": "lang-nghe-2020@1"})
    assert attached.status_code == 302
    session.expire_all()
    assert session.exec(select(SurveyRound).where(SurveyRound.code == "2020")).one().questionnaire_version == "1"

    download = client.get("/admin/questionnaires/lang-nghe-2020/1.xlsx")
    assert download.status_code == 200
    book = load_workbook(io.BytesIO(download.data))
    assert book.sheetnames == ["settings", "survey", "choices"]
    header = [cell.value for cell in book["survey"][1]]
    assert header[:4] == ["type", "name", "label::vi", "label::en"] and "establishment_field" in header
    assert client.get("/admin/questionnaires/cnnt-2018/2.xlsx").status_code == 200  # a forms/ file too

    xform = client.get("/admin/questionnaires/lang-nghe-2020/1.xml")
    assert xform.status_code == 200 and xform.mimetype == "application/xml"
    assert 'filename="lang-nghe-2020.v1.xml"' in xform.headers["Content-Disposition"]
    root = ElementTree.fromstring(xform.data)
    instance = root.find(".//{http://www.w3.org/2002/xforms}instance/*")
    assert instance.get("id") == "lang-nghe-2020" and instance.get("version") == "1"
    assert instance.find(".//{http://www.w3.org/2002/xforms}ten_co_so") is not None
    assert client.get("/admin/questionnaires/lang-nghe-2020/9.xml").status_code == 404


def test_upload_problems_are_listed_in_vietnamese(client):
    page = client.post("/admin/questionnaires", data={"file": (io.BytesIO(broken_workbook()), "hong.xlsx")},
                       content_type="multipart/form-data", headers={"Accept-Language": "vi"})
    assert page.status_code == 422
    assert "trang survey, dòng 20, cột A: danh sách lựa chọn &#39;mau&#39; của &#39;mau&#39; không có trong trang " \
           "choices" in page.text


def test_only_an_admin_manages_questionnaires(client_as):
    for username in ("enumerator", "supervisor"):
        assert client_as(username).get("/admin/questionnaires").status_code == 403
        assert client_as(username).post("/admin/questionnaires").status_code == 403


def test_metadata_is_recorded_when_a_record_is_saved(app, session, add_establishment):
    from surveyapp.accounts.services import user_by_username
    from surveyapp.questionnaire.publishing import publish
    from surveyapp.survey.services import definition_for, save_record

    survey_round = kobo_round(session)
    establishment = add_establishment()
    with app.test_request_context("/"):
        checked = check_upload(session, registry(), "lang-nghe.xlsx", workbook())
        publish(session, registry(), checked.definition.source_text, "lang-nghe.xlsx", actor_id=None)
        definition = definition_for(session, registry(), "lang-nghe-2020", "1")
    enumerator = user_by_username(session, "enumerator")
    answers = {"ten_co_so": "Cơ sở A", "so_lao_dong": "3", "nguyen_lieu": ["lua_gao"], "co_xuat_khau": "khong",
               "deviceid": "collect:abc123"}
    first = save_record(session, establishment=establishment, survey_round=survey_round, definition=definition,
                        raw_answers=answers, submit=False, actor_id=enumerator.id, actor_role="enumerator")
    assert first.ok, first.errors
    saved = first.record.answers
    assert saved["username"] == "enumerator" and saved["deviceid"] == "collect:abc123"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", saved["today"]) and saved["start"] and saved["end"]
    start = saved["start"]
    again = save_record(session, establishment=establishment, survey_round=survey_round, definition=definition,
                        raw_answers={**answers, "deviceid": ""}, submit=True, actor_id=enumerator.id,
                        actor_role="enumerator", base_uuid=first.record.uuid)
    assert again.ok and again.record.answers["start"] == start  # when the record was begun, kept
    assert again.record.answers["deviceid"] == "collect:abc123"


def test_setup_keeps_a_version_an_admin_attached(app, runner, session, tmp_path):
    kobo_round(session, code="2019x", form_id="cnnt-2019", version="2")
    text = (FORMS / "cnnt-2019.md").read_text(encoding="utf-8")
    newer = re.sub(r"\| cnnt-2019 \| 2 +\|", "| cnnt-2019 | 3 |", text).replace("Loại phiếu", "Loại phiếu (mới)")
    path = tmp_path / "cnnt-2019.md"
    path.write_text(newer, encoding="utf-8")
    imported = runner.invoke(args=["forms", "import", str(path), "--round", "2019x"])
    assert imported.exit_code == 0, imported.output
    result = runner.invoke(args=["setup", "--demo-establishments", "0"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.exec(select(SurveyRound).where(SurveyRound.code == "2019x")).one().questionnaire_version == "3"


def test_a_mapped_answer_updates_the_registry_when_approved(app, session, add_establishment):
    from surveyapp.questionnaire.publishing import publish, with_mappings
    from surveyapp.survey.services import apply_record_to_establishment, definition_for, save_record

    survey_round = kobo_round(session)
    establishment = add_establishment()
    with app.test_request_context("/"):
        checked = check_upload(session, registry(), "lang-nghe.xlsx", workbook())
        mapped = with_mappings(checked.definition.source_text, {"ten_co_so": "name", "so_lao_dong": "workers"})
        publish(session, registry(), mapped, "lang-nghe.xlsx", actor_id=None)
        definition = definition_for(session, registry(), "lang-nghe-2020", "1")
    assert definition.by_name["so_lao_dong"].establishment_field == "workers"
    result = save_record(session, establishment=establishment, survey_round=survey_round, definition=definition,
                         raw_answers={"ten_co_so": "Cơ sở Mới", "so_lao_dong": "7", "nguyen_lieu": ["khac"],
                                      "nguyen_lieu_khac": "Dừa", "co_xuat_khau": "co"},
                         submit=True, actor_id=None, actor_role="admin")
    assert result.ok, result.errors
    result.record.status = RecordStatus.approved.value
    apply_record_to_establishment(session, result.record, definition, actor_id=None)
    session.commit()
    session.expire_all()
    updated = session.get(Establishment, establishment.id)
    assert (updated.name, updated.workers) == ("Cơ sở Mới", 7)


def generated_form(questions: int) -> bytes:
    rows = [survey_row("start", "start"), survey_row("end", "end"), survey_row("begin_group", "g0", "Nhóm 0", "Group 0")]
    for number in range(questions):
        if number and number % 20 == 0:
            rows += [survey_row("end_group", ""), survey_row("begin_group", f"g{number}", f"Nhóm {number}",
                                                            f"Group {number}")]
        kind = ("integer", "text", "select_one co_khong", "select_multiple nguyen_lieu", "decimal")[number % 5]
        relevant = f"${{q{number - 1}}} != ''" if number % 7 == 3 else ""
        constraint = ". >= 0 and . <= 1000" if kind in ("integer", "decimal") else ""
        rows.append(survey_row(kind, f"q{number}", f"Câu hỏi số {number}", f"Question {number}",
                               relevant=relevant, constraint=constraint, message_vi="Từ 0 đến 1.000" if constraint else "",
                               message_en="From 0 to 1,000" if constraint else ""))
    rows.append(survey_row("end_group", ""))
    return workbook(rows, settings=[["form_id", "version", "form_title"], ["lon-200", "1", "Phiếu 200 câu"]])


def test_a_200_question_form_imports_whole(app, session):
    """Its speed is measured by `python -m bench.xlsform`, not here (no timed tests)."""
    checked = check(app, session, "lon-200.xlsx", generated_form(200))
    assert checked.ok, problem_lines(app, checked)[:5]
    assert len(checked.definition.questions()) == 200


def test_a_questionnaire_md_is_published_as_written_and_offered_for_new_rounds(client, session):
    text = re.sub(r"\| cnnt-2019 \| 2 +\|", "| cnnt-2019 | 7 |", (FORMS / "cnnt-2019.md").read_text(encoding="utf-8"))
    page = client.post("/admin/questionnaires", data={"file": (io.BytesIO(text.encode()), "cnnt-2019.md")},
                       content_type="multipart/form-data")
    assert page.status_code == 302
    sha = re.search(r"candidates/([0-9a-f]{64})", page.headers["Location"]).group(1)
    assert client.post(f"/admin/questionnaires/candidates/{sha}/publish", data={"name": "cnnt-2019.md"}).status_code == 302
    stored = session.exec(select(QuestionnaireVersion)).one()
    assert (stored.form_id, stored.version, stored.source) == ("cnnt-2019", "7", text)  # notes and all
    assert 'value="cnnt-2019@7"' in client.get("/admin/rounds").text


def test_a_broken_md_names_its_line(client, session):
    text = (FORMS / "cnnt-2019.md").read_text(encoding="utf-8").replace("| select_one visit_type ", "| select_one nope ", 1)
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if "select_one nope" in row)
    page = client.post("/admin/questionnaires", data={"file": (io.BytesIO(text.encode()), "cnnt-2019.md")},
                       content_type="multipart/form-data")
    assert page.status_code == 422
    assert f"trang survey, dòng {line}, cột A: danh sách lựa chọn &#39;nope&#39;" in page.text
    assert session.exec(select(QuestionnaireVersion)).all() == []


def test_a_mapping_must_suit_the_registry_attribute(client, session):
    page = client.post("/admin/questionnaires", data={"file": (io.BytesIO(workbook()), "lang-nghe.xlsx")},
                       content_type="multipart/form-data")
    sha = re.search(r"candidates/([0-9a-f]{64})", page.headers["Location"]).group(1)
    refused = client.post(f"/admin/questionnaires/candidates/{sha}/publish",
                          data={"name": "lang-nghe.xlsx", "map-ten_co_so": "workers", "map-vi_tri": "location"})
    assert refused.status_code == 422
    assert "thông tin &#39;workers&#39; của danh bạ cần một câu hỏi integer, không phải text" in refused.text
    assert session.exec(select(QuestionnaireVersion)).all() == []


def test_the_loader_refuses_a_registry_attribute_inside_a_repeat(app, session):
    survey = list(KOBO_SURVEY)
    header = SURVEY_HEADER + ["establishment_field"]
    rows = [row + [""] for row in survey]
    rows[13][-1] = "name"  # ten_san_pham, inside the repeat san_pham
    lines = problem_lines(app, check(app, session, "kobo.xlsx", workbook(rows, survey_header=header)))
    assert lines == ["sheet survey, row 15, column O: the registry attribute 'name' cannot be set on a question "
                     "inside the repeat 'san_pham'"]
