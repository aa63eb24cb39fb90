"""Exports stream: Python memory at 100,000 rows is about what it is at a few thousand.

Peak memory is measured with tracemalloc (Python allocations, which is where a list of rows or a
growing document would show). tracemalloc slows the writers 5 to 10 times, so the suite traces CSV
over all 100,000 rows and GeoJSON/GeoPackage over two districts; every format at 100,000 rows,
XLSX included, is traced by `bench/lists.py` (figures in its docstring).
"""
from __future__ import annotations

import time
import tracemalloc

import pytest
from sqlalchemy import text

from surveyapp.db import session_scope
from surveyapp.establishments.filters import EstablishmentFilter
from surveyapp.exports import services

from .conftest import PROVINCE, build_app, dispose
from surveyapp.demo.scale import build_large_registry

SIZE = 100_000
MB = 1024 * 1024


@pytest.fixture(scope="module")
def large_app(databases, template_url):
    url = databases.copy(template_url)
    app = build_app(url)
    with app.app_context(), session_scope(app) as session:
        assert build_large_registry(session, PROVINCE, SIZE) == SIZE
    yield app
    dispose(app)
    databases.drop(url)


def measure(app, fmt: str, wanted: EstablishmentFilter, path) -> tuple[int, int, float]:
    """(rows written, peak traced bytes, seconds) for one export to a file."""
    with app.app_context(), session_scope(app) as session:
        tracemalloc.start()
        started = time.perf_counter()
        rows = services.write_file(session, services.ExportRequest(fmt, wanted), str(path), PROVINCE)
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return rows, peak, seconds


def districts_by_size(app) -> list[tuple[str, int]]:
    with app.app_context(), session_scope(app) as session:
        return [tuple(row) for row in session.execute(text(
            "SELECT district_code, count(*) FROM establishment GROUP BY district_code ORDER BY 2, 1")).all()]


def test_csv_memory_stays_flat_at_100000_rows(large_app, tmp_path, monkeypatch):
    """The whole registry (100,000 rows) against its smallest district (about 5,000), in segments of 1,000
    rows: both exports then hold as many segments at once (those built ahead), however many rows follow."""
    from surveyapp.exports import queries

    monkeypatch.setattr(queries, "CSV_BATCH_SIZE", 1000)
    monkeypatch.setattr(queries, "COPY_SEGMENT_SIZE", 1000)
    district, subset = districts_by_size(large_app)[0]
    small_rows, small_peak, _ = measure(large_app, "csv", EstablishmentFilter(district=district), tmp_path / "s.csv")
    rows, peak, seconds = measure(large_app, "csv", EstablishmentFilter(), tmp_path / "all.csv")
    print(f"\ncsv: {small_rows} rows peak {small_peak / MB:.1f} MB; {rows} rows peak {peak / MB:.1f} MB "
          f"in {seconds:.1f} s (traced)")
    assert (small_rows, rows) == (subset, SIZE) and rows > 10 * small_rows
    assert peak < small_peak * 1.3 + 1 * MB, "memory grew with the number of rows"
    assert peak < 16 * MB


@pytest.mark.parametrize("fmt", ["geojson", "gpkg"])
def test_geo_formats_memory_does_not_grow_with_rows(large_app, fmt, tmp_path):
    """Tracing is slow for these writers: the smallest district against the largest (about 3 times more)."""
    (small, subset), *_others, (large, larger) = districts_by_size(large_app)
    small_rows, small_peak, _ = measure(large_app, fmt, EstablishmentFilter(district=small), tmp_path / f"s.{fmt}")
    rows, peak, _ = measure(large_app, fmt, EstablishmentFilter(district=large), tmp_path / f"l.{fmt}")
    print(f"\n{fmt}: {small_rows} rows peak {small_peak / MB:.1f} MB; {rows} rows peak {peak / MB:.1f} MB (traced)")
    assert (small_rows, rows) == (subset, larger) and rows > 2 * small_rows
    assert peak < small_peak * 1.3 + 1 * MB, "memory grew with the number of rows"
