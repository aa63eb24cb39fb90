"""Layers call down, never up: the bottom floor imports no domain package, and no module reaches up.

Read from the source (every import statement, those inside functions too), so a lazy import that
would only run on one path cannot hide an upward dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "surveyapp"
#: The bottom floor: what every domain package may use, and which uses none of them.
BOTTOM = ("i18n", "models", "db", "text", "clock")


def surveyapp_imports(relative: str) -> set[str]:
    """The surveyapp modules a file imports, as dotted names below surveyapp ("accounts.access"); a name
    imported from a module counts as a module too (over-counting is harmless for these checks)."""
    path = PACKAGE / relative
    here = list(Path(relative).with_suffix("").parts)
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package[:len(package) - (node.level - 1)] + ([node.module] if node.module else []))
            elif node.module and node.module.startswith("surveyapp."):
                base = node.module.removeprefix("surveyapp.")
            else:
                continue
            # `from ..establishments import queries` imports the module establishments.queries: name both.
            found.update(name for name in [base] + [f"{base}.{alias.name}".lstrip(".") for alias in node.names] if name)
        elif isinstance(node, ast.Import):
            found.update(alias.name.removeprefix("surveyapp.") for alias in node.names
                         if alias.name.startswith("surveyapp."))
    return found


@pytest.mark.parametrize("module", BOTTOM)
def test_the_bottom_floor_imports_nothing_above_it(module):
    upward = {name for name in surveyapp_imports(f"{module}.py") if name.split(".")[0] not in BOTTOM}
    assert upward == set(), f"surveyapp/{module}.py imports {sorted(upward)}: move that code up instead"


def test_the_walk_sees_relative_absolute_and_lazy_imports():
    assert {"clock"} <= surveyapp_imports("models.py")
    assert "geo.gps" in surveyapp_imports("survey/services.py")  # imported inside a function
    assert {"db", "establishments.queries"} <= surveyapp_imports("web.py")
    assert "i18n" in surveyapp_imports("accounts/blueprint.py")
    assert "adminunits.queries" in surveyapp_imports("establishments/filters.py")  # from ..adminunits import queries


def test_the_filter_and_the_accounts_cli_reach_no_establishment_queries():
    """The filter checks codes with the round and promotion queries; rounds are not establishments'."""
    assert "establishments.queries" not in surveyapp_imports("establishments/filters.py")
    assert not {name for name in surveyapp_imports("accounts/cli.py") if name.startswith("establishments")}


def test_round_queries_live_in_survey_queries_only():
    for path in PACKAGE.rglob("queries.py"):
        source = path.read_text(encoding="utf-8")
        if path.parent.name != "survey":
            assert "def round_by_code" not in source and "order_by(SurveyRound.start_date, SurveyRound.code)" \
                not in source, f"{path.relative_to(PACKAGE)} has a round query: survey/queries.py holds them"
