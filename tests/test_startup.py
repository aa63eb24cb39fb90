"""Start-up does no work it can leave to the request that needs it (issue 19, item 4).

Each check runs in a fresh interpreter: the test process itself has imported everything already.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: What only maps, exports of geometry, XLSX and migrations need: none of it at start-up.
HEAVY = ("pandas", "geopandas", "folium", "scipy", "mapclassify", "shapely", "pyproj", "numpy", "openpyxl",
         "alembic", "PIL", "pyxform", "segno", "splink", "duckdb", "pyarrow")


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
print(json.dumps({"loaded": [name for name in %r if name in sys.modules], "scrypt": len(scrypt_calls)}))
"""


def test_create_app_imports_no_map_xlsx_or_migration_stack(tmp_path):
    found = _run(CREATE_APP % (HEAVY,), tmp_path)
    assert found["loaded"] == []


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
