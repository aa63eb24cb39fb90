"""Export and import figures at scale: `.venv/bin/python bench/lists.py [--size 100000] [--no-trace]`.

Builds a registry of SIZE synthetic establishments in bench/work/ (SQLite), then for each export
format: the time to write all rows to a file, and (in a second run under tracemalloc) the peak of
Python memory. Then imports 10,000 rows into an empty registry: new rows, the same file again
(nothing changes), the XLSX of the same rows, and the same rows with --round (approved records).

Used for the per-format memory figures (tracemalloc: Python allocations only); `make bench`
(bench/run.py) measures the same exports through the web server, with the server's memory.
"""
from __future__ import annotations

import argparse
import itertools
import shutil
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_babel import force_locale  # noqa: E402

from surveyapp import create_app  # noqa: E402
from surveyapp.accounts.services import create_user  # noqa: E402
from surveyapp.adminunits.services import load_admin_units  # noqa: E402
from surveyapp.db import migrate, session_scope  # noqa: E402
from surveyapp.establishments.filters import EstablishmentFilter  # noqa: E402
from surveyapp.exports import formats, services  # noqa: E402
from surveyapp.exports.rows import establishment_rows  # noqa: E402
from surveyapp.imports import services as imports  # noqa: E402
from surveyapp.demo.scale import build_large_registry  # noqa: E402

WORK = ROOT / "bench" / "work"
PROVINCE = "94"
MB = 1024 * 1024


def make_app(path: Path):
    return create_app({"DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "bench", "TESTING": True})


def empty_registry(path: Path):
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = make_app(path)
    with app.app_context():
        migrate()
        with session_scope() as session:
            load_admin_units(session, PROVINCE)
            create_user(session, "admin", "admin", "bench-password")
    return app


def export_figures(app, size: int, trace: bool) -> None:
    print(f"\nExport of {size:,} rows (file written to bench/work/):")
    for fmt in ("csv", "xlsx", "geojson", "gpkg"):
        path = WORK / f"all.{fmt}"
        path.unlink(missing_ok=True)
        with app.app_context(), session_scope(app) as session:
            started = time.perf_counter()
            rows = services.write_file(session, services.ExportRequest(fmt, EstablishmentFilter()), str(path), PROVINCE)
            seconds = time.perf_counter() - started
        peak = "-"
        if trace:
            path.unlink(missing_ok=True)
            with app.app_context(), session_scope(app) as session:
                tracemalloc.start()
                services.write_file(session, services.ExportRequest(fmt, EstablishmentFilter()), str(path), PROVINCE)
                peak = f"{tracemalloc.get_traced_memory()[1] / MB:.1f} MB"
                tracemalloc.stop()
        print(f"  {fmt:<8} {rows:>8,} rows  {seconds:6.1f} s  {path.stat().st_size / MB:6.1f} MB file  peak {peak}")


def import_figures(source_app, rows: int) -> None:
    print(f"\nImport of {rows:,} rows into an empty registry:")
    with source_app.app_context(), session_scope(source_app) as session:
        selected = list(itertools.islice(establishment_rows(session, EstablishmentFilter(), None), rows))
    csv_path, xlsx_path = WORK / "import.csv", WORK / "import.xlsx"
    csv_path.write_bytes(b"".join(formats.csv_chunks(iter(selected))))
    formats.write_xlsx(str(xlsx_path), iter(selected), [])
    target = empty_registry(WORK / "import.sqlite")
    run(target, csv_path, "CSV, new rows")
    run(target, csv_path, "CSV, the same file again")
    target = empty_registry(WORK / "import.sqlite")
    run(target, xlsx_path, "XLSX, new rows")
    with target.app_context(), session_scope(target) as session:
        from surveyapp.models import SurveyRound

        session.add(SurveyRound(code="2019", title="2019", questionnaire_id="cnnt-2019", questionnaire_version="2"))
    run(target, csv_path, "CSV, existing rows, --round 2019", round_code="2019")
    run(target, csv_path, "CSV, the same again with --round 2019", round_code="2019")


def run(app, path: Path, label: str, round_code: str | None = None) -> None:
    data = path.read_bytes()
    with app.app_context(), force_locale("en"), session_scope(app) as session:
        started = time.perf_counter()
        plan = imports.check_file(session, data, path.name, province_code=PROVINCE, round_code=round_code)
        checked = time.perf_counter() - started
        assert plan.ok, plan.errors[:5]
        report = imports.write_plan(session, plan, data, actor_id=None)
        seconds = time.perf_counter() - started
    counts = dict(report.counts)
    records = f" records {dict(report.records)}" if round_code else ""
    print(f"  {label:<40} check {checked:5.1f} s, total {seconds:5.1f} s  {counts}{records}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--import-rows", type=int, default=10_000)
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc runs (much faster)")
    arguments = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    app = empty_registry(WORK / "large.sqlite")
    with app.app_context(), session_scope(app) as session:
        build_large_registry(session, PROVINCE, arguments.size)
    print(f"Registry of {arguments.size:,} establishments built in {time.perf_counter() - started:.1f} s.")
    export_figures(app, arguments.size, not arguments.no_trace)
    import_figures(app, arguments.import_rows)
    shutil.rmtree(WORK / "tmp", ignore_errors=True)


if __name__ == "__main__":
    main()
