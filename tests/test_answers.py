"""Answers against a definition: types, skip logic, required, constraints; the generated form."""
from __future__ import annotations

from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from surveyapp.questionnaire.answers import check_answers
from surveyapp.questionnaire.builder import attach_errors, build_form_class, form_data, raw_answers
from surveyapp.questionnaire.definition import load_definition, load_definition_file

ALL_TYPES = """
| settings |
|  | form_id | version | form_title | form_title_en |
|  | all-types | 3 | Mọi kiểu | Every type |

| survey |
|  | type | name | label::vi | label::en | required | constraint | constraint_message::vi | constraint_message::en | relevant | appearance |
|  | note | intro | Giới thiệu | Intro | | | | | | |
|  | begin_group | main | Chính | Main | | | | | | |
|  | text | title | Tên | Title | yes | | | | | |
|  | integer | total | Tổng | Total | yes | . >= 1 | Ít nhất 1 | At least 1 | | |
|  | integer | female | Nữ | Female | | . <= ${total} | Số nữ không lớn hơn tổng | Female cannot exceed total | | |
|  | decimal | share | Tỷ lệ | Share | | . >= 0 and . <= 100 | 0–100 | 0–100 | | |
|  | date | since | Từ ngày | Since | | . <= today() | Không ở tương lai | Not in the future | | |
|  | select_one form | form | Loại hình | Form | yes | | | | | |
|  | text | tax | Mã số thuế | Tax code | | regex(., '^[0-9]{10}(-?[0-9]{3})?$') | Mã số thuế gồm 10 hoặc 13 chữ số | 10 or 13 digits | ${form} = 'enterprise' | |
|  | select_multiple need | needs | Nhu cầu | Needs | | | | | | |
|  | text | other | Khác | Other | yes | | | | selected(${needs}, 'other') | |
|  | select_one form | form2 | Loại 2 | Form 2 | | | | | | minimal |
|  | geopoint | point | Vị trí | Location | | | | | | |
|  | end_group | main | | | | | | | | |
|  | begin_repeat | products | Sản phẩm | Products | | | | | | |
|  | text | product | Tên | Name | yes | | | | | |
|  | decimal | value | Giá trị | Value | | . >= 0 | Không âm | Not negative | | |
|  | end_repeat | products | | | | | | | | |
|  | integer | product_count | Số SP | Products | | . = count(${products}) | Khớp số dòng | Match rows | | |

| choices |
|  | list_name | name | label::vi | label::en |
|  | form | enterprise | Doanh nghiệp | Enterprise |
|  | form | household | Hộ gia đình | Household |
|  | need | training | Đào tạo | Training |
|  | need | credit | Vốn | Credit |
|  | need | other | Khác | Other |
"""


@pytest.fixture(scope="module")
def definition():
    return load_definition(ALL_TYPES, "forms/all-types.md")


def full_raw(**changes):
    raw = {
        "title": "  Cơ sở Bánh Pía  ", "total": "1.500", "female": "700", "share": "12,5", "since": "26/11/2020",
        "form": "enterprise", "tax": "0312345678-001", "needs": ["other", "training"], "other": "Mặt bằng",
        "form2": "household", "point": {"lat": "9,6025", "lon": "105.9739", "accuracy": "8"},
        "products": [{"product": "Bánh pía", "value": "1.234,5"}, {"product": "", "value": ""},
                     {"product": "Lạp xưởng", "value": "0"}],
        "product_count": "2",
    }
    raw.update(changes)
    return raw


def test_every_type_is_typed(definition):
    outcome = check_answers(definition, full_raw(), submit=True, today="2026-11-26")
    assert outcome.errors == {}
    assert outcome.answers == {
        "title": "Cơ sở Bánh Pía", "total": 1500, "female": 700, "share": 12.5, "since": "2020-11-26",
        "form": "enterprise", "tax": "0312345678-001", "needs": ["training", "other"], "other": "Mặt bằng",
        "form2": "household", "point": {"lat": 9.6025, "lon": 105.9739, "accuracy": 8.0},
        "products": [{"product": "Bánh pía", "value": 1234.5}, {"product": "Lạp xưởng", "value": 0}],
        "product_count": 2,
    }


def test_json_values_are_accepted_as_they_are(definition):
    typed = check_answers(definition, full_raw(), submit=True, today="2026-11-26").answers
    again = check_answers(definition, typed, submit=True, today="2026-11-26")
    assert again.errors == {} and again.answers == typed


def test_round_trip_through_the_generated_form(app, definition):
    """answers → form data → posted form → raw answers → the same answers, for every type and a repeat."""
    answers = check_answers(definition, full_raw(), submit=True, today="2026-11-26").answers
    form_class = build_form_class(definition, "vi")
    with app.test_request_context("/", method="POST"):
        shown = form_class(formdata=None, data=form_data(definition, answers, "vi"))
        posted = MultiDict()
        for field in shown:
            if field.type == "FieldList":
                for entry in field.entries:
                    for sub in entry.form:
                        posted.add(sub.name, sub.data)
            elif field.type == "FormField":
                for sub in field.form:
                    posted.add(sub.name, sub.data or "")
            elif field.type in ("SelectMultipleField", "CheckboxListField"):
                for value in field.data:
                    posted.add(field.name, value)
            elif field.type != "CSRFTokenField":
                posted.add(field.name, field.data)
        submitted = form_class(formdata=posted)
        again = check_answers(definition, raw_answers(submitted, definition), submit=True, today="2026-11-26")
    assert again.errors == {}
    assert again.answers == answers


@pytest.mark.parametrize(("raw", "language", "expected"), [
    ("1.500.000", "vi", 1500000), ("1,500,000", "en", 1500000), ("1 500", "vi", 1500), ("42", "vi", 42),
])
def test_integers_with_group_separators(definition, raw, language, expected):
    outcome = check_answers(definition, {"total": raw}, submit=False, language=language)
    assert outcome.answers["total"] == expected


@pytest.mark.parametrize(("raw", "language", "expected"), [
    ("12,5", "vi", 12.5), ("12.5", "vi", 12.5), ("1.234,5", "vi", 1234.5), ("1.500", "vi", 1500),
    ("1,500", "en", 1500), ("1.5", "en", 1.5), ("1,234.5", "en", 1234.5), ("0,25", "en", 0.25), ("7", "vi", 7),
])
def test_decimals_follow_the_language(definition, raw, language, expected):
    assert check_answers(definition, {"share": raw}, submit=False, language=language).answers["share"] == expected


@pytest.mark.parametrize(("name", "raw"), [
    ("total", "abc"), ("total", "1.5"), ("share", "12,5,6"), ("since", "31/02/2020"), ("since", "yesterday"),
    ("form", "corporation"), ("needs", ["training", "magic"]), ("point", {"lat": "north", "lon": "1"}),
    ("point", {"lat": "95", "lon": "105"}),
])
def test_type_errors_even_in_a_draft(definition, name, raw):
    outcome = check_answers(definition, {name: raw}, submit=False)
    assert name in outcome.errors


def test_a_draft_does_not_enforce_required_or_constraints(definition):
    outcome = check_answers(definition, {"female": "900", "total": "10"}, submit=False)
    assert outcome.errors == {}
    assert outcome.answers["female"] == 900


def test_submit_enforces_required_fields(definition):
    outcome = check_answers(definition, {"needs": ["other"]}, submit=True, language="vi")
    assert outcome.errors["title"] == "This answer is required."  # outside a request: no translation
    assert {"title", "total", "form", "other"} <= set(outcome.errors)


def test_cross_field_constraint_message_in_each_language(definition):
    vi = check_answers(definition, full_raw(female="1.600", product_count="1", products=[{"product": "A", "value": "1"}]), submit=True, language="vi", today="2026-11-26")
    assert vi.errors == {"female": "Số nữ không lớn hơn tổng"}
    english = full_raw(female="1,600", total="1,500", share="12.5",
                       products=[{"product": "Bánh pía", "value": "1,234.5"}], product_count="1")
    en = check_answers(definition, english, submit=True, language="en", today="2026-11-26")
    assert en.errors == {"female": "Female cannot exceed total"}


@pytest.mark.parametrize(("tax", "ok"), [
    ("0312345678", True), ("0312345678001", True), ("0312345678-001", True), ("12345", False),
    ("03123456789", False), ("031234567A", False),
])
def test_tax_code_of_10_or_13_digits(definition, tax, ok):
    outcome = check_answers(definition, full_raw(tax=tax), submit=True, today="2026-11-26")
    assert ("tax" not in outcome.errors) is ok


def test_irrelevant_answers_are_dropped_and_not_validated(definition):
    outcome = check_answers(definition, full_raw(form="household", tax="not a tax code", needs=["credit"],
                                                 other=""), submit=True, today="2026-11-26")
    assert outcome.errors == {}
    assert outcome.answers["tax"] is None and outcome.answers["other"] is None


def test_dates_in_the_future_are_refused(definition):
    outcome = check_answers(definition, full_raw(since="2027-01-01"), submit=True, today="2026-11-26")
    assert outcome.errors == {"since": "Không ở tương lai"}


def test_repeat_rows_errors_are_keyed_like_the_form(definition):
    raw = full_raw(products=[{"product": "A", "value": "1"}, {"product": "", "value": "-3"}])
    outcome = check_answers(definition, raw, submit=True, today="2026-11-26")
    assert outcome.errors == {"products-1-product": "This answer is required.", "products-1-value": "Không âm"}


def test_count_of_a_repeat_in_a_constraint(definition):
    outcome = check_answers(definition, full_raw(product_count="3"), submit=True, today="2026-11-26")
    assert outcome.errors == {"product_count": "Khớp số dòng"}


def test_errors_are_placed_beside_their_fields(app, definition):
    form_class = build_form_class(definition, "vi")
    data = MultiDict([("total", "10"), ("female", "20"), ("products-0-product", ""), ("products-0-value", "-1")])
    with app.test_request_context("/", method="POST"):
        form = form_class(formdata=data)
        outcome = check_answers(definition, raw_answers(form, definition), submit=True)
        summary = attach_errors(form, outcome.errors)
        assert form.female.errors == ["Số nữ không lớn hơn tổng"]
        assert form.products.entries[0].form.value.errors == ["Không âm"]
        assert ("products-0-value", "Không âm") in summary
        assert form.total.data == "10" and form.female.data == "20"  # what was typed stays


def test_the_generated_form_has_csrf_and_one_field_per_question(app):
    definition = load_definition_file(Path(__file__).parents[1] / "forms" / "cnnt-2018.md")
    form_class = build_form_class(definition, "vi")
    with app.test_request_context("/"):
        app.config["WTF_CSRF_ENABLED"] = True
        form = form_class()
        assert "csrf_token" in form
        top_level = [q.name for q in definition.questions() if not q.repeat]
        assert all(name in form for name in top_level)
        assert (form.legal_form.choices[0].value, form.legal_form.choices[0].label) == (
            "enterprise", "Doanh nghiệp nhỏ và vừa (DNNVV)")


IN_ROW = """
| settings |
|  | form_id | version | form_title |
|  | in-row | 1 | Trong dòng |

| survey |
|  | type | name | label::vi | label::en | required | constraint | relevant |
|  | integer | total | Tổng | Total | yes | . >= 1 | |
|  | begin_group | more | Thêm | More | | | ${total} > 1 |
|  | integer | part | Phần | Part | | . >= 0 and . <= ${total} | |
|  | end_group | more | | | | | |
|  | begin_repeat | rows | Dòng | Rows | | | |
|  | decimal | low | Thấp | Low | | . >= 0 | |
|  | decimal | high | Cao | High | yes | not(. < coalesce(${low}, 0)) | |
|  | end_repeat | rows | | | | | |
|  | integer | rows_count | Số dòng | Rows | | . = count(${rows}) | |

| choices |
|  | list_name | name | label::vi | label::en |
|  | yes_no | yes | Có | Yes |
"""


@pytest.mark.parametrize("raw", [
    {"total": 5, "part": 6, "rows": [{"low": 3, "high": 2}, {"high": 1}, {"low": -1}], "rows_count": 2},
    {"total": 1, "part": -4, "rows": [{"low": "", "high": 4}], "rows_count": 1},
    {"total": "x", "part": 2, "rows": [], "rows_count": 0},
    {"total": 0, "rows": [{"low": "a", "high": "b"}]},
    {"part": 3, "rows_count": 1},
    {},
])
def test_rule_violations_are_the_type_and_constraint_errors_of_a_submission(raw):
    """The report's judge skips what is unanswered; it must still agree with the submission's."""
    from surveyapp.questionnaire.answers import rule_violations

    definition = load_definition(IN_ROW, "forms/in-row.md")
    errors = check_answers(definition, raw, submit=True).errors
    required = {key for key, message in errors.items() if message == "This answer is required."}
    violations = rule_violations(definition, raw)
    assert {v.key: v.message for v in violations} == {k: m for k, m in errors.items() if k not in required}


def test_rule_violations_on_every_type(definition):
    from surveyapp.questionnaire.answers import rule_violations

    raw = full_raw(total="-3", female="5", share="120", since="01/01/2999", tax="12", products=[
        {"product": "Bánh", "value": "-1"}, {"product": "", "value": "2"}], product_count="9")
    errors = check_answers(definition, raw, submit=True).errors
    violations = rule_violations(definition, raw)
    assert {v.key for v in violations} == {
        "total", "female", "share", "since", "tax", "products-0-value", "product_count"}
    assert set(errors) - {v.key for v in violations} == {"products-1-product"}  # required: not a rule broken
    assert next(v for v in violations if v.key == "share").value == 120
