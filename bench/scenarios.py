"""What a benchmark run measures, each against a live server: ours, Datasette, and the raw database."""
from __future__ import annotations

import html
import http.client
import json
import re
import subprocess
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import bindparam, create_engine, text

from .measure import Client, Timing, get_ok, repeat, signed_in

#: The filtered list every side answers: one district's food processors (VSIC division C10).
LIST_FILTER = {"district": "947", "sector": "C10"}
PAGE_SIZE = 50
SUBMITTERS = 20


def list_pages(base: str, runs: int) -> dict[str, Timing]:
    http = signed_in(base, "analyst")
    query = "&".join(f"{k}={v}" for k, v in LIST_FILTER.items())
    results = {
        "list_json": repeat(lambda: _json_total(http, f"{base}/api/v1/establishments?{query}&per_page={PAGE_SIZE}"),
                            runs),
        "list_html": repeat(lambda: _html(http, f"{base}/establishments?{query}"), runs),
        "list_html_unfiltered": repeat(lambda: _html(http, f"{base}/establishments"), runs),
        "list_html_page_100": repeat(lambda: _html(http, f"{base}/establishments?{query}&page=100"), runs),
        # The Next link of page 100 (it carries the code page 100 ends with): page 101 at page 1's cost.
        "list_html_next_deep": repeat(lambda: _html(http, _next_link(http, f"{base}/establishments?{query}&page=100",
                                                                      base, once)), runs),
        "list_html_search": repeat(lambda: _html(http, f"{base}/establishments?q=banh+pia"), max(3, runs // 5)),
    }
    codes = [row["code"] for row in get_ok(http, f"{base}/api/v1/establishments?per_page=500&page=3").json()
             ["establishments"]][::10]
    turn = iter(range(10**9))
    results["establishment_page"] = repeat(
        lambda: _html(http, f"{base}/establishments/{codes[next(turn) % len(codes)]}"), runs)
    return results


once: dict[str, str] = {}


def _next_link(http, url: str, base: str, cache: dict) -> str:
    """The page's rel="next" link (read once, then reused: what is timed is the page it leads to)."""
    if url not in cache:
        found = re.search(r'rel="next" href="([^"]+)"', get_ok(http, url).text)
        cache[url] = base + html.unescape(found.group(1))
    return cache[url]


def _json_total(http, url: str) -> dict:
    return {"total": get_ok(http, url).json()["total"]}


def _html(http, url: str) -> dict:
    return {"bytes": len(get_ok(http, url).content)}


def map_page(base: str, runs: int) -> dict[str, Timing]:
    http = signed_in(base, "analyst")
    results = {"map_page": repeat(lambda: _html(http, f"{base}/maps/districts"), runs, warmup=1)}
    points = f"{base}/maps/points?bbox=105.5,9.2,106.4,9.95&zoom=9"
    if http.get(points).status_code == 200:  # the points of the whole province, clustered by the server
        results["map_points_province"] = repeat(lambda: _html(http, points), runs, warmup=1)
    return results


def csv_export(server, runs: int) -> Timing:
    http = signed_in(server.base, "analyst")
    server.reset_peak_memory()
    timing = repeat(lambda: _download_rows(http, f"{server.base}/exports/establishments.csv"), runs, warmup=0)
    timing.extra["server_peak_mb"] = round(server.peak_memory_mb(), 1)
    _rates(timing)
    return timing


def _download_rows(http, url: str) -> dict:
    lines = 0
    with get_ok(http, url, stream=True) as response:
        for chunk in response.iter_content(1 << 20):
            lines += chunk.count(b"\n")
    return {"rows": lines - 1}


def _rates(timing: Timing) -> None:
    timing.extra["rows_per_s"] = round(timing.extra["rows"] / timing.median)


def xlsx_export(server, size: int, runs: int) -> Timing:
    """About 100,000 rows: everything up to that size, else the district nearest to it."""
    http = signed_in(server.base, "analyst")
    query = "" if size <= 110_000 else "?district=947"
    server.reset_peak_memory()
    timing = repeat(lambda: {"bytes": len(get_ok(http, f"{server.base}/exports/establishments.xlsx{query}").content)},
                    runs, warmup=0)
    rows = get_ok(http, f"{server.base}/api/v1/establishments{query or '?'}&per_page=1").json()["total"]
    timing.extra.update(filter=query or "none", rows=rows, server_peak_mb=round(server.peak_memory_mb(), 1))
    return timing


def submissions(server, database_url: str, token: str, total: int) -> Timing:
    """`total` first 2019 records for establishments that have none, POSTed by 20 threads at once;
    afterwards the records are deleted and the establishments restored, so the next run finds the
    same database."""
    codes = _codes_without_2019_record(database_url, total)
    saved = _establishment_state(database_url, codes)
    posted: list[str] = []
    queue = list(codes)
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Connection": "close"}

    def submitter():
        # http.client, not requests: the load generator shares the machine's two cores with the server,
        # so it should spend as little of them as it can (about a fifth of what requests costs).
        while True:
            with lock:
                if not queue:
                    return
                code = queue.pop()
            # A connection per record, as phones coming and going do; it also spreads the load over
            # the server's worker processes (a kept-alive connection stays with one of them).
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            record = _record(code)
            with lock:
                posted.append(record["uuid"])
            started = time.perf_counter()
            connection.request("POST", "/api/v1/records", json.dumps(record), headers)
            answer = connection.getresponse()
            body = answer.read()
            connection.close()
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if answer.status != 201:
                    failures.append(f"{answer.status} {body[:200]!r}")

    server.reset_peak_memory()
    threads = [threading.Thread(target=submitter) for _ in range(SUBMITTERS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    _undo_submissions(database_url, posted, saved)
    timing = Timing(seconds=latencies)
    timing.extra = {"submissions": len(codes), "clients": SUBMITTERS, "per_s": round(len(codes) / wall, 1),
                    "errors": len(failures), "first_error": failures[0] if failures else None,
                    "server_peak_mb": round(server.peak_memory_mb(), 1)}
    return timing


def _codes_without_2019_record(database_url: str, total: int) -> list[str]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT e.code FROM establishment e WHERE NOT EXISTS (SELECT 1 FROM survey_record r "
            "JOIN survey_round o ON o.id = r.round_id WHERE r.establishment_id = e.id AND o.code = '2019') "
            "ORDER BY e.id DESC LIMIT :total"), {"total": total}).scalars().all()
    engine.dispose()
    return list(rows)


ESTABLISHMENT_STATE = ("latest_round_code", "latest_record_status", "version", "updated_at")


def _establishment_state(database_url: str, codes: list[str]) -> list[dict]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT id, {', '.join(ESTABLISHMENT_STATE)} FROM establishment "
                                       "WHERE code IN :codes").bindparams(bindparam("codes", expanding=True)),
                                  {"codes": codes}).mappings().all()
    engine.dispose()
    return [dict(row) for row in rows]


def _undo_submissions(database_url: str, uuids: list[str], saved: list[dict]) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE entity_type = 'survey_record' AND entity_id IN :uuids")
                           .bindparams(bindparam("uuids", expanding=True)), {"uuids": uuids})
        connection.execute(text("DELETE FROM survey_record WHERE uuid IN :uuids")
                           .bindparams(bindparam("uuids", expanding=True)), {"uuids": uuids})
        assignments = ", ".join(f"{column} = :{column}" for column in ESTABLISHMENT_STATE)
        connection.execute(text(f"UPDATE establishment SET {assignments} WHERE id = :id"), saved)
    engine.dispose()


def _record(code: str) -> dict:
    answers = {
        "visit_type": "update", "operating_status": "active", "establishment_name": "Cơ sở Bánh Pía Tân Huê Viên",
        "owner_name": "Đặng Thị Út", "legal_form": "household_business", "address": "Số 12, Phường 5",
        "workers_total": "6", "workers_female": "4", "revenue_million_vnd": "1.200", "capital_million_vnd": "300",
        "had_support": "no", "needs": ["training"],
    }
    return {"uuid": str(uuid.uuid4()), "establishment_code": code, "round": "2019", "answers": answers,
            "status": "submitted"}


def datasette_list(server, database: str, runs: int) -> Timing:
    query = "&".join(f"{k}_code={v}" if k == "district" else f"{k}={v}" for k, v in LIST_FILTER.items())
    url = f"{server.base}/{database}/establishment.json?{query}&_sort=code&_size={PAGE_SIZE}&_nosuggest=1"
    http = Client(server.base)
    return repeat(lambda: {"total": get_ok(http, url).json()["filtered_table_rows_count"]}, runs)


def datasette_csv(server, database: str, runs: int) -> Timing:
    http = Client(server.base)
    timing = repeat(lambda: _download_rows(http, f"{server.base}/{database}/establishment.csv?_stream=on&_size=max"),
                    runs, warmup=0)
    _rates(timing)
    return timing


def raw_list(database_url: str, runs: int) -> Timing:
    """The floor: the page and its count as plain SQL on one open connection."""
    engine = create_engine(database_url)
    page = text("SELECT * FROM establishment WHERE district_code = :district AND sector = :sector "
                "AND status != 'merged' ORDER BY code LIMIT 50")
    count = text("SELECT count(*) FROM establishment WHERE district_code = :district AND sector = :sector")
    with engine.connect() as connection:
        def run():
            connection.execute(page, LIST_FILTER).all()
            return {"total": connection.execute(count, LIST_FILTER).scalar()}
        timing = repeat(run, runs)
    engine.dispose()
    return timing


def raw_csv(database_url: str, sqlite_path: Path | None, runs: int) -> Timing:
    """The floor: the sqlite3 shell (or PostgreSQL's COPY) writing the whole table as CSV."""
    if sqlite_path is not None:
        def run():
            out = subprocess.run(["sqlite3", "-csv", "-header", str(sqlite_path), "SELECT * FROM establishment"],
                                 check=True, capture_output=True).stdout
            return {"rows": out.count(b"\n") - 1}
    else:
        engine = create_engine(database_url)

        def run():
            connection = engine.raw_connection()
            try:
                with connection.cursor() as cursor, cursor.copy(
                        "COPY (SELECT * FROM establishment ORDER BY code) TO STDOUT WITH CSV HEADER") as copy:
                    lines = sum(bytes(block).count(b"\n") for block in copy)
            finally:
                connection.close()
            return {"rows": lines - 1}
    timing = repeat(run, runs, warmup=0)
    _rates(timing)
    return timing
