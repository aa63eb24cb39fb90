"""Paper backup: the blank questionnaire and one filled record print with numbers, boxes and skip rules in words."""
from __future__ import annotations

import html
import re

import pytest
from flask_babel import force_locale

from surveyapp.questionnaire.definition import load_definition
from surveyapp.questionnaire.expressions import parse
from surveyapp.questionnaire.registry import registry
from surveyapp.questionnaire.words import condition_in_words, question_numbers, skip_instruction

from .test_questionnaire_definition import form
from .test_record_lock import approved  # noqa: F401 (a fixture)

BLANK = "/questionnaires/cnnt-2019/print"


def text_of(page: str) -> str:
    """The page's words, tags dropped and spaces collapsed (what a reader of the paper sees)."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def record_url(establishment, record) -> str:
    return f"/establishments/{establishment.code}/records/{record.uuid}/print"


@pytest.fixture
def cnnt_2019(app):
    with app.test_request_context("/"):
        yield registry().get("cnnt-2019")


def words(app, definition, expression: str, language: str = "vi") -> str:
    with app.test_request_context("/"), force_locale(language):
        return condition_in_words(parse(expression), definition, question_numbers(definition), language)


def test_skip_rules_read_as_words_with_numbers_and_choice_labels(app, cnnt_2019):
    numbers = question_numbers(cnnt_2019)
    assert (numbers["visit_type"], numbers["operating_status"]) == (1, 2)  # notes have no number
    cluster, name = numbers["in_industrial_cluster"], numbers["industrial_cluster_name"]
    with app.test_request_context("/"), force_locale("vi"):
        sentence = skip_instruction(cnnt_2019.by_name["industrial_cluster_name"], cnnt_2019, numbers, "vi")
        group = skip_instruction(cnnt_2019.by_name["machines"], cnnt_2019, numbers, "vi")
        always = skip_instruction(cnnt_2019.by_name["visit_type"], cnnt_2019, numbers, "vi")
    assert sentence == f"Nếu câu {cluster} = Có thì trả lời câu {name}."
    machines = [numbers[q.name] for q in cnnt_2019.by_name["machines"].children]
    assert group == f"Nếu câu {numbers['has_machines']} = Có thì trả lời các câu {machines[0]}–{machines[-1]}."
    assert always is None
    with app.test_request_context("/"), force_locale("en"):
        english = skip_instruction(cnnt_2019.by_name["industrial_cluster_name"], cnnt_2019, numbers, "en")
    assert english == f"If question {cluster} = Yes, answer question {name}."


def test_each_common_shape_has_its_words_and_others_a_generic_sentence(app, cnnt_2019):
    n = question_numbers(cnnt_2019)
    legal, markets, workers = n["legal_form"], n["markets"], n["workers_total"]
    assert words(app, cnnt_2019, "${legal_form} != 'household'") == \
        f"câu {legal} ≠ Hộ gia đình sản xuất, chưa đăng ký kinh doanh"
    assert words(app, cnnt_2019, "selected(${markets}, 'export')") == f"câu {markets} có chọn Xuất khẩu"
    assert words(app, cnnt_2019, "not(selected(${markets}, 'export'))") == f"câu {markets} không chọn Xuất khẩu"
    assert words(app, cnnt_2019, "${workers_total} >= 10") == f"câu {workers} ≥ 10"
    assert words(app, cnnt_2019, "${workers_total} > 1500.5") == f"câu {workers} > 1.500,5"
    assert words(app, cnnt_2019, "${workers_total} > 1500.5", "en") == f"question {workers} > 1,500.5"
    assert words(app, cnnt_2019, "${ocop_stars} >= 3") == f"câu {n['ocop_stars']} ≥ 3 sao"  # a choice named 3
    assert words(app, cnnt_2019, "10 < ${workers_total}") == f"câu {workers} > 10"  # read from the question
    assert words(app, cnnt_2019, "${workers_female} <= ${workers_total}") == \
        f"câu {n['workers_female']} ≤ câu {workers}"
    assert words(app, cnnt_2019, "${phone} = ''") == f"câu {n['phone']} bỏ trống"
    assert words(app, cnnt_2019, "${phone} != ''") == f"câu {n['phone']} có trả lời"
    assert words(app, cnnt_2019, "${workers_total} > 5 and (${legal_form} = 'cooperative' or "
                                 "selected(${markets}, 'export'))") == \
        f"câu {workers} > 5 và (câu {legal} = Hợp tác xã (HTX) hoặc câu {markets} có chọn Xuất khẩu)"
    assert words(app, cnnt_2019, "not(${workers_total} > 5 and ${workers_female} > 1)") == \
        f"không phải (câu {workers} > 5 và câu {n['workers_female']} > 1)"
    assert words(app, cnnt_2019, "selected(${markets}, 'export')", "en") == f"question {markets} includes Export"
    # Anything else: which questions it depends on, never the expression or its AST.
    generic = words(app, cnnt_2019, "count-selected(${markets}) > 1 and ${workers_total} + 1 > 3")
    assert generic == f"thỏa điều kiện về các câu {workers}, {markets}" or \
        generic == f"thỏa điều kiện về các câu {min(workers, markets)}, {max(workers, markets)}"
    assert words(app, cnnt_2019, "true()") == "thỏa điều kiện"
    assert words(app, cnnt_2019, "string-length(${phone}) > 9", "en") == f"a condition on question {n['phone']} holds"


def test_a_condition_on_a_form_without_choices_shows_the_value_itself(app):
    definition = load_definition(form("text | code | Mã | Code |  |  |  | ",
                                      "note | hello | Xin chào | Hello |  |  | ${code} = 'A1' | "), "t.md")
    with app.test_request_context("/"), force_locale("vi"):
        numbers = question_numbers(definition)
        assert skip_instruction(definition.by_name["hello"], definition, numbers, "vi") == \
            "Nếu câu 1 = “A1” thì đọc ghi chú này."


def test_the_blank_questionnaire_prints_every_question_with_boxes_and_skip_rules(client_as, cnnt_2019):
    page = client_as("enumerator").get(BLANK)
    assert page.status_code == 200
    assert "css/print.css" in page.text and "<form" not in page.text.split("<main", 1)[1]
    text = text_of(page.text)
    numbers = question_numbers(cnnt_2019)
    for question in cnnt_2019.questions():
        assert f"{numbers[question.name]}. {question.text('label', 'vi')}" in text, question.name
    assert page.text.count('class="pq-box"') == sum(len(cnnt_2019.choices[q.list_name]) for q in cnnt_2019.questions()
                                                    if q.list_name)
    assert f"Nếu câu {numbers['in_industrial_cluster']} = Có thì trả lời câu {numbers['industrial_cluster_name']}." \
        in text
    assert "${" not in text and "['op'" not in text and "[&#39;op" not in page.text


def test_an_earlier_version_prints_and_unknown_forms_do_not(client_as):
    reader = client_as("analyst")
    assert reader.get(BLANK + "?version=1").status_code == 200  # kept in forms/previous/
    assert reader.get("/questionnaires/no-such-form/print").status_code == 404
    assert reader.get(BLANK + "?version=99").status_code == 404


def test_printing_needs_a_signed_in_user(anon_client, approved):  # noqa: F811
    establishment, record = approved
    for url in (BLANK, record_url(establishment, record)):
        response = anon_client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_filled_record_prints_its_answers_version_who_and_when(client_as, approved):  # noqa: F811
    establishment, record = approved
    page = client_as("enumerator").get(record_url(establishment, record))
    assert page.status_code == 200
    text = text_of(page.text)
    facts = text_of(page.text.split('id="record-facts"', 1)[1].split("</table>", 1)[0])
    assert "Cơ sở Bánh Pía Tân Huê Viên" in facts and establishment.code in facts
    assert "Phiên bản phiếu 1 · Đã duyệt" in facts  # version and status
    assert "Người điền" in facts and "enumerator" in facts.lower()  # who
    assert re.search(r"Lưu lần cuối \d{2}/\d{2}/\d{4} \d{2}:\d{2}", facts)  # when
    assert "1.200 triệu đồng" in text and "Đặng Thị Út" in text
    chosen = re.findall(r'<li class="pq-chosen"><span class="pq-box">X</span>\s*([^<]+?)\s*</li>', page.text)
    assert chosen == ["Cơ sở đã có trong CSDL 2018 (cập nhật ngắn)", "Đang hoạt động", "Hộ kinh doanh có đăng ký (HKD)",
                      "Không", "Đào tạo nghề, nâng cao tay nghề, năng lực quản lý"]


def test_a_record_prints_only_for_those_who_may_see_it(client, client_as, approved, add_establishment):  # noqa: F811
    establishment, record = approved
    assert client_as("supervisor").get(record_url(establishment, record)).status_code == 200
    assert client.get(record_url(establishment, record)).status_code == 200  # admin
    # An enumerator of another commune: as if it did not exist.
    assert client_as("enumerator2").get(record_url(establishment, record)).status_code == 404
    enumerator = client_as("enumerator")
    other = add_establishment(name="HTX Dệt chiếu", commune_code="31498")
    assert enumerator.get(f"/establishments/{establishment.code}/records/not-a-uuid/print").status_code == 404
    assert enumerator.get(f"/establishments/{other.code}/records/{record.uuid}/print").status_code == 404
    assert enumerator.get(f"/establishments/94-941-999999/records/{record.uuid}/print").status_code == 404


def test_the_rounds_page_and_the_record_page_link_their_prints(client, approved):  # noqa: F811
    establishment, record = approved
    assert "/questionnaires/cnnt-2019/print?version=2" in client.get("/admin/rounds").text
    assert 'id="print-blank" target="_blank" href="/questionnaires/cnnt-2019/print?version=2"' in \
        client.get("/survey/communes/31498?round=2019").text
    for page_url in (f"/survey/establishments/{establishment.code}/record?round=2019",
                     f"/establishments/{establishment.code}"):
        page = client.get(page_url).text
        assert f'href="{record_url(establishment, record)}"' in page and ">In</a>" in page
