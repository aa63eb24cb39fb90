"""Validation as you type, from the one definition: the browser judges answers as the server does.

tests/validation_cases.json is the contract: each case is checked by answers.check_answers here and,
in headless Chromium, by surveyapp/static/js/validation.js with what the page carries
(validation.browser_questions / browser_texts); both must give the expected messages, in order.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask_babel import force_locale

from surveyapp.questionnaire.answers import check_answers
from surveyapp.questionnaire.definition import load_definition_file
from surveyapp.questionnaire.validation import browser_questions, browser_texts, named, named_errors, question_label

ROOT = Path(__file__).resolve().parents[1]
JS_FILES = [ROOT / "surveyapp" / "static" / "js" / name for name in ("expressions.js", "validation.js")]
SHARED = json.loads((Path(__file__).parent / "validation_cases.json").read_text(encoding="utf-8"))
CASES = SHARED["cases"]
DEFINITION = load_definition_file(ROOT / SHARED["form"])


def answers_of(case) -> dict:
    return {**SHARED["base"], **case["changes"]}


def server_errors(case) -> list[list[str]]:
    with force_locale(case.get("language", "vi")):
        outcome = check_answers(DEFINITION, answers_of(case), submit=case.get("submit", True),
                                language=case.get("language", "vi"), today=SHARED["today"])
    return [[key, message] for key, message in outcome.errors.items()]


def test_the_shared_cases_cover_every_kind_of_rule():
    assert len(CASES) >= 50
    names = " ".join(case["name"] for case in CASES)
    for topic in ("required", "women", "Vietnamese thousands", "decimal comma", "English", "hidden", "row",
                  "draft", "date", "option", "point", "document order"):
        assert topic in names, topic
    assert len({case["name"] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_the_server_judges_every_case_as_expected(app, case):
    with app.test_request_context():
        assert server_errors(case) == case["errors"]


@pytest.mark.browser
def test_the_browser_judges_every_case_as_the_server_does(app, page):
    page.goto("about:blank")
    for path in JS_FILES:
        page.add_script_tag(path=str(path))
    payload = []
    with app.test_request_context():
        for case in CASES:
            language = case.get("language", "vi")
            with force_locale(language):
                payload.append({"questions": browser_questions(DEFINITION, language), "texts": browser_texts(language),
                                "answers": answers_of(case), "submit": case.get("submit", True)})
        server = [server_errors(case) for case in CASES]
    browser = page.evaluate("""([cases, today]) => cases.map((c) => {
        const result = window.SurveyValidation.check(c.questions, c.texts, c.answers, {submit: c.submit, today});
        return Object.keys(result.errors).map((key) => [key, result.errors[key]]);
    })""", [payload, SHARED["today"]])
    disagreements = [(case["name"], js, py) for case, js, py in zip(CASES, browser, server) if js != py]
    assert disagreements == []
    assert browser == [case["errors"] for case in CASES]


def test_error_messages_name_their_question(app):
    with app.test_request_context(), force_locale("vi"):
        assert question_label(DEFINITION, "total", "vi") == "Tổng số lao động"
        assert question_label(DEFINITION, "products-1-value", "vi") == "Sản phẩm 2 · Giá trị"
        assert question_label(DEFINITION, "products-1-value", "en") == "Product 2 · Value"
        assert question_label(DEFINITION, "nonsense", "vi") == ""
        assert question_label(DEFINITION, "products-x-value", "vi") == ""
        assert named(DEFINITION, "total", "Câu này bắt buộc.", "vi") == "Tổng số lao động: Câu này bắt buộc."
        assert named(DEFINITION, "nonsense", "Lỗi.", "vi") == "Lỗi."
        assert named_errors(DEFINITION, {"female": "x", "products-0-product": "y"}, "en") == [
            {"field": "female", "label": "Women", "message": "x"},
            {"field": "products-0-product", "label": "Product 1 · Product name", "message": "y"}]


def test_the_page_carries_messages_in_its_language(app):
    with app.test_request_context(), force_locale("vi"):
        questions = browser_questions(DEFINITION, "vi")
        texts = browser_texts("vi")
    assert list(questions) == [item.name for item in DEFINITION.walk()]
    assert questions["female"]["label"] == "Lao động nữ"
    assert questions["female"]["constraint_message"] == "Số lao động nữ phải từ 0 đến tổng số lao động"
    assert questions["female"]["constraint"] == DEFINITION.by_name["female"].constraint
    assert questions["total"]["required"] == "Câu này bắt buộc."
    assert questions["owner"]["required"] == "Ghi tên chủ cơ sở" and questions["owner"]["parent"] == "details"
    assert questions["value"]["repeat"] == "products" and questions["value"]["parent"] == "products"
    assert questions["energy"]["choices"] == ["grid", "other", "none"]
    assert "required" not in questions["female"]
    assert texts["integer"] == "Nhập số nguyên, ví dụ 1500 hoặc 1.500." and texts["language"] == "vi"
    assert texts["unknown_option"] == "Phương án trả lời không hợp lệ: {value}"
