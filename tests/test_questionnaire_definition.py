"""Questionnaire definitions in forms/: loading, checking, and the CNNT questionnaires themselves."""
from __future__ import annotations

from pathlib import Path

import pytest

from surveyapp.questionnaire.definition import DefinitionError, load_definition, load_definition_file
from surveyapp.questionnaire.markdown import read_sheets

FORMS = Path(__file__).parents[1] / "forms"
HEADER = ("| survey |\n|  | type | name | label::vi | label::en | required | constraint | relevant |"
          " establishment_field |\n")
SETTINGS = "| settings |\n|  | form_id | version | form_title |\n|  | t | 1 | Thử |\n"
CHOICES = "| choices |\n|  | list_name | name | label::vi | label::en |\n|  | yes_no | yes | Có | Yes |\n"


def form(*rows: str, choices: str = CHOICES) -> str:
    return SETTINGS + HEADER + "".join(f"|  | {row} |\n" for row in rows) + choices


def problems_of(text: str) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load_definition(text, "forms/t.md")
    return caught.value.lines()




@pytest.mark.parametrize("name", ["cnnt-2018", "cnnt-2019"])
def test_cnnt_questionnaires_load_with_both_languages(name):
    definition = load_definition_file(FORMS / f"{name}.md")
    assert definition.form_id == name and definition.version == "2"
    assert set(definition.title) == {"vi", "en"}
    questions = definition.questions()
    assert len(questions) >= 60
    for item in definition.walk():
        if item.label:
            assert item.label.get("vi") and item.label.get("en"), item.name
    kinds = {q.kind for q in definition.walk()}
    assert {"text", "integer", "decimal", "select_one", "select_multiple", "date", "geopoint", "note",
            "group", "repeat"} <= kinds
    names = {q.name for q in definition.walk()}
    assert {"establishment_name", "owner_name", "legal_form", "tax_code", "vsic_code", "location", "products",
            "workers_total", "workers_female", "revenue_million_vnd", "capital_million_vnd",
            "support_received", "needs"} <= names
    fields = {q.establishment_field for q in definition.walk() if q.establishment_field}
    assert {"name", "owner", "legal_form", "vsic_code", "location", "workers", "revenue_vnd"} <= fields


def test_the_census_covers_every_section_of_the_domain_notes():
    definition = load_definition_file(FORMS / "cnnt-2018.md")
    groups = [item for item in definition.items if item.kind == "group"]
    labels = " ".join(g.label["en"].lower() for g in groups)
    for section in ("identity", "location", "activity", "size", "inputs", "equipment", "environment",
                    "certification", "support received", "needs"):
        assert section in labels, section


def test_2019_has_a_full_path_and_a_short_update_path():
    definition = load_definition_file(FORMS / "cnnt-2019.md")
    visit = definition.by_name["visit_type"]
    assert visit.establishment_field == "visit_type"
    assert [c.name for c in definition.choices[visit.list_name]] == ["new", "update"]
    new_only = [g for g in definition.walk() if g.kind == "group" and "'new'" in g.relevant_text]
    assert new_only, "some sections are for newly found establishments only"


def test_cross_field_rules_are_in_the_definition():
    definition = load_definition_file(FORMS / "cnnt-2018.md")
    assert "${workers_total}" in definition.by_name["workers_female"].constraint_text
    assert "regex" in definition.by_name["tax_code"].constraint_text
    assert definition.by_name["workers_female"].constraint_message["vi"]


def test_forms_convert_to_an_odk_xform_with_pyxform():
    """Our files are real XLSForm: pyxform (ODK's converter) builds an XForm from each."""
    pytest.importorskip("pyxform")
    from pyxform import builder, xls2json

    for path in sorted(FORMS.glob("cnnt-*.md")):
        survey = builder.create_survey_element_from_dict(xls2json.parse_file_to_json(str(path)))
        xml = survey.to_xml(validate=False)
        assert "<h:html" in xml and "workers_female" in xml


def test_a_small_valid_form():
    definition = load_definition(form(
        "begin_group | g | Nhóm | Group | | | | ",
        "integer | total | Tổng | Total | yes | . >= 1 | | workers",
        "integer | part | Phần | Part | | . <= ${total} | ${total} > 0 | ",
        "end_group | g | | | | | | ",
        "begin repeat | rows | Dòng | Rows | | | | ",
        "text | item | Mục | Item | yes | | | ",
        "end repeat | | | | | | | ",
        "select_one yes_no | ok | Được? | OK? | | | | ",
    ), "forms/t.md")
    assert [q.name for q in definition.questions()] == ["total", "part", "item", "ok"]
    assert definition.by_name["item"].repeat == "rows"
    assert definition.by_name["part"].relevant == ["op", ">", ["ref", "total"], ["num", 0]]


@pytest.mark.parametrize(("rows", "expected"), [
    (["pick_one | a | A | A | | | | "], "line 6: unknown question type 'pick_one'"),
    (["select_one colours | a | A | A | | | | "], "line 6: choice list 'colours' of 'a' is not in the choices sheet"),
    (["select_one | a | A | A | | | | "], "line 6: select_one 'a' names no choice list"),
    (["text | a | A | A | | | | ", "integer | a | B | B | | | | "], "line 7: name 'a' is already used on line 6"),
    (["integer | a | A | A | | . <= ${b} | | "], "line 6: constraint of 'a' refers to unknown field ${b}"),
    (["integer | a | A | A | | | ${zz} = 1 | "], "line 6: relevant of 'a' refers to unknown field ${zz}"),
    (["integer | a | A | A | | . <= | | "], "line 6: constraint '. <='"),
    (["integer | a | A | A | | | . > 1 | "], "line 6: relevant of 'a' uses '.'"),
    (["begin_group | g | G | G | | | | "], "line 6: group 'g' is never closed"),
    (["end_group | g | | | | | | "], "line 6: end_group without a matching begin_group"),
    (["begin_repeat | r | R | R | | | | ", "begin_repeat | s | S | S | | | | ", "end_repeat | | | | | | | ",
      "end_repeat | | | | | | | "], "line 7: repeat 's' inside repeat 'r' is not supported"),
    (["text | 2bad | A | A | | | | "], "line 6: name '2bad' must be"),
    (["text | a | A | | | | | "], "line 6: 'a' has no label::en"),
    (["text | a | A | A | | | | colour"], "line 6: unknown establishment_field 'colour'"),
    (["text | a | A | A | | | | name", "text | b | B | B | | | | name"],
     "line 7: establishment_field 'name' is already used on line 6"),
])
def test_definition_errors_name_the_file_the_line_and_the_problem(rows, expected):
    problems = problems_of(form(*rows))
    assert any(line.startswith("forms/t.md, ") and expected in line for line in problems), problems


def test_every_problem_is_reported_at_once():
    problems = problems_of(form("pick | a | A | A | | | | ", "text | b | B | B | | | ${nope} = 1 | "))
    assert len(problems) == 2


def test_missing_sheets_and_settings():
    assert any("missing sheet 'choices'" in p for p in problems_of(SETTINGS + HEADER + "|  | text | a | A | A | | | | |\n"))
    bad_settings = "| settings |\n|  | form_id | version |\n|  | Bad Id! |  |\n" + HEADER + CHOICES
    problems = problems_of(bad_settings)
    assert any("form_id must be" in p for p in problems) and any("version is missing" in p for p in problems)


def test_unknown_column_is_reported():
    text = SETTINGS + "| survey |\n|  | type | name | lable::vi |\n|  | text | a | A |\n" + CHOICES
    assert any("unknown column(s): lable::vi" in p for p in problems_of(text))


def test_markdown_tables_with_pipes_rules_and_notes():
    sheets = read_sheets("Title line\n\n| survey |\n|  | type | name |\n|---|---|---|\n|  | text | a\\|b |\n\nnote\n")
    assert sheets["survey"].columns == ["type", "name"]
    assert sheets["survey"].rows[0].values == {"type": "text", "name": "a|b"}
    assert sheets["survey"].rows[0].line == 6


def test_forms_check_cli_passes_on_the_real_forms(runner):
    result = runner.invoke(args=["forms", "check"])
    assert result.exit_code == 0, result.output
    assert "cnnt-2018 version 2" in result.output and "cnnt-2019 version 2" in result.output


def test_forms_check_cli_reports_broken_files(tmp_path, databases, template_url):
    from .conftest import build_app, dispose

    (tmp_path / "broken.md").write_text(form("pick | a | A | A | | | | "), encoding="utf-8")
    (tmp_path / "README.md").write_text("# not a form\n", encoding="utf-8")
    app = build_app(databases.copy(template_url), FORMS_DIR=str(tmp_path))
    try:
        result = app.test_cli_runner().invoke(args=["forms", "check"])
    finally:
        dispose(app)
    assert result.exit_code == 1
    assert "forms/broken.md, line 6: unknown question type 'pick'" in result.output


GPS_HEADER = "| survey |\n|  | type | name | label::vi | label::en | max_accuracy_m |\n"


def test_a_geopoint_names_the_gps_accuracy_it_asks_for():
    definition = load_definition(SETTINGS + GPS_HEADER + "|  | geopoint | here | Vị trí | Position | 25 |\n"
                                 "|  | geopoint | there | Nơi khác | Elsewhere |  |\n" + CHOICES, "forms/t.md")
    assert definition.by_name["here"].max_accuracy_m == 25
    assert definition.by_name["there"].max_accuracy_m is None  # the app's GPS_MAX_ACCURACY_M applies


@pytest.mark.parametrize(("row", "expected"), [
    ("text | a | A | A | 10", "line 6: max_accuracy_m applies to geopoint questions only, not text"),
    ("geopoint | a | A | A | ten", "line 6: max_accuracy_m must be a number of metres above 0: 'ten'"),
    ("geopoint | a | A | A | 0", "line 6: max_accuracy_m must be a number of metres above 0: '0'"),
])
def test_a_wrong_gps_accuracy_is_reported(row, expected):
    problems = problems_of(SETTINGS + GPS_HEADER + f"|  | {row} |\n" + CHOICES)
    assert any(expected in line for line in problems), problems
