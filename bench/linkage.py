"""Duplicate finding at scale: `python -m bench.linkage [--sizes 100000 1000000] [--rebuild]`.

Builds (once, kept in bench/work/) an SQLite app database of N establishments whose names, owners,
phones and points vary the way a registry's do (the demo's word lists, drawn fast; 2 % of them
entered a second time), then runs the duplicate finder on it as `flask duplicates` does — read
from the app's database into DuckDB, the Splink model, pairs with reasons — in a fresh process per
size, and prints the wall time and peak memory (ru_maxrss) of that process.

The registry `bench/build.py` makes is not used: it copies one base of 5,000 up to N, so every
establishment would have N/5,000 exact twins (one phone shared by hundreds), which no real
registry has and which measures the blocking of copies, not of a registry.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select

WORK = Path(__file__).resolve().parent / "work"
PROVINCE = "94"


def database(size: int) -> Path:
    return WORK / f"linkage-{size}.sqlite"


def _rows(size: int, seed: int = 5):
    """Establishment rows as dicts, drawn from the demo's word lists (fast: no per-row records)."""
    from surveyapp.adminunits import source
    from surveyapp.demo import catalogue
    from surveyapp.reference import sector_of_vsic
    from surveyapp.text import establishment_search_text, fold

    rng = random.Random(seed)
    communes = [u for u in source.legacy_units(PROVINCE) if u["level"] == "commune"]
    sectors = [(vsic, products, sector_of_vsic(vsic)) for vsic, _w, products in catalogue.SECTORS]
    weights = [w for _v, w, _p in catalogue.SECTORS]
    forms = catalogue.LEGAL_FORMS
    form_weights = [f[1] for f in forms]
    now = dt.datetime(2026, 1, 1)
    sequence: dict[str, int] = {}
    reentered = []
    for number in range(size):
        if reentered and rng.random() < 0.02:  # the same establishment entered again
            row = dict(rng.choice(reentered))
            row["name"] = fold(row["name"]).title() if rng.random() < 0.5 else row["name"].replace("Cơ sở", "CS")
            row["phone"] = row["phone"] if rng.random() < 0.7 else None
            row["lat"] += rng.gauss(0, 0.0002)
            row["lon"] += rng.gauss(0, 0.0002)
        else:
            commune = rng.choice(communes)
            vsic, products, sector = rng.choices(sectors, weights)[0]
            legal_form, _w, _workers, prefixes = rng.choices(forms, form_weights)[0]
            owner = (f"{rng.choice(catalogue.FAMILY_NAMES)} {rng.choice(catalogue.MIDDLE_NAMES)} "
                     f"{rng.choice(catalogue.GIVEN_NAMES)}")
            prefix = rng.choice(prefixes)
            name = (f"{prefix} {owner}" if prefix in ("Hộ", "Hộ kinh doanh") and rng.random() < 0.6
                    else f"{prefix} {rng.choice(products)} {rng.choice(catalogue.BRANDS)}")
            row = {"name": name, "owner": owner, "legal_form": legal_form, "vsic_code": vsic, "sector": sector,
                   "tax_code": f"22{rng.randint(0, 99_999_999):08d}" if legal_form in ("enterprise", "cooperative") else None,
                   "phone": f"0{rng.choice('9837')}{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.65 else None,
                   "address": f"{rng.choice(catalogue.HAMLETS)}, {commune['name']}", "commune_code": commune["code"],
                   "district_code": commune["parent_code"], "province_code": PROVINCE,
                   "lat": commune["lat"] + rng.gauss(0, 0.004), "lon": commune["lon"] + rng.gauss(0, 0.004)}
            if rng.random() < 0.05:
                reentered.append(row)
        prefix = f"{PROVINCE}-{row['district_code']}-"
        sequence[prefix] = sequence.get(prefix, 0) + 1
        yield {**row, "code": f"{prefix}{sequence[prefix]:06d}", "status": "active", "is_demo": True, "version": 1,
               "search_text": establishment_search_text(row["name"], row["owner"], row["address"])[:600],
               "created_at": now, "updated_at": now}
        if number % 200_000 == 199_999:
            print(f"  {number + 1:,} rows drawn", file=sys.stderr)


def build(size: int, rebuild: bool = False) -> float | None:
    """The benchmark database of `size` establishments; seconds it took, None when reused."""
    from surveyapp import create_app
    from surveyapp.adminunits.services import load_admin_units
    from surveyapp.db import migrate, session_scope
    from surveyapp.establishments import search_index
    from surveyapp.models import Establishment

    path = database(size)
    url = f"sqlite:///{path}"
    if path.exists() and not rebuild:
        engine = create_engine(url)
        with engine.connect() as connection:
            count = connection.execute(select(func.count()).select_from(Establishment.__table__)).scalar()
        engine.dispose()
        if count == size:
            return None
    WORK.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": False})
    with app.app_context():
        migrate()
        with session_scope() as session:
            load_admin_units(session, PROVINCE)
        with session_scope() as session:
            connection = session.connection()
            with search_index.suspended(connection):
                batch = []
                for row in _rows(size):
                    batch.append(row)
                    if len(batch) == 50_000:
                        connection.execute(insert(Establishment.__table__), batch)
                        batch = []
                if batch:
                    connection.execute(insert(Establishment.__table__), batch)
    app.extensions["surveyapp.engine"].dispose()
    return time.perf_counter() - started


def measure(size: int) -> dict:
    """One run of the finder over the whole registry, as `flask duplicates` runs it."""
    started = time.perf_counter()
    from surveyapp import create_app
    from surveyapp.db import session_scope
    from surveyapp.duplicates.services import find_pairs

    app = create_app({"DATABASE_URL": f"sqlite:///{database(size)}", "SECRET_KEY": "bench", "TESTING": False})
    with app.app_context(), session_scope() as session:
        pairs = find_pairs(session)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"size": size, "seconds": round(seconds, 1), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
            "peak_mib": round(usage.ru_maxrss / 1024), "pairs": len(pairs),
            "load_1min": round(os.getloadavg()[0], 1), "cpus": os.cpu_count()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)  # the child process
    arguments = parser.parse_args()
    if arguments.measure:
        print(json.dumps(measure(arguments.measure)))
        return
    for size in arguments.sizes:
        seconds = build(size, arguments.rebuild)
        print(f"{size:,} establishments: database " + (f"built in {seconds:.0f} s" if seconds else "reused"))
        child = subprocess.run([sys.executable, "-m", "bench.linkage", "--measure", str(size)], check=True,
                               capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
        result = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"{size:,} establishments: {result['pairs']:,} pairs in {result['seconds']} s "
              f"({result['cpu_seconds']} s of CPU), "
              f"peak memory {result['peak_mib']} MiB (load {result['load_1min']} on {result['cpus']} CPUs)")


if __name__ == "__main__":
    main()
