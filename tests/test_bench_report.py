"""`make bench` states the issue's targets as ratios of one run and writes the README's table from
bench/results.json (issue 19, item 5). The figures here are made up: no benchmark runs in the tests."""
from __future__ import annotations

import pytest

from bench import report


def measure(median_ms: float, p95_ms: float | None = None, **extra) -> dict:
    return {"runs": 3, "median_ms": median_ms, "p95_ms": p95_ms or median_ms, **extra}


def sqlite_run() -> dict:
    return {"backend": "sqlite", "size": 1_000_000, "build_s": None, "load": "3.1 → 3.5", "server_peak_mb": 180.0,
            "measures": {
                "list_json": measure(5.0), "datasette_list": measure(8.0), "raw_list": measure(4.0),
                "list_html": measure(12.0, 20.0), "list_html_unfiltered": measure(13.0, 30.0),
                "list_html_page_100": measure(14.0), "list_html_next_deep": measure(12.5),
                "csv_export": measure(6000.0, rows=1_000_000, rows_per_s=166_667, server_peak_mb=150.0),
                "raw_csv": measure(3500.0, rows=1_000_000, rows_per_s=285_714),
                "datasette_csv": measure(22000.0, rows=1_000_000, rows_per_s=45_455),
                "xlsx_export": measure(2000.0, rows=110_400, bytes=2e7),
            }}


def test_ratios_are_the_issues_figures():
    found = report.ratios("sqlite", sqlite_run()["measures"])
    assert found["list_json ÷ Datasette"] == 0.62 and found["list_json ÷ floor"] == 1.25
    assert found["list_html p95 ms"] == 20.0 and found["list_html_unfiltered p95 ms"] == 30.0
    assert found["csv rows/s"] == 166_667 and found["csv time ÷ floor"] == 1.71
    assert found["csv time ÷ Datasette"] == 0.27 and found["xlsx rows/s"] == 55_200
    assert found["list_html_next_deep ÷ list_html"] == 1.04


@pytest.mark.parametrize(("backend", "name", "value", "expected"), [
    ("sqlite", "list_json ÷ Datasette", 0.62, "✔"), ("sqlite", "list_json ÷ Datasette", 0.9, "✘"),
    ("sqlite", "list_html_unfiltered p95 ms", 30.0, "✘"), ("postgresql", "list_html_unfiltered p95 ms", 30.0, "✔"),
    ("sqlite", "csv time ÷ floor", 1.9, "✔"), ("postgresql", "csv time ÷ floor", 1.9, "✘"),
    ("postgresql", "csv rows/s", 10, ""),  # the rows/s target is SQLite's; PostgreSQL's is the COPY ratio
])
def test_each_ratio_is_judged_against_its_backends_target(backend, name, value, expected):
    assert report.verdict(backend, name, value).strip().startswith(expected)


def test_the_readme_table_is_rewritten_between_its_markers(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"# App\n\nbefore\n{report.README_START}\nold table\n{report.README_END}\nafter\n",
                      encoding="utf-8")
    document = {"date": "2026-12-06T06:00:00", "runs": [sqlite_run()],
                "startup": {"create_app_s": 0.41, "flask_help_s": 0.7, "runs": 5, "load": "2.0"}}
    report.print_table(document)
    report.write_readme(document, readme)
    text = readme.read_text(encoding="utf-8")
    assert "old table" not in text and text.startswith("# App\n\nbefore\n") and text.endswith("after\n")
    assert "| at 1.000.000 establishments | SQLite |" in text
    assert "5,0 ms (Datasette 8,0 ms; floor 4,0 ms; × floor 1,25; × Datasette 0,62)" in text
    assert "166.667 rows/s" in text and "55.200 rows/s" in text and "load 3.1 → 3.5" in text
    assert "0,41 s / 0,70 s" in text
    printed = capsys.readouterr().out
    assert "list_json ÷ Datasette" in printed and "✔" in printed


def test_a_readme_without_the_markers_is_left_alone(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# App\n", encoding="utf-8")
    with pytest.raises(SystemExit):
        report.write_readme({"date": "x", "runs": [sqlite_run()]}, readme)
    assert readme.read_text(encoding="utf-8") == "# App\n"
