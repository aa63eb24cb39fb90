"""All SQL of exports: the filtered establishments in keyset batches or CSV segments, and the small lookups."""
from __future__ import annotations

import json
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, Iterator

from sqlalchemy import (Connection, Engine, LargeBinary, Row, String, bindparam, case, cast, func, literal, null, or_,
                        true)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import Compiled
from sqlmodel import Session, select

from ..establishments.queries import apply_filter, within_scope
from ..models import AdminUnit, Boundary, Establishment, Photo
from .xlsx import FORMULA_TRIGGERS

if TYPE_CHECKING:
    from ..establishments.filters import EstablishmentFilter
    from .columns import Column

#: Rows fetched per statement: big enough to be fast, small enough to keep memory flat.
BATCH_SIZE = 2000
#: Lines per statement for the CSV: each is one short text, so batches can be bigger.
CSV_BATCH_SIZE = 5000
#: Rows per COPY on PostgreSQL: each statement is planned (1 ms), and the planner keeps the look-ups'
#: cache (Memoize) only for a segment it expects to hold some thousands of rows.
COPY_SEGMENT_SIZE = 20000
#: Threads building CSV segments at once: Python's sqlite3 lets go of the GIL while SQLite works, and a
#: PostgreSQL segment is the work of its own server process, so each runs on a core of its own.
CSV_PRODUCERS = 2
#: Segments built ahead of the one being sent: bounds the memory they hold.
CSV_AHEAD = 3
#: Columns whose SQL value is already a finished CSV cell.
FORMATTED_LABELS = ("legal_form_name", "sector_name")
#: Names of units: SQLite reads them as finished cells (`_csv_line_statement`).
UNIT_CELLS = ("commune_name", "district_name", "commune_name_2025", "province_name_2025")

#: The establishment's photo file names, space-separated (none: NULL, an empty cell).
PHOTO_FILES = (select(func.aggregate_strings(Photo.file_name, " "))
               .where(Photo.establishment_id == Establishment.id).correlate(Establishment)
               .scalar_subquery().label("photo_files"))

#: The columns an export reads, in one tuple per row (no ORM objects: nothing accumulates in the session).
EXPORTED = (
    Establishment.code, Establishment.name, Establishment.owner, Establishment.legal_form, Establishment.vsic_code,
    Establishment.sector, Establishment.commune_code, Establishment.district_code, Establishment.province_code,
    Establishment.address, Establishment.lat, Establishment.lon, Establishment.workers, Establishment.revenue_vnd,
    Establishment.capital_vnd, Establishment.latest_round_code, Establishment.latest_record_status,
    Establishment.status, Establishment.tax_code, Establishment.phone, Establishment.year_started,
    Establishment.gps_mismatch, PHOTO_FILES,
)


def establishment_batches(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None,
                          batch_size: int = BATCH_SIZE, statement: Select | None = None) -> Iterator[list[Row]]:
    """The filtered establishments ordered by code, `batch_size` at a time (rows of `statement`,
    which must select Establishment.code as "code"; default: the EXPORTED columns).

    Keyset pagination (`code > last`) instead of OFFSET: every batch is an index seek, so a million
    rows cost the same per row as a thousand, and no cursor stays open between batches.
    """
    statement = select(*EXPORTED) if statement is None else statement
    base = within_scope(apply_filter(statement, wanted), scope).order_by(Establishment.code)
    last_code: str | None = None
    while True:
        statement = base if last_code is None else base.where(Establishment.code > last_code)
        batch = session.connection().execute(statement.limit(batch_size)).all()  # Core rows: no ORM loading
        if not batch:
            return
        yield batch
        if len(batch) < batch_size:
            return
        last_code = batch[-1].code


def csv_line_batches(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None,
                     columns: tuple["Column", ...], legal_forms: dict[str, str], sectors: dict[str, str],
                     batch_size: int | None = None,
                     status_words: dict[str, dict[str, str]] | None = None) -> Iterator[tuple[int, bytes]]:
    """The export's CSV lines, written by the database itself: (rows, their bytes) a batch at a time.

    The same file `formats.csv_chunks` writes from row dicts (minimal quoting, formulas neutralised,
    empty for NULL), but each line is assembled in SQL and Python only joins the lines: a full
    export runs several times faster. Codes checked on the way in are copied as they are; labels
    come formatted from Python; coordinates have up to 15 significant digits (SQLite's text of a
    real; PostgreSQL writes the shortest exact form). Segments of the file are built by two threads:
    SQLite joins a segment's lines in one statement, PostgreSQL sends it with COPY.
    """
    codes = within_scope(apply_filter(select(Establishment.code), wanted), scope)
    if session.get_bind().dialect.name == "postgresql":
        statement, size, finished = (_csv_value_statement(session, columns, legal_forms, sectors, status_words),
                                     COPY_SEGMENT_SIZE, _copied)
    else:
        statement, size, finished = (_csv_line_statement(session, columns, legal_forms, sectors, status_words),
                                     CSV_BATCH_SIZE, _joined)
    yield from _segmented_lines(session, within_scope(apply_filter(statement, wanted), scope), codes,
                                batch_size or size, finished)


def _segmented_lines(session: Session, lines: Select, codes: Select, size: int,
                     finished: Callable[[Session, Select], Any]) -> Iterator[tuple[int, bytes]]:
    """The lines of `lines` in code order, built by CSV_PRODUCERS threads a segment of `size` rows each
    (its first code and the next segment's, read here from the code index), sent in order. `finished`
    makes a segment's statement what `_segment` runs: SQLite's joined lines or PostgreSQL's COPY.

    Each thread reads on a connection of its own from the engine; closing the generator (a download
    abandoned) cancels what has not started and waits for what has, so the connections go back."""
    engine = session.get_bind()
    lines = lines.where(Establishment.code >= bindparam("first", None)).order_by(Establishment.code)
    bounded = finished(session, lines.where(Establishment.code < bindparam("next", None)))
    last = finished(session, lines)
    starts = _segment_starts(session, codes.order_by(Establishment.code), size)
    pending: deque = deque()
    with ThreadPoolExecutor(CSV_PRODUCERS, thread_name_prefix="csv-lines") as producers:
        try:
            first = next(starts, None)
            while first is not None or pending:
                while first is not None and len(pending) < CSV_AHEAD:
                    following = next(starts, None)
                    statement, values = (bounded, {"first": first, "next": following}) if following is not None \
                        else (last, {"first": first})
                    pending.append(producers.submit(_segment, engine, statement, values))
                    first = following
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


def _segment_starts(session: Session, codes: Select, size: int) -> Iterator[str]:
    """The first code of each segment of `size` rows: an index seek and `size` steps along it."""
    start = session.connection().execute(codes.limit(1)).scalar()
    following = codes.where(Establishment.code >= bindparam("first", None)).offset(size).limit(1)
    while start is not None:
        yield start
        start = session.connection().execute(following, {"first": start}).scalar()


def _joined(session: Session, lines: Select) -> Select:
    """SQLite: the lines in code order joined in one text, and how many: SQLite builds a whole segment in
    one step, which it takes without Python's GIL (a row at a time, the threads would hand it over per row).
    group_concat takes the rows as the ordered subquery yields them (SQLite 3.44 could say ORDER BY in it;
    the tests check the order)."""
    ordered = lines.subquery()
    text = func.group_concat(ordered.c.line, "\r\n", type_=String) + "\r\n"
    return select(func.count(), cast(text, LargeBinary))  # as UTF-8 bytes: no decoding and encoding again


def _copied(session: Session, values: Select) -> Compiled:
    """PostgreSQL: the statement compiled once for the COPY of every segment."""
    return values.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})


def _segment(engine: Engine, statement: Select | Compiled, given: dict) -> tuple[int, bytes]:
    """One segment's lines, read on a connection of the engine's pool of its own, given back after."""
    with engine.connect() as connection:
        if isinstance(statement, Compiled):
            count, data = _copy_out(connection, statement, given)
            return count, bytes(data)
        count, data = connection.execute(statement, given).one()
    return count, data if count else b""


def _csv_line_statement(session: Session, columns: tuple["Column", ...], legal_forms: dict[str, str],
                        sectors: dict[str, str], status_words: dict[str, dict[str, str]] | None) -> Select:
    """SQLite: SELECT line, each establishment's CSV line (without its line break).

    One printf writes the line (a chain of || would copy it once per cell, and printf writes NULL as
    the empty field); the unit names come as finished cells from a table of the province's units built
    once per statement, not once per row; without any photo the photo column is empty without a look."""
    units = select(AdminUnit.code, _csv_text(AdminUnit.name).label("name"), AdminUnit.successor_code,
                   _csv_text(AdminUnit.successor_name).label("successor_name"), AdminUnit.successor_province_code,
                   _csv_text(AdminUnit.successor_province_name).label("successor_province_name"),
                   ).cte("unit_cell").prefix_with("MATERIALIZED")
    commune, district = units.alias("commune_unit"), units.alias("district_unit")
    values = _export_values(commune, district, legal_forms, sectors)
    if _no_photos(session):
        values["photo_files"] = null()
    for key, words in (status_words or {}).items():  # the code's word, as a finished cell
        values[key] = case({code: csv_cell(word) for code, word in words.items()}, value=values[key],
                           else_=values[key])
    formatted = set(FORMATTED_LABELS) | set(status_words or {}) | set(UNIT_CELLS)
    cells = [values[c.key] if c.key in formatted or c.numeric or c.checked else _csv_text(values[c.key])
             for c in columns]
    line = func.printf(",".join(["%s"] * len(cells)), *cells)
    return (select(line.label("line")).select_from(Establishment)
            .outerjoin(commune, commune.c.code == Establishment.commune_code)
            .outerjoin(district, district.c.code == Establishment.district_code))


def _csv_value_statement(session: Session, columns: tuple["Column", ...], legal_forms: dict[str, str],
                         sectors: dict[str, str], status_words: dict[str, dict[str, str]] | None) -> Select:
    """PostgreSQL: one value per column, for COPY's own CSV writer to quote (as Python's csv writer does:
    a value with a comma, a quote or a line break). Text is neutralised against formulas here; an empty
    text becomes NULL, which COPY writes as an empty field (an empty string it would write as "").

    The labels are looked up in a JSON object (a CASE compares code by code; a hash join with a list
    would lose the code order and sort the wide rows): the plan then reads the code index in order and
    looks the units up in a memoized nested loop."""
    commune, district = AdminUnit.__table__.alias("commune_unit"), AdminUnit.__table__.alias("district_unit")
    values = _export_values(commune, district, {}, {}, formatted=False)
    if _no_photos(session):
        values["photo_files"] = null()
    for key, words in (status_words or {}).items():
        values[key] = case({code: neutralised(word) for code, word in words.items()}, value=values[key],
                           else_=values[key])
    values["legal_form_name"] = _label(legal_forms, Establishment.legal_form)  # the code without a label: below
    values["sector_name"] = _label(sectors, Establishment.sector)
    finished = set(FORMATTED_LABELS) | set(status_words or {})
    cells = {c.key: values[c.key] if c.numeric or c.checked or c.key in finished else _copied_text(values[c.key])
             for c in columns}
    # The labels and the units' cells depend on a few codes only: one lateral subquery works them out,
    # and the plan's Memoize keeps its answer per combination of codes (about 20,000 in a province):
    # a million rows then cost one cache look-up each instead of two joins and two JSON look-ups.
    one = select(literal(1).label("one")).subquery("one")
    looked_up = (select(*(cells[key].label(key) for key in _LOOKED_UP if key in cells)).select_from(one)
                 .outerjoin(commune, commune.c.code == Establishment.commune_code)
                 .outerjoin(district, district.c.code == Establishment.district_code)
                 .offset(0)  # a fence: else PostgreSQL pulls the joins up into the main query
                 .lateral("looked_up"))
    # The code itself where it has no label: outside the look-up, else the cache would be keyed by it twice.
    cells = {c.key: looked_up.c[c.key] if c.key in _LOOKED_UP else cells[c.key] for c in columns}
    cells["legal_form_name"] = func.coalesce(cells["legal_form_name"], Establishment.legal_form)
    return select(*(cells[c.key] for c in columns)).select_from(Establishment).outerjoin(looked_up, true())


#: The cells read from units and labels (PostgreSQL's lateral look-up).
_LOOKED_UP = ("legal_form_name", "sector_name", "commune_name", "district_name", "commune_code_2025",
              "commune_name_2025", "province_code_2025", "province_name_2025")


def _label(labels: dict[str, str], code):
    """PostgreSQL: the code's label, neutralised, from a JSON object of them all (NULL for another code)."""
    mapping = json.dumps({key: neutralised(label) for key, label in labels.items()}, ensure_ascii=False)
    return func.jsonb_extract_path_text(cast(literal(mapping), JSONB), code)


def _no_photos(session: Session) -> bool:
    """No photo at all: the photo column is empty without looking per row."""
    return session.connection().execute(select(Photo.id).limit(1)).first() is None


def _copy_out(connection: Connection, compiled: Compiled, given: dict) -> tuple[int, bytearray]:
    """PostgreSQL: `COPY (SELECT ...) TO STDOUT (FORMAT csv)`: how many lines, and the lines each ended by
    CRLF as the file wants (COPY ends them with a line feed; one inside a quoted value stays as it is)."""
    # One process per segment: parallel workers would take the cores the other segment and the app need;
    # compiling the expressions (JIT) costs more than it saves on a simple scan. The table is read in code
    # order from its index: costed as if on disk, a segment would rather be gathered by a bitmap and
    # sorted, slower than the whole segment takes in order. (For this transaction only.)
    connection.exec_driver_sql("SELECT set_config('max_parallel_workers_per_gather', '0', true), "
                               "set_config('jit', 'off', true), set_config('random_page_cost', '1.1', true)")
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor:
        with cursor.copy(f"COPY ({compiled}) TO STDOUT (FORMAT csv)", {**compiled.params, **given}):
            return driver.wait(_copied_lines(driver.pgconn, driver.info.encoding))


def _copied_lines(pgconn, encoding: str):
    """A generator for psycopg's `Connection.wait`: the lines of the COPY under way, as many as libpq holds
    at each turn (psycopg's own reading waits once per row: twice the CPU), then COPY's closing result.
    A failed COPY raises the error psycopg would. Each line is appended to one buffer at once: a bytes
    object per line (or holding libpq's own buffers) would take as much CPU again and more memory."""
    from psycopg import pq
    from psycopg.errors import error_from_result
    from psycopg.waiting import Wait

    count, data = 0, bytearray()
    while True:
        size, row = pgconn.get_copy_data(1)  # without waiting; -2 raises
        if size > 0:
            data += row
            data.insert(-1, 13)  # CR before the line feed
            count += 1
        elif size == 0:
            while not (yield Wait.R):
                continue
            pgconn.consume_input()
        else:
            break
    results = []
    while True:  # to the end of the results, else the connection stays busy
        while pgconn.is_busy():
            while not (yield Wait.R):
                continue
            pgconn.consume_input()
        if (result := pgconn.get_result()) is None:
            break
        results.append(result)
    if failed := [result for result in results if result.status != pq.ExecStatus.COMMAND_OK]:
        raise error_from_result(failed[0], encoding=encoding)
    return count, data


def neutralised(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _copied_text(value):
    """PostgreSQL: the text neutralised, NULL when empty. Every formula sign sorts before "A" byte-wise:
    one comparison settles most texts; the others (numbers, phones, codes) by the number of their first
    character, an integer (ascii('') is 0), not by cutting out a text and comparing it six times."""
    first = {0: null(), **{ord(sign): literal("'") + value for sign in FORMULA_TRIGGERS}}
    return case((value.collate("C") >= "A", value), else_=case(first, value=func.ascii(value), else_=value))


def _export_values(commune, district, legal_forms: dict[str, str], sectors: dict[str, str],
                   formatted: bool = True) -> dict:
    """Each column's SQL value; the two labels as finished CSV cells (formatted once, in Python), or as
    plain text when not `formatted`."""
    e = Establishment
    cell = csv_cell if formatted else str
    return {
        "establishment_code": e.code, "name": e.name, "owner": e.owner, "legal_form": e.legal_form,
        "legal_form_name": case({code: cell(label) for code, label in legal_forms.items()}, value=e.legal_form,
                                else_=e.legal_form if not formatted else func.coalesce(e.legal_form, "")),
        "vsic_code": e.vsic_code, "sector": e.sector,
        "sector_name": case({code: cell(name) for code, name in sectors.items()}, value=e.sector,
                            else_="" if formatted else null()),
        "commune_code": e.commune_code, "commune_name": commune.c.name, "district_code": e.district_code,
        "district_name": district.c.name, "province_code": e.province_code, "address": e.address, "lat": e.lat,
        "lon": e.lon, "workers": e.workers, "revenue_vnd": e.revenue_vnd, "capital_vnd": e.capital_vnd,
        "latest_round": e.latest_round_code, "record_status": e.latest_record_status, "status": e.status,
        "tax_code": e.tax_code, "phone": e.phone, "year_started": e.year_started,
        "gps_mismatch": case((e.gps_mismatch.is_(None), null()), (e.gps_mismatch, 1), else_=0),
        "commune_code_2025": commune.c.successor_code, "commune_name_2025": commune.c.successor_name,
        "province_code_2025": commune.c.successor_province_code,
        "province_name_2025": commune.c.successor_province_name,
        "photo_files": PHOTO_FILES,
    }


def csv_cell(text: str) -> str:
    """One text as a CSV cell, as Python's csv writer and the export write it."""
    text = neutralised(text)
    return '"' + text.replace('"', '""') + '"' if any(mark in text for mark in ',"\r\n') else text


def _csv_text(value):
    """SQLite: NULL for NULL; a leading apostrophe before formula signs; quoted when it holds , " or a line
    break. Every formula sign sorts before "A": one comparison settles most texts."""
    text = case((value >= "A", value), (func.substr(value, 1, 1).in_(FORMULA_TRIGGERS), literal("'") + value),
                else_=value)
    needs_quotes = or_(*(func.instr(value, mark) > 0 for mark in (",", '"', "\n", "\r")))  # the apostrophe adds none
    return case((needs_quotes, literal('"') + func.replace(text, '"', '""') + literal('"')), else_=text)


def unit_names(session: Session, codes: set[str]) -> dict[str, str]:
    """Code → name of these units (a batch asks only for codes it has not seen: a few queries per export)."""
    if not codes:
        return {}
    return dict(session.exec(select(AdminUnit.code, AdminUnit.name).where(AdminUnit.code.in_(sorted(codes)))).all())


def commune_successors(session: Session, codes: set[str]) -> dict[str, tuple]:
    """Legacy commune code → (code, name, province code, province name) of its commune after 1 July 2025."""
    statement = (select(AdminUnit.code, AdminUnit.successor_code, AdminUnit.successor_name,
                        AdminUnit.successor_province_code, AdminUnit.successor_province_name)
                 .where(AdminUnit.code.in_(sorted(codes))))
    return {code: tuple(rest) for code, *rest in session.exec(statement)}


def boundaries(session: Session, level: str, province_code: str) -> list[tuple[str, str, dict]]:
    """(code, name, GeoJSON geometry) of the imported outlines of one level in the province."""
    statement = (
        select(Boundary.unit_code, AdminUnit.name, Boundary.geometry)
        .join(AdminUnit, AdminUnit.code == Boundary.unit_code)
        .where(Boundary.level == level, AdminUnit.province_code == province_code)
        .order_by(Boundary.unit_code)
    )
    return [tuple(row) for row in session.exec(statement).all()]
