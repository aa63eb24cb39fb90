"""The benchmark's table and ratios, and the README's scaling table made from bench/results.json.

    .venv/bin/python -m bench.report            print the table of bench/results.json
    .venv/bin/python -m bench.report --readme   also write the README's scaling table from it

The targets are ratios measured in one run (ours ÷ Datasette, ours ÷ the floor: raw SQL on one open
connection, the sqlite3 shell, PostgreSQL's COPY), so that a busy machine slows every side alike.
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results.json"
README = Path(__file__).resolve().parents[1] / "README.md"
README_START = "<!-- bench table: written by `python -m bench.report --readme` from bench/results.json -->"
README_END = "<!-- end of bench table -->"

#: measure → label (the table's rows, in order)
ROWS = {
    "list_json": "filtered list, JSON (50 rows + total)",
    "list_html": "filtered list, HTML",
    "list_html_unfiltered": "list, HTML, no filter",
    "list_html_page_100": "filtered list, HTML, page 100 by number",
    "list_html_next_deep": "filtered list, HTML, Next from page 100",
    "list_html_search": "list, HTML, search 'banh pia'",
    "establishment_page": "establishment page",
    "map_page": "district map page",
    "map_points_province": "map points, whole province",
    "csv_export": "full CSV export",
    "xlsx_export": "XLSX export (one district)",
    "submissions": "record submissions, 20 clients",
    "raw_list": "floor: list page + count, raw SQL",
    "raw_csv": "floor: CSV by sqlite3 shell / COPY",
    "datasette_list": "Datasette: list JSON (+ count)",
    "datasette_csv": "Datasette: CSV stream",
}

#: ratio name → (backend or None for both, limit, how it is read)
TARGETS = {
    "list_json ÷ Datasette": ("sqlite", 0.75, "≤"),
    "list_json ÷ floor": (None, 1.5, "≤"),
    "list_html p95 ms": (None, None, "≤"),  # limit per backend: HTML_P95_MS
    "list_html_unfiltered p95 ms": (None, None, "≤"),
    "list_html_next_deep ÷ list_html": (None, 1.5, "≤"),
    "csv rows/s": ("sqlite", 150_000, "≥"),
    "csv time ÷ floor": (None, None, "≤"),  # CSV_FLOOR
    "csv time ÷ Datasette": ("sqlite", None, ""),
    "csv server peak MB": (None, 300, "<"),
    "xlsx rows/s": (None, 30_000, "≥"),
}
HTML_P95_MS = {"sqlite": 25, "postgresql": 50}
CSV_FLOOR = {"sqlite": 2.0, "postgresql": 1.5}


def ratios(backend: str, measures: dict) -> dict[str, float]:
    """Every figure the issue's targets are stated in, from one run's measures."""
    found: dict[str, float] = {}

    def median(name):
        return measures[name]["median_ms"] if name in measures else None

    if median("list_json"):
        if median("datasette_list"):
            found["list_json ÷ Datasette"] = round(median("list_json") / median("datasette_list"), 2)
        if median("raw_list"):
            found["list_json ÷ floor"] = round(median("list_json") / median("raw_list"), 2)
    for name in ("list_html", "list_html_unfiltered"):
        if name in measures:
            found[f"{name} p95 ms"] = measures[name]["p95_ms"]
    if median("list_html_next_deep") and median("list_html"):
        found["list_html_next_deep ÷ list_html"] = round(median("list_html_next_deep") / median("list_html"), 2)
    csv = measures.get("csv_export")
    if csv:
        found["csv rows/s"] = csv["rows_per_s"]
        if "raw_csv" in measures:
            found["csv time ÷ floor"] = round(measures["raw_csv"]["rows_per_s"] / csv["rows_per_s"], 2)
        if "datasette_csv" in measures:
            found["csv time ÷ Datasette"] = round(measures["datasette_csv"]["rows_per_s"] / csv["rows_per_s"], 2)
        found["csv server peak MB"] = csv["server_peak_mb"]
    xlsx = measures.get("xlsx_export")
    if xlsx and xlsx.get("rows"):
        found["xlsx rows/s"] = round(xlsx["rows"] / (xlsx["median_ms"] / 1000))
    return found


def verdict(backend: str, name: str, value: float) -> str:
    """" ✔" or " ✘" against the issue's target (at 1M), "" when the figure has none on this backend."""
    only, limit, sense = TARGETS.get(name, (None, None, ""))
    if only not in (None, backend):
        return ""
    if name.startswith("list_html") and name.endswith("p95 ms"):
        limit = HTML_P95_MS[backend]
    if name == "csv time ÷ floor":
        limit = CSV_FLOOR[backend]
    if limit is None:
        return ""
    met = {"≤": value <= limit, "≥": value >= limit, "<": value < limit}[sense]
    return f" {'✔' if met else '✘'} ({sense} {limit:,})"


def _detail(measure: dict) -> str:
    parts = []
    if "rows_per_s" in measure:
        parts.append(f"{measure['rows']:,} rows, {measure['rows_per_s']:,} rows/s")
    if "per_s" in measure:
        parts.append(f"{measure['per_s']:,}/s, {measure['errors']} errors")
    if "bytes" in measure:
        parts.append(f"{measure['bytes'] / 1e6:.2f} MB")
    if "total" in measure:
        parts.append(f"total {measure['total']:,}")
    if "server_peak_mb" in measure:
        parts.append(f"server peak {measure['server_peak_mb']} MB")
    return "; ".join(parts)


def print_table(document: dict) -> None:
    """Print every run's measures and ratios; the ratios are written into the document (results.json)."""
    for run in document["runs"]:
        measures = run["measures"]
        built = f", built in {run['build_s']:.0f} s" if run.get("build_s") else ""
        load = f" · load {run['load']}" if run.get("load") else ""
        print(f"\n{run['backend']} · {run['size']:,} establishments{built} · server peak "
              f"{run.get('server_peak_mb')} MB{load}")
        print(f"  {'measure':<42} {'median':>10} {'p95':>10}  details")
        for key, label in ROWS.items():
            if key in measures:
                measure = measures[key]
                print(f"  {label:<42} {_ms(measure['median_ms']):>10} {_ms(measure['p95_ms']):>10}  {_detail(measure)}")
        run["ratios"] = ratios(run["backend"], measures)
        big = run["size"] >= 1_000_000
        for name, value in run["ratios"].items():
            print(f"  {name:<42} {value:>10,}{verdict(run['backend'], name, value) if big else ''}")
    startup = document.get("startup")
    if startup:
        print(f"\nstart-up: create_app() {startup['create_app_s']} s{_check(startup['create_app_s'] < 0.5, '< 0.5 s')}, "
              f"flask --help {startup['flask_help_s']} s{_check(startup['flask_help_s'] < 1, '< 1 s')} "
              f"(median of {startup['runs']}; load {startup.get('load')}); CPU: whole process "
              f"{startup.get('process_cpu_s')} s, flask --help {startup.get('flask_help_cpu_s')} s")
    for item in document.get("imports", []):
        print(f"\nimport of {item['rows']:,} CSV rows ({item['backend']}): new rows {_ms(item['new']['median_ms'])} "
              f"(check {item['new'].get('check_s')} s), the same file again {_ms(item['again']['median_ms'])} "
              f"(target < 30 s)")


def _check(met: bool, target: str) -> str:
    return f" {'✔' if met else '✘'} ({target})"


def _ms(value: float) -> str:
    return f"{value:,.1f} ms" if value < 10_000 else f"{value / 1000:,.1f} s"


# -- the README's table ------------------------------------------------------------------------------------

def _vn(number: float, decimals: int = 0) -> str:
    """Vietnamese style, as the README writes figures: 1.234.567 and 8,2."""
    text = f"{number:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def readme_table(document: dict) -> str:
    """The scaling table at the largest size measured, SQLite and PostgreSQL side by side."""
    size = max(run["size"] for run in document["runs"])
    runs = {run["backend"]: run for run in document["runs"] if run["size"] == size}
    backends = [name for name in ("sqlite", "postgresql") if name in runs]
    titles = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    lines = [f"| at {_vn(size)} establishments | {' | '.join(titles[b] for b in backends)} |",
             "|---" * (len(backends) + 1) + "|"]

    def row(label, cell):
        lines.append(f"| {label} | {' | '.join(cell(runs[b]['measures'], runs[b].get('ratios') or ratios(b, runs[b]['measures']), b) for b in backends)} |")

    def ms(m, name, stat="median_ms"):
        return f"{_vn(m[name][stat], 1)} ms" if name in m else "–"

    row("filtered list, JSON (district + sector, 50 + total), median",
        lambda m, r, b: f"{ms(m, 'list_json')} (Datasette {ms(m, 'datasette_list')}; floor {ms(m, 'raw_list')}; "
                        f"× floor {_vn(r.get('list_json ÷ floor', 0), 2)}"
                        + (f"; × Datasette {_vn(r['list_json ÷ Datasette'], 2)})" if 'list_json ÷ Datasette' in r else ")")
        if "list_json" in m else "–")
    row("filtered list, HTML, p95", lambda m, r, b: ms(m, "list_html", "p95_ms"))
    row("list without a filter, HTML, p95", lambda m, r, b: ms(m, "list_html_unfiltered", "p95_ms"))
    row("filtered list, HTML: page 100 by number / Next from page 100, median",
        lambda m, r, b: f"{ms(m, 'list_html_page_100')} / {ms(m, 'list_html_next_deep')}")
    row("search \"banh pia\", HTML, median", lambda m, r, b: ms(m, "list_html_search"))
    row("full CSV export", lambda m, r, b: (
        f"{_vn(m['csv_export']['rows_per_s'])} rows/s (floor {_vn(m['raw_csv']['rows_per_s'])}: "
        f"× {_vn(r.get('csv time ÷ floor', 0), 2)} the time"
        + (f"; Datasette {_vn(m['datasette_csv']['rows_per_s'])})" if "datasette_csv" in m else ")")
        + f"; server peak {_vn(m['csv_export']['server_peak_mb'])} MB") if "csv_export" in m and "raw_csv" in m else "–")
    row("XLSX of one district", lambda m, r, b: (
        f"{_vn(m['xlsx_export']['median_ms'] / 1000, 1)} s ({_vn(r['xlsx rows/s'])} rows/s)"
        if "xlsx rows/s" in r else ms(m, "xlsx_export")))
    row("district map page", lambda m, r, b: ms(m, "map_page"))
    row("record submissions, 20 clients at once, gunicorn 3 × 4 threads", lambda m, r, b: (
        f"{_vn(m['submissions']['per_s'])}/s, {m['submissions']['errors']} errors" if "submissions" in m else "–"))
    lines.append("| largest server process (resident) | " + " | ".join(
        f"{_vn(runs[b].get('server_peak_mb') or 0)} MB" for b in backends) + " |")
    startup = document.get("startup")
    if startup:
        cpu = (f" (CPU of the whole process {_vn(startup['process_cpu_s'], 2)} s / {_vn(startup['flask_help_cpu_s'], 2)} s)"
               if "process_cpu_s" in startup else "")
        lines.append(f"| start-up: `create_app()` / `flask --help` | {_vn(startup['create_app_s'], 2)} s / "
                     f"{_vn(startup['flask_help_s'], 2)} s{cpu} |" + " |" * (len(backends) - 1))
    load = "; ".join(f"{titles[b]} run: load {runs[b]['load']}" for b in backends if runs[b].get("load"))
    note = f"\n\n`bench/results.json` of {document['date']}" + (f" ({load})" if load else "") + "."
    return "\n".join(lines) + note


def write_readme(document: dict, readme: Path = README) -> None:
    """Replace the text between the README's two markers with the table."""
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(README_START) + ".*?" + re.escape(README_END), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{readme}: the markers of the bench table are missing")
    block = f"{README_START}\n{readme_table(document)}\n{README_END}"
    readme.write_text(pattern.sub(lambda _match: block, text), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readme", action="store_true", help="write the README's scaling table")
    parser.add_argument("--results", type=Path, default=RESULTS)
    arguments = parser.parse_args()
    document = json.loads(arguments.results.read_text(encoding="utf-8"))
    print_table(document)
    if arguments.readme:
        write_readme(document)
        print(f"\nREADME.md: scaling table written from {arguments.results.name}")


if __name__ == "__main__":
    main()
