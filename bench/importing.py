"""Import of N CSV rows (full validation, all-or-nothing) into an empty registry, then the same file again."""
from __future__ import annotations

import itertools
import time

from flask_babel import force_locale

from surveyapp.adminunits.services import load_admin_units
from surveyapp.db import migrate, session_scope
from surveyapp.establishments.filters import EstablishmentFilter
from surveyapp.exports import formats
from surveyapp.exports.rows import establishment_rows
from surveyapp.imports import services as imports

from .build import PROVINCE, WORK, _empty, app_for, prepare, sqlite_url
from .measure import Timing

RUNS = 2


def measure(backend: str, postgres_url: str | None, rows: int) -> dict:
    print(f"\n== import of {rows:,} CSV rows ({backend}) ==", flush=True)
    data = _csv_of(rows)
    first, again = Timing(), Timing()
    for _ in range(RUNS):
        url, path = (postgres_url, None) if postgres_url else (f"sqlite:///{WORK / 'import.sqlite'}", WORK / "import.sqlite")
        app = _empty_registry(url, path)
        first.seconds.append(_import(app, data, first))
        again.seconds.append(_import(app, data, again))
        app.extensions["surveyapp.engine"].dispose()
    print(f"  new rows: median {first.median:.1f} s; the same file again: {again.median:.1f} s", flush=True)
    return {"backend": backend, "rows": rows, "new": first.as_json(), "again": again.as_json()}


def _csv_of(rows: int) -> bytes:
    source_size = max(100_000, -(-rows // 5000) * 5000)
    url, path = sqlite_url(source_size)
    prepare(url, source_size, sqlite_path=path)
    app = app_for(url)
    with app.app_context(), session_scope(app) as session:
        selected = list(itertools.islice(establishment_rows(session, EstablishmentFilter(), None), rows))
    return b"".join(formats.csv_chunks(iter(selected)))


def _empty_registry(url: str, path):
    _empty(url, path)
    app = app_for(url)
    with app.app_context():
        migrate()
        with session_scope() as session:
            load_admin_units(session, PROVINCE)
    return app


def _import(app, data: bytes, timing: Timing) -> float:
    with app.app_context(), force_locale("en"), session_scope(app) as session:
        started = time.perf_counter()
        plan = imports.check_file(session, data, "establishments.csv", province_code=PROVINCE,
                                  max_rows=len(data), max_bytes=len(data))
        checked = time.perf_counter() - started
        if not plan.ok:
            raise RuntimeError(f"import refused: {plan.errors[:3]}")
        report = imports.write_plan(session, plan, data, actor_id=None)
    seconds = time.perf_counter() - started
    timing.extra = {"check_s": round(checked, 2), "counts": dict(report.counts)}
    return seconds
