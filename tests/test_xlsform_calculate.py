"""XLSForm `calculate` rows and `choice_filter` (cascading selects): imported, computed and checked at save,
carried to the API and the XForm (issue 16)."""
from __future__ import annotations

import pytest
from flask_babel import force_locale

from surveyapp.questionnaire.answers import check_answers
from surveyapp.questionnaire.definition import DefinitionError, load_definition
from surveyapp.questionnaire.publishing import check_upload, publish
from surveyapp.questionnaire.registry import registry
from surveyapp.questionnaire.serialize import definition_json
from surveyapp.questionnaire.validation import browser_questions
from surveyapp.questionnaire.xform import xform_xml
from surveyapp.questionnaire.xlsform import workbook_bytes

from .xlsforms import SURVEY_HEADER, VI, EN, survey_row, workbook

HEADER = SURVEY_HEADER + ["calculation", "choice_filter"]


def row(type_, name, vi="", en="", *, calculation="", choice_filter="", **columns):
    return survey_row(type_, name, vi, en, **columns) + [calculation, choice_filter]


SURVEY = [
    row("start", "start"),
    row("integer", "workers_total", "Tổng số lao động", "Workers", required="yes"),
    row("integer", "workers_female", "Lao động nữ", "Women", constraint=". <= ${workers_total}"),
    row("calculate", "workers_male", calculation="${workers_total} - ${workers_female}"),
    row("calculate", "male_share", calculation="if(${workers_total} > 0, ${workers_male} div ${workers_total}, 0)"),
    row("text", "why_no_men", "Vì sao không có lao động nam?", "Why no men?", required="yes",
        relevant="${workers_male} = 0"),
    row("integer", "men_trained", "Lao động nam được đào tạo", "Men trained", constraint=". <= ${workers_male}",
        message_vi="Không quá số lao động nam", message_en="No more than the men"),
    row("select_one district", "district", "Huyện", "District", appearance="minimal"),
    row("select_one commune", "commune", "Xã", "Commune", appearance="minimal", choice_filter="district=${district}"),
    row("select_multiple market", "markets", "Chợ", "Markets", choice_filter="district = ${district}"),
    row("begin_repeat", "products", "Sản phẩm", "Products"),
    row("integer", "output_a", "Sản lượng A", "Output A"),
    row("integer", "output_b", "Sản lượng B", "Output B"),
    row("calculate", "output_total", calculation="${output_a} + ${output_b}"),
    row("integer", "output_sold", "Đã bán", "Sold", constraint=". <= ${output_total}"),
    row("end_repeat", ""),
]
CHOICES = [
    ["list_name", "name", VI, EN, "district"],
    ["district", "chau_thanh", "Châu Thành", "Chau Thanh", ""],
    ["district", "long_my", "Long Mỹ", "Long My", ""],
    ["commune", "nga_sau", "Ngã Sáu", "Nga Sau", "chau_thanh"],
    ["commune", "cai_tac", "Cái Tắc", "Cai Tac", "chau_thanh"],
    ["commune", "vinh_vien", "Vĩnh Viễn", "Vinh Vien", "long_my"],
    ["market", "cho_nga_sau", "Chợ Ngã Sáu", "Nga Sau market", "chau_thanh"],
    ["market", "cho_long_my", "Chợ Long Mỹ", "Long My market", "long_my"],
]
SETTINGS = [["form_title", "form_id", "version", "default_language"],
            ["Phiếu lao động", "calc-2026", "1", "Tiếng Việt (vi)"]]
GOOD = {"workers_total": "5", "workers_female": "2", "men_trained": "3", "district": "chau_thanh",
        "commune": "cai_tac", "markets": ["cho_nga_sau"],
        "products": [{"output_a": "4", "output_b": "6", "output_sold": "10"}]}


def calc_workbook(survey=None, choices=None) -> bytes:
    return workbook(SURVEY if survey is None else survey, CHOICES if choices is None else choices, SETTINGS,
                    survey_header=HEADER)


def imported(app, session, data: bytes | None = None):
    with app.test_request_context("/"):
        checked = check_upload(session, registry(), "calc.xlsx", data or calc_workbook())
    assert checked.ok, [p.message for p in checked.problems]
    return checked


def check(definition, answers, submit=True, language="en"):
    with force_locale(language):
        outcome = check_answers(definition, answers, submit=submit, language=language, today="2026-12-06")
        return outcome.answers, {key: str(message) for key, message in outcome.errors.items()}


def test_a_calculate_and_a_choice_filter_are_imported(app, session):
    checked = imported(app, session)
    definition = checked.definition
    calculate = definition.by_name["workers_male"]
    assert calculate.kind == "calculate" and calculate.calculation_text == "${workers_total} - ${workers_female}"
    assert calculate.calculation == ["op", "-", ["ref", "workers_total"], ["ref", "workers_female"]]
    assert "workers_male" not in [q.name for q in definition.questions()]  # computed, not asked
    commune = definition.by_name["commune"]
    assert commune.choice_filter_text == "district=${district}"
    assert commune.choice_filter == ["op", "=", ["col", "district"], ["ref", "district"]]
    assert definition.choices["commune"][0].extra == {"district": "chau_thanh"}
    assert definition.choices["district"][0].extra == {}
    # The canonical Markdown keeps both columns and the choices' own column.
    markdown = checked.candidate.markdown
    assert "| calculation | choice_filter |" in markdown
    assert "| list_name | name | label::vi | label::en | district |" in markdown


def test_the_server_computes_calculates_in_document_order_and_per_row(app, session):
    definition = imported(app, session).definition
    answers, errors = check(definition, GOOD)
    assert errors == {}
    assert answers["workers_male"] == 3 and answers["male_share"] == 0.6
    assert answers["why_no_men"] is None  # relevant only when there are no men
    assert answers["products"] == [{"output_a": 4, "output_b": 6, "output_total": 10, "output_sold": 10}]
    # A value sent for a calculate is not trusted: the server computes it.
    answers, _errors = check(definition, {**GOOD, "workers_male": "99"})
    assert answers["workers_male"] == 3


def test_rules_of_later_questions_read_a_calculate(app, session):
    definition = imported(app, session).definition
    _answers, errors = check(definition, {**GOOD, "workers_female": "5", "men_trained": "1",
                                          "products": [{"output_a": "1", "output_b": "1", "output_sold": "3"}]})
    assert errors == {"why_no_men": "This answer is required.", "men_trained": "No more than the men",
                      "products-0-output_sold": "This answer is not allowed (. <= ${output_total})."}
    answers, errors = check(definition, {**GOOD, "workers_female": "5", "men_trained": "", "why_no_men": "Dệt"})
    assert errors == {} and answers["workers_male"] == 0 and answers["why_no_men"] == "Dệt"


def test_an_answer_the_choice_filter_leaves_out_is_refused(app, session):
    definition = imported(app, session).definition
    _answers, errors = check(definition, {**GOOD, "commune": "vinh_vien", "markets": ["cho_long_my"]})
    assert errors == {"commune": "This option does not fit the answers given above.",
                      "markets": "This option does not fit the answers given above."}
    with app.test_request_context("/"):  # a draft is refused it too, in Vietnamese first
        _answers, errors = check(definition, {**GOOD, "commune": "vinh_vien"}, submit=False, language="vi")
    assert errors == {"commune": "Lựa chọn này không phù hợp với các câu trả lời ở trên."}
    answers, errors = check(definition, {**GOOD, "district": "long_my", "commune": "vinh_vien",
                                         "markets": ["cho_long_my"]})
    assert errors == {} and answers["commune"] == "vinh_vien"


def test_a_save_stores_the_calculated_values(app, session, add_establishment):
    from surveyapp.accounts.services import user_by_username
    from surveyapp.models import SurveyRound
    from surveyapp.questionnaire.publishing import publish
    from surveyapp.survey.services import definition_for, save_record

    checked = imported(app, session)
    survey_round = SurveyRound(code="2026", title="Lao động 2026", questionnaire_id="calc-2026",
                               questionnaire_version="1", is_open=True)
    session.add(survey_round)
    session.commit()
    with app.test_request_context("/"):
        publish(session, registry(), checked.definition.source_text, "calc.xlsx", actor_id=None)
        definition = definition_for(session, registry(), "calc-2026", "1")
    enumerator = user_by_username(session, "enumerator")
    saved = save_record(session, establishment=add_establishment(), survey_round=survey_round,
                        definition=definition, raw_answers=GOOD, submit=True, actor_id=enumerator.id,
                        actor_role="enumerator")
    assert saved.ok, saved.errors
    session.commit()
    assert saved.record.answers["workers_male"] == 3
    assert saved.record.answers["products"][0]["output_total"] == 10
    refused = save_record(session, establishment=add_establishment(name="Khác"), survey_round=survey_round,
                          definition=definition, raw_answers={**GOOD, "commune": "vinh_vien"}, submit=True,
                          actor_id=enumerator.id, actor_role="enumerator")
    assert not refused.ok and "commune" in refused.errors


def test_the_api_json_and_the_page_carry_the_calculation_and_the_filter(app, session):
    definition = imported(app, session).definition
    document = definition_json(definition)
    items = {item["name"]: item for item in document["items"]}
    assert items["workers_male"]["type"] == "calculate"
    assert items["workers_male"]["calculation"] == definition.by_name["workers_male"].calculation
    assert items["workers_male"]["calculation_text"] == "${workers_total} - ${workers_female}"
    assert items["commune"]["choice_filter"] == ["op", "=", ["col", "district"], ["ref", "district"]]
    assert document["choices"]["commune"][2] == {"name": "vinh_vien", "label": {"vi": "Vĩnh Viễn", "en": "Vinh Vien"},
                                                 "extra": {"district": "long_my"}}
    with app.test_request_context("/"):
        page = browser_questions(definition, "vi")
    assert page["workers_male"]["calculation"] == definition.by_name["workers_male"].calculation
    assert page["commune"]["choice_filter"] == definition.by_name["commune"].choice_filter
    assert page["commune"]["choice_columns"]["vinh_vien"] == {"name": "vinh_vien", "district": "long_my"}


def test_the_xform_has_calculate_binds_and_the_choice_filter(app, session):
    definition = imported(app, session).definition
    xml = xform_xml(definition)
    assert 'calculate=" /data/workers_total  -  /data/workers_female "' in xml
    assert "instance('commune')/root/item[district= /data/district ]" in xml


def test_md_to_xlsx_and_back_keeps_both(app, session):
    original = imported(app, session).definition
    again = imported(app, session, workbook_bytes(original.source_text)).definition
    assert again.source_text == original.source_text
    assert again.choices == original.choices


def load(survey_rows: list[str], choices: str = "| | commune | a | A | x |") -> None:
    text = ("| settings |\n| | form_id | version |\n| | f | 1 |\n\n| survey |\n"
            "| | type | name | label::vi | calculation | choice_filter | relevant |\n"
            + "\n".join(survey_rows) + "\n\n| choices |\n| | list_name | name | label::vi | district |\n" + choices + "\n")
    load_definition(text, "f.md")


@pytest.mark.parametrize("rows, problem", [
    (["| | calculate | c | | | | |"], "calculate 'c' has no calculation"),
    (["| | calculate | c | | ${nowhere} + 1 | | |"], "calculation of 'c' refers to unknown field ${nowhere}"),
    (["| | calculate | c | | ${d} * 2 | | |", "| | integer | d | D | | | |"],
     "calculation of 'c' refers to ${d}, which comes after it"),
    (["| | calculate | c | | ${c} + 1 | | |"], "calculation of 'c' refers to ${c}, which comes after it"),
    (["| | calculate | c | | . + 1 | | |"], "calculation of 'c' uses '.', which only constraints may"),
    (["| | calculate | c | | 1 + | | |"], "calculation '1 +': unexpected end of expression at position 3"),
    (["| | integer | n | N | | district = 'x' | |"], "choice_filter applies to select_one and select_multiple"),
    (["| | integer | n | N | 1 + 1 | | |"], "calculation applies to calculate rows only, not integer"),
    (["| | select_one commune | s | S | | distrct = 'x' | |"],
     "choice_filter of 's' reads column 'distrct', which the choices sheet does not have"),
    (["| | integer | n | N | | | district = 'x' |"], "unexpected name 'district' (a field is written ${district})"),
])
def test_bad_calculations_and_filters_are_refused(rows, problem):
    with pytest.raises(DefinitionError) as refused:
        load(rows)
    assert problem in str(refused.value)


def test_the_paper_questionnaire_skips_the_calculate_and_prints_every_choice(app, session, client_as):
    from .test_print import text_of

    with app.test_request_context("/"):
        checked = check_upload(session, registry(), "calc.xlsx", calc_workbook())
        publish(session, registry(), checked.definition.source_text, "calc.xlsx", actor_id=None)
    session.commit()
    page = client_as("enumerator").get("/questionnaires/calc-2026/print?version=1")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "workers_male" not in page.text and "output_total" not in page.text  # computed, never asked
    assert "1. Tổng số lao động" in text and "3. Vì sao không có lao động nam?" in text
    assert "Nếu thỏa điều kiện thì trả lời câu 3." in text  # it reads a calculate: said generally
    assert "Vĩnh Viễn" in text and "Ngã Sáu" in text  # on paper every commune is offered
    assert "${" not in text


def test_a_vietnamese_upload_problem_names_the_calculation_cell(app, session):
    from .test_xlsform import problem_lines

    survey = [row("calculate", "doubled", calculation="${later} * 2"), row("integer", "later", "Sau", "Later")]
    with app.test_request_context("/"):
        checked = check_upload(session, registry(), "calc.xlsx", calc_workbook(survey))
    assert problem_lines(app, checked, "vi") == [
        "trang survey, dòng 2, cột O: calculation của 'doubled' dùng ${later}, câu đứng sau nó"]


def test_a_calculate_without_a_label_is_named_by_its_name(app, session):
    definition = imported(app, session).definition
    assert definition.by_name["workers_male"].text("label", "vi") == "workers_male"
    assert definition.by_name["workers_total"].text("label", "en") == "Workers"
