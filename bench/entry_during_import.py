"""Data entry during a long import: API submissions and token reads timed while the CLI imports N CSV rows.

    .venv/bin/python -m bench.entry_during_import [ROWS]      (100,000 by default; SQLite in bench/work/)

Serves the app with gunicorn (2 workers × 4 threads), starts `flask import` of a generated file of new
establishments, and every 2 s posts a record (through the API, as a phone does) and reads the
assignments with a fresh token (its first use writes "last used"). Prints each request's status and
seconds, then the worst. Not a test: issue 20 asked for the figure once.
"""
from __future__ import annotations

import csv
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

from surveyapp import create_app
from surveyapp.accounts.services import assign_communes, create_user
from surveyapp.accounts.tokens import create_token
from surveyapp.adminunits.queries import communes_of_province
from surveyapp.adminunits.services import load_admin_units
from surveyapp.db import migrate, session_scope
from surveyapp.establishments.services import register_establishment
from surveyapp.models import SurveyRound

from .build import PROVINCE, WORK

ROOT = Path(__file__).resolve().parents[1]
PORT = 5987
#: At most this many submissions (and as many reads), 2 s apart: one target each, one token for every request.
PROBES = 100
ANSWERS = {"visit_type": "update", "operating_status": "active", "establishment_name": "Cơ sở đích",
           "owner_name": "Út", "legal_form": "household_business", "address": "Số 12, Phường 5",
           "workers_total": "6", "workers_female": "4", "revenue_million_vnd": "1.200",
           "capital_million_vnd": "300", "had_support": "no", "needs": ["training"]}


def main(rows: int) -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    url = _fresh_database(WORK / "entry.sqlite")
    codes, tokens, communes = _prepare(url)
    path = _csv_of(WORK / "entry.csv", rows, communes)
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench", PYTHONPATH=str(ROOT))
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "--threads", "4", "-k", "gthread",
                               "-b", f"127.0.0.1:{PORT}", "surveyapp:create_app()"], env=env, cwd=ROOT,
                              stderr=subprocess.DEVNULL)
    try:
        _wait_for_server()
        results = _probe_during_import(path, env, codes, tokens)
    finally:
        server.terminate()
        server.wait()
    _print(results)


def _fresh_database(path: Path) -> str:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _prepare(url: str) -> tuple[list[str], list[str], list[str]]:
    """Targets for the submissions in commune 31498, tokens of enumerators assigned to it, the communes."""
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TESTING": False})
    with app.app_context():
        migrate()
        with session_scope() as session:
            load_admin_units(session, PROVINCE)
        with session_scope() as session:
            communes = [commune.code for commune in communes_of_province(session, PROVINCE)]
            survey_round = SurveyRound(code="2019", title="2019", questionnaire_id="cnnt-2019",
                                       questionnaire_version="2", is_open=True)
            session.add(survey_round)
            session.flush()
            tokens = []
            for number in range(-(-2 * PROBES // 20)):  # 20 tokens a user at most
                user = create_user(session, f"enumerator{number}", "enumerator", "bench-password")[0]
                assign_communes(session, user, survey_round, ["31498"], actor_id=None)
                tokens += [create_token(session, user, f"phone {n}", actor_id=None)[1] for n in range(20)]
            codes = [register_establishment(session, name=f"Cơ sở đích {n}", commune_code="31498", vsic_code="1071",
                                            legal_form="household_business").code for n in range(PROBES)]
    app.extensions["surveyapp.engine"].dispose()
    return codes, tokens, communes


def _csv_of(path: Path, rows: int, communes: list[str]) -> Path:
    chance = random.Random(1)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "owner", "address", "commune_code", "vsic_code", "legal_form", "lat", "lon", "workers"])
        for n in range(rows):
            writer.writerow([f"Cơ sở số {n}", f"Chủ {n}", f"Ấp {n % 97}", chance.choice(communes), "1071",
                             "household_business", f"{9.6 + chance.uniform(-0.05, 0.05):.6f}",
                             f"{105.97 + chance.uniform(-0.05, 0.05):.6f}", chance.randint(1, 50)])
    return path


def _wait_for_server() -> None:
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{PORT}/api/v1/openapi.json", timeout=5)
            return
        except requests.RequestException:  # not listening yet, or still loading the app
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def _probe_during_import(path: Path, env: dict, codes: list[str], tokens: list[str]) -> list[tuple]:
    results: list[tuple] = []
    started = time.perf_counter()
    importer = subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "surveyapp", "import", str(path)], env=env,
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    threads = []
    while importer.poll() is None and codes:
        for kind in ("post", "get"):
            thread = threading.Thread(target=_probe, args=(kind, codes.pop() if kind == "post" else None,
                                                           tokens.pop(), started, results))
            thread.start()
            threads.append(thread)
        time.sleep(2)
    output = importer.communicate()[0].strip().splitlines()
    for thread in threads:
        thread.join()
    print(output[-1] if output else "(no output)", f"— {time.perf_counter() - started:.1f} s in all")
    return results


def _probe(kind: str, code: str | None, token: str, started: float, results: list) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    base = f"http://127.0.0.1:{PORT}/api/v1"
    sent = time.perf_counter()
    try:
        if kind == "post":
            response = requests.post(f"{base}/records", headers=headers, timeout=120, json={
                "uuid": str(uuid.uuid4()), "establishment_code": code, "round": "2019", "answers": ANSWERS,
                "status": "draft"})
        else:
            response = requests.get(f"{base}/assignments", headers=headers, timeout=120)
        status = response.status_code
    except requests.RequestException as error:
        status = type(error).__name__
    results.append((kind, round(sent - started, 1), status, round(time.perf_counter() - sent, 3)))


def _print(results: list[tuple]) -> None:
    for row in sorted(results, key=lambda row: row[1]):
        print(*row)
    for kind in ("post", "get"):
        rows = [row for row in results if row[0] == kind]
        seconds = [row[3] for row in rows if row[2] in (200, 201)]
        print(f"{kind}: {len(rows)} sent, {len(seconds)} succeeded, statuses {sorted({str(r[2]) for r in rows})}; "
              f"seconds median {statistics.median(seconds):.3f}, max {max(seconds):.3f}" if seconds else "none ok")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
