"""Start-up does no work it can leave to the request that needs it (issue 19, item 4).

Each check runs in a fresh interpreter: the test process itself has imported everything already.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: What only maps, exports of geometry, XLSX, migrations and the duplicate finder need: none of it at start-up.
HEAVY = ("pandas", "geopandas", "folium", "scipy", "mapclassify", "shapely", "pyproj", "numpy", "openpyxl",
         "alembic", "PIL", "pyxform", "segno", "splink", "duckdb", "pyarrow", "rapidfuzz")
#: What only a command of the CLI needs: the command imports it when it runs.
CLI_ONLY = ("surveyapp.demo.generator", "surveyapp.demo.scale", "surveyapp.demo.panel", "surveyapp.demo.promotion",
            "surveyapp.demo.removal", "surveyapp.demo.accounts", "surveyapp.adminunits.services",
            "surveyapp.survey.versions", "surveyapp.questionnaire.rules")
#: Every command of `flask --app surveyapp --help` (Flask's own: routes, run, shell).
COMMANDS = ("admin-units", "boundaries", "demo", "duplicates", "export", "forms", "import", "init-db", "promotion",
            "report", "routes", "run", "setup", "shell", "users")


def _run(code: str, tmp_path) -> dict:
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                               env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                    "DATABASE_URL": f"sqlite:///{tmp_path / 'startup.sqlite'}"})
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


CREATE_APP = """
import hashlib, json, sys
scrypt_calls = []
_scrypt = hashlib.scrypt
def counting_scrypt(*args, **kwargs):
    scrypt_calls.append(1)
    return _scrypt(*args, **kwargs)
hashlib.scrypt = counting_scrypt
from surveyapp import create_app
app = create_app({"SECRET_KEY": "startup"})
from sqlmodel import SQLModel
from surveyapp.models import Establishment
print(json.dumps({"loaded": [name for name in %r if name in sys.modules], "scrypt": len(scrypt_calls),
                  "mappers_configured": not SQLModel._sa_registry._new_mappers,
                  "validators_built": Establishment.__pydantic_complete__}))
"""


def test_create_app_imports_no_map_xlsx_or_migration_stack(tmp_path):
    found = _run(CREATE_APP % (HEAVY,), tmp_path)
    assert found["loaded"] == []


def test_create_app_imports_no_command_services(tmp_path):
    """The CLI's commands import their services when they run, not when the app (or a web worker) starts."""
    found = _run(CREATE_APP % (CLI_ONLY,), tmp_path)
    assert found["loaded"] == []


def test_create_app_leaves_mapper_configuration_to_the_first_query(tmp_path):
    """No module builds an ORM alias at import time (that configures every mapper)."""
    assert _run(CREATE_APP % ((),), tmp_path)["mappers_configured"] is False


def test_create_app_builds_no_pydantic_validator(tmp_path):
    """Table models are constructed by SQLModel without validation: their validators wait for a first use."""
    assert _run(CREATE_APP % ((),), tmp_path)["validators_built"] is False


def test_a_model_still_validates_and_serialises_when_asked():
    import pydantic
    import pytest

    from surveyapp.models import AdminUnit

    province = {"code": "94", "name": "Tỉnh Sóc Trăng", "short_name": "Sóc Trăng", "unit_type": "Tỉnh",
                "level": "province", "province_code": "94", "name_normalized": "soc trang", "lat": "9.6"}
    unit = AdminUnit.model_validate(province)
    assert unit.model_dump()["short_name"] == "Sóc Trăng" and unit.lat == 9.6
    with pytest.raises(pydantic.ValidationError):
        AdminUnit.model_validate({**province, "lat": "north"})


def test_flask_help_lists_every_command(tmp_path):
    completed = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "surveyapp", "--help"], cwd=ROOT,
                               capture_output=True, text=True, timeout=120,
                               env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                                    "DATABASE_URL": f"sqlite:///{tmp_path / 'startup.sqlite'}"})
    assert completed.returncode == 0, completed.stderr
    listed = completed.stdout.split("Commands:")[1].split()
    assert [name for name in COMMANDS if name not in listed] == []
    assert "Prepare an installation: migrate, load admin units and" in completed.stdout


def test_every_command_and_subcommand_shows_its_help(app):
    """Options whose choices come from a module (kinds, levels, formats) still build their help."""
    runner = app.test_cli_runner()
    commands = [[name] for name in app.cli.list_commands(None)]
    for path in commands:
        command = app.cli
        for name in path:
            command = command.get_command(None, name)
        result = runner.invoke(args=[*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert command.get_short_help_str(limit=1000).split()[0] in result.output
        if hasattr(command, "list_commands"):
            commands.extend([*path, sub] for sub in command.list_commands(None))
    assert len(commands) > 20


def test_create_app_hashes_no_password(tmp_path):
    """The stand-in hash that evens out sign-in timing is computed on the first sign-in, not at import."""
    assert _run(CREATE_APP % (HEAVY,), tmp_path)["scrypt"] == 0


def test_unknown_user_sign_in_still_costs_a_hash(app, session):
    """A username that does not exist is checked against a stand-in hash (same time as a wrong password)."""
    from surveyapp.accounts import services

    assert services.authenticate(session, "nobody-at-all", "whatever", "127.0.0.1") is None
    assert services.dummy_hash().startswith("scrypt:")


def test_gunicorn_worker_hook_loads_the_map_stack(tmp_path):
    """gunicorn.conf.py (the README's command) loads the map libraries when a worker starts, so that a
    worker's first map request does not pay for that import; SciPy is not among them (classes.py)."""
    code = """
import json, runpy, sys
config = runpy.run_path("gunicorn.conf.py")
before = [name for name in ("mapclassify", "scipy", "geopandas", "folium") if name in sys.modules]
config["post_worker_init"](None)
after = [name for name in ("mapclassify", "scipy", "geopandas", "folium") if name in sys.modules]
print(json.dumps({"before": before, "after": after}))
"""
    found = _run(code, tmp_path)
    assert found["before"] == []
    assert found["after"] == ["geopandas", "folium"]


def test_create_app_leaves_the_cycle_collector_as_it_found_it(tmp_path):
    """Collection pauses while the app is built (its modules are imported then), never longer."""
    import gc

    import pytest

    from surveyapp import create_app

    assert gc.isenabled()
    create_app({"SECRET_KEY": "startup", "DATABASE_URL": f"sqlite:///{tmp_path / 'gc.sqlite'}"})
    assert gc.isenabled()
    with pytest.raises(Exception):
        create_app({"SECRET_KEY": "startup", "DATABASE_URL": "nosuchdriver://nowhere"})
    assert gc.isenabled()
    gc.disable()
    try:
        create_app({"SECRET_KEY": "startup", "DATABASE_URL": f"sqlite:///{tmp_path / 'gc.sqlite'}"})
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()
