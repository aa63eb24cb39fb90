"""The benchmark table: each measure with its median and p95, ratios to Datasette and raw SQL, and
the target it is held to (at 1,000,000 establishments)."""
from __future__ import annotations

#: measure → (label, target text, check of the measure's json at 1M, or None)
ROWS = {
    "list_json": ("filtered list, JSON (50 rows + count)", "≤ Datasette, ≤ 4× raw", None),
    "list_html": ("filtered list, HTML", "p95 ≤ 50 ms", lambda m: m["p95_ms"] <= 50),
    "list_html_unfiltered": ("list, HTML, no filter", "p95 ≤ 50 ms", lambda m: m["p95_ms"] <= 50),
    "list_html_page_100": ("filtered list, HTML, page 100", "", None),
    "list_html_search": ("list, HTML, search 'banh pia'", "", None),
    "establishment_page": ("establishment page", "", None),
    "map_page": ("district map page", "≤ 1 s, ≤ 3 MB", lambda m: m["median_ms"] <= 1000 and m["bytes"] <= 3e6),
    "map_points_province": ("map points, whole province", "", None),
    "csv_export": ("full CSV export", "≥ 125k rows/s, < 300 MB", lambda m: m["rows_per_s"] >= 125_000
                   and m["server_peak_mb"] < 300),
    "xlsx_export": ("XLSX export (~100k rows)", "", None),
    "submissions": ("record submissions, 20 clients", "≥ 300/s, 0 errors", lambda m: m["per_s"] >= 300
                    and m["errors"] == 0),
    "raw_list": ("raw SQL: list page + count", "", None),
    "raw_csv": ("raw CSV (sqlite3 shell / COPY)", "", None),
    "datasette_list": ("Datasette: list JSON (+ count)", "", None),
    "datasette_csv": ("Datasette: CSV stream", "", None),
}


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


def ratios(measures: dict) -> dict[str, str]:
    """ours ÷ Datasette and ours ÷ raw, for the list (time) and the CSV (time per row)."""
    found = {}
    if "list_json" in measures:
        ours = measures["list_json"]["median_ms"]
        for other in ("datasette_list", "raw_list"):
            if other in measures:
                found[f"list_json/{other}"] = round(ours / measures[other]["median_ms"], 2)
    if "csv_export" in measures:
        ours = measures["csv_export"]["rows_per_s"]
        for other in ("datasette_csv", "raw_csv"):
            if other in measures:
                found[f"csv_time/{other}"] = round(measures[other]["rows_per_s"] / ours, 2)
    return found


def print_table(document: dict) -> None:
    for run in document["runs"]:
        measures = run["measures"]
        built = f", built in {run['build_s']:.0f} s" if run.get("build_s") else ""
        print(f"\n{run['backend']} · {run['size']:,} establishments{built} · server peak {run.get('server_peak_mb')} MB")
        print(f"  {'measure':<38} {'median':>10} {'p95':>10}  {'target (1M)':<24} details")
        for key, (label, target, check) in ROWS.items():
            if key not in measures:
                continue
            measure = measures[key]
            verdict = ""
            if check and run["size"] >= 1_000_000:
                verdict = " ✔" if check(measure) else " ✘"
            print(f"  {label:<38} {_ms(measure['median_ms']):>10} {_ms(measure['p95_ms']):>10}  "
                  f"{target + verdict:<24} {_detail(measure)}")
        run["ratios"] = ratios(measures)
        for name, value in run["ratios"].items():
            print(f"  ratio {name:<32} {value:>6}×")
    for item in document.get("imports", []):
        print(f"\nimport of {item['rows']:,} CSV rows ({item['backend']}): new rows {_ms(item['new']['median_ms'])} "
              f"(check {item['new'].get('check_s')} s), the same file again {_ms(item['again']['median_ms'])} "
              f"(target < 30 s)")


def _ms(value: float) -> str:
    return f"{value:,.1f} ms" if value < 10_000 else f"{value / 1000:,.1f} s"
