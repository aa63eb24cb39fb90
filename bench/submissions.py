"""The submissions scenario alone (issue 19): records POSTed by 20 clients at once, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.submissions [--size 3209] [--total 1500] [--repeat 1] [--postgres URL]

Prints records per second, errors and latency for each backend; writes nothing but the database's
establishments, which the scenario puts back as they were.
"""
from __future__ import annotations

import argparse
import os

from .build import prepare, sqlite_url
from .run import PORT, postgres_database
from .scenarios import submissions
from .servers import our_server


def measure(backend: str, url: str, size: int, total: int, repeat: int, sqlite_path=None) -> list[dict]:
    database = prepare(url, size, sqlite_path=sqlite_path)
    server = our_server(url, PORT)
    results = []
    try:
        for _ in range(repeat):
            timing = submissions(server, url, database.token, min(total, size // 2))
            row = {"backend": backend, **timing.as_json()}
            results.append(row)
            print(f"{backend:10} {row['per_s']:7.1f} records/s  errors {row['errors']}  "
                  f"median {row['median_ms']:.0f} ms  p95 {row['p95_ms']:.0f} ms"
                  + (f"  first error: {row['first_error']}" if row["first_error"] else ""), flush=True)
    finally:
        server.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=3209)
    parser.add_argument("--total", type=int, default=1500, help="records per run (at most half the size)")
    parser.add_argument("--repeat", type=int, default=1, help="runs on each backend")
    parser.add_argument("--postgres", default=os.environ.get("SURVEYAPP_BENCH_POSTGRES_URL"))
    parser.add_argument("--backends", default="sqlite,postgresql")
    arguments = parser.parse_args()
    backends = arguments.backends.split(",")
    if "sqlite" in backends:
        url, path = sqlite_url(arguments.size)
        measure("sqlite", url, arguments.size, arguments.total, arguments.repeat, path)
    if "postgresql" in backends and arguments.postgres:
        measure("postgresql", postgres_database(arguments.postgres, arguments.size), arguments.size,
                arguments.total, arguments.repeat)


if __name__ == "__main__":
    main()
