"""The submissions scenario alone (issue 19): records POSTed by 20 clients at once, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.submissions [--size 3209] [--total 1500] [--repeat 1] [--postgres URL]
                                          [--workers 3] [--threads 4]

Prints records per second, errors and latency for each backend; writes nothing but the database's
establishments, which the scenario puts back as they were.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from .build import prepare, sqlite_url
from .run import PORT, postgres_database
from .scenarios import submissions
from .servers import our_server


def measure(backend: str, url: str, size: int, total: int, repeat: int, sqlite_path=None,
            workers: int = 3, threads: int = 4, port: int = PORT) -> list[dict]:
    database = prepare(url, size, sqlite_path=sqlite_path)
    server = our_server(url, port, workers=workers, threads=threads)
    results = []
    try:
        for _ in range(repeat):
            before = cpu_seconds(server)
            timing = submissions(server, url, database.token, min(total, size // 2))
            spent = {who: seconds - before[who] for who, seconds in cpu_seconds(server).items()}
            row = {"backend": backend, **timing.as_json(),
                   "cpu_ms_per_record": {who: round(1000 * s / timing.extra["submissions"], 2) for who, s in spent.items()}}
            results.append(row)
            print(f"{backend:10} {row['per_s']:7.1f} records/s  errors {row['errors']}  "
                  f"median {row['median_ms']:.0f} ms  p95 {row['p95_ms']:.0f} ms  CPU ms per record "
                  + " ".join(f"{who} {ms}" for who, ms in row["cpu_ms_per_record"].items())
                  + (f"  first error: {row['first_error']}" if row["first_error"] else ""), flush=True)
    finally:
        server.stop()
    return results


def cpu_seconds(server) -> dict[str, float]:
    """CPU time so far of the app's processes, of this load generator, and of every PostgreSQL process (the
    machine's other work is not counted): where the two cores go."""
    postgres = [pid for pid in os.listdir("/proc") if pid.isdigit() and _command(pid).startswith("postgres")]
    own = os.times()
    return {"app": sum(map(_cpu, server._pids())), "client": own.user + own.system,
            "postgres": sum(map(_cpu, postgres))}


def _command(pid) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace").rsplit("/", 1)[-1]
    except OSError:
        return ""


def _cpu(pid) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=3209)
    parser.add_argument("--total", type=int, default=1500, help="records per run (at most half the size)")
    parser.add_argument("--repeat", type=int, default=1, help="runs on each backend")
    parser.add_argument("--postgres", default=os.environ.get("SURVEYAPP_BENCH_POSTGRES_URL"))
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads of each worker")
    parser.add_argument("--port", type=int, default=PORT, help="where the app listens (another than a running bench's)")
    arguments = parser.parse_args()
    backends = arguments.backends.split(",")
    if "sqlite" in backends:
        url, path = sqlite_url(arguments.size)
        measure("sqlite", url, arguments.size, arguments.total, arguments.repeat, path,
                arguments.workers, arguments.threads, arguments.port)
    if "postgresql" in backends and arguments.postgres:
        measure("postgresql", postgres_database(arguments.postgres, arguments.size), arguments.size,
                arguments.total, arguments.repeat, None, arguments.workers, arguments.threads, arguments.port)


if __name__ == "__main__":
    main()
