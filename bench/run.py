"""`make bench`: the registry at 3,209, 100,000 and 1,000,000 establishments, side by side with
Datasette and the raw database, on SQLite and (when a server is given) PostgreSQL.

    .venv/bin/python -m bench.run [--sizes 3209,100000,1000000] [--runs 30] [--postgres URL] [--rebuild]

Prints a table and writes bench/results.json. Databases are built once in bench/work/ and reused.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text

from . import importing, scenarios
from .build import prepare, sqlite_url
from .report import print_table, write_readme
from .servers import datasette_server, our_server

RESULTS = Path(__file__).resolve().parent / "results.json"
PORT, DATASETTE_PORT = 5071, 5072


def run_size(backend: str, url: str, size: int, runs: int, rebuild: bool, sqlite_path: Path | None) -> dict:
    print(f"\n== {backend}, {size:,} establishments ==", flush=True)
    database = prepare(url, size, rebuild=rebuild, sqlite_path=sqlite_path)
    if database.build_seconds is not None:
        print(f"  built in {database.build_seconds:.1f} s", flush=True)
    results = {"backend": backend, "size": size, "build_s": database.build_seconds, "measures": {},
               "load": _load()}
    measures = results["measures"]
    server = our_server(url, PORT)
    try:
        server.reset_peak_memory()
        measures.update(_step("list pages", lambda: scenarios.list_pages(server.base, runs)))
        measures.update(_step("map page", lambda: scenarios.map_page(server.base, max(3, runs // 6))))
        big = size >= 1_000_000
        measures["csv_export"] = _step("CSV export", lambda: scenarios.csv_export(server, 2 if big else 3))
        measures["xlsx_export"] = _step("XLSX export", lambda: scenarios.xlsx_export(server, size, 2 if big else 3))
        measures["submissions"] = _step("submissions", lambda: scenarios.submissions(
            server, url, database.token, min(2000, size // 2)))
        # each step resets the peak before it runs: the largest is the largest of theirs and of what came after
        results["server_peak_mb"] = round(max(server.peak_memory_mb(),
                                              *(t.extra.get("server_peak_mb", 0) for t in measures.values())), 1)
    finally:
        server.stop()
    measures["raw_list"] = _step("raw SQL list", lambda: scenarios.raw_list(url, runs))
    measures["raw_csv"] = _step("raw CSV", lambda: scenarios.raw_csv(url, sqlite_path, 2 if big else 3))
    if sqlite_path is not None:
        datasette = datasette_server(sqlite_path, DATASETTE_PORT)
        if datasette is None:
            print("  Datasette is not installed (.venv-bench): skipped")
        else:
            try:
                name = sqlite_path.stem
                measures["datasette_list"] = _step("Datasette list", lambda: scenarios.datasette_list(datasette, name, runs))
                measures["datasette_csv"] = _step("Datasette CSV", lambda: scenarios.datasette_csv(datasette, name, 2 if big else 3))
            finally:
                datasette.stop()
    results["measures"] = {name: timing.as_json() for name, timing in measures.items()}
    results["load"] = f"{results['load']} → {_load()}"
    return results


def _load() -> str:
    """The machine's load average over the last minute (other work shares the cores: ratios in one run
    are what count)."""
    return f"{os.getloadavg()[0]:.1f}"


STARTUP_RUNS = 5


def startup(database_url: str) -> dict:
    """Seconds for create_app() in a fresh interpreter, and for `flask --help`; medians."""
    code = ("import time; started = time.perf_counter(); from surveyapp import create_app; create_app(); "
            "print(time.perf_counter() - started)")
    env = {**os.environ, "DATABASE_URL": database_url}
    python = sys.executable
    # The app's start-up, not Python compiling its source: with PYTHONDONTWRITEBYTECODE set (as on the
    # bench machine) an edited module's stale .pyc is compiled again on every start. An installed
    # package has its bytecode written once, at install.
    subprocess.run([python, "-m", "compileall", "-q", str(Path(__file__).resolve().parents[1] / "surveyapp")],
                   check=True)
    flask = str(Path(python).parent / "flask")
    create, help_, create_cpu, help_cpu = [], [], [], []
    load = _load()
    for _ in range(STARTUP_RUNS):
        cpu = _children_cpu()
        create.append(float(subprocess.run([python, "-c", code], env=env, check=True, capture_output=True,
                                           text=True).stdout.split()[-1]))
        create_cpu.append(_children_cpu() - cpu)
        started, cpu = time.perf_counter(), _children_cpu()
        subprocess.run([flask, "--app", "surveyapp", "--help"], env=env, check=True, capture_output=True)
        help_.append(time.perf_counter() - started)
        help_cpu.append(_children_cpu() - cpu)
    # CPU seconds too (the whole interpreter, start to exit): on a shared machine the wall time also
    # holds the time spent waiting for a core.
    return {"create_app_s": round(statistics.median(create), 2), "flask_help_s": round(statistics.median(help_), 2),
            "process_cpu_s": round(statistics.median(create_cpu), 2),
            "flask_help_cpu_s": round(statistics.median(help_cpu), 2), "runs": STARTUP_RUNS, "load": load}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _step(label: str, action):
    started = time.perf_counter()
    print(f"  {label}…", end="", flush=True)
    value = action()
    print(f" {time.perf_counter() - started:.1f} s", flush=True)
    return value


def postgres_database(server_url: str, size: int) -> str:
    """One database per size on the PostgreSQL server, created when missing."""
    name = f"bench_{size}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3209,100000,1000000")
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each page (after 2 warm-up runs)")
    parser.add_argument("--postgres", default=os.environ.get("SURVEYAPP_BENCH_POSTGRES_URL"),
                        help="a PostgreSQL server URL (postgresql+psycopg://...): also run there")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--readme", action="store_true", help="then write the README's scaling table from the results")
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    backends = arguments.backends.split(",")
    document = {"date": dt.datetime.now().isoformat(timespec="seconds"), "machine": _machine(),
                "runs": [], "imports": []}
    document["startup"] = _step("start-up", lambda: startup(sqlite_url(sizes[-1])[0]))
    _save(document)
    for size in sizes:
        if "sqlite" in backends:
            url, path = sqlite_url(size)
            document["runs"].append(run_size("sqlite", url, size, arguments.runs, arguments.rebuild, path))
            _save(document)
        if "postgresql" in backends and arguments.postgres:
            document["runs"].append(run_size("postgresql", postgres_database(arguments.postgres, size), size,
                                             arguments.runs, arguments.rebuild, None))
            _save(document)
    if arguments.import_rows:
        if "sqlite" in backends:
            document["imports"].append(importing.measure("sqlite", None, arguments.import_rows))
        if "postgresql" in backends and arguments.postgres:
            document["imports"].append(importing.measure("postgresql", postgres_database(arguments.postgres, 0),
                                                         arguments.import_rows))
        _save(document)
    print_table(document)
    _save(document)  # with the ratios print_table added
    if arguments.readme:
        write_readme(document)
        print("README.md: scaling table written from bench/results.json")
    print(f"\nWritten: {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}")


def _save(document: dict) -> None:
    """After every size: a run stopped later keeps what it measured."""
    RESULTS.write_text(json.dumps(document, indent=2, ensure_ascii=False))


def _machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


if __name__ == "__main__":
    main()
