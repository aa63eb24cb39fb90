"""Check every row of a table and plan what it does (create, update, nothing), writing nothing.

The plan is both the dry run (what the preview page and `--dry-run` show) and the input of the write
step. Problems are collected for every row and column; one problem anywhere means nothing is written.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from .. import clock
from ..i18n import format_number
from ..adminunits.queries import unit_by_code
from ..models import AdminUnit, SurveyRound, UnitLevel
from ..geo.capture import PROVINCE_MARGIN_DEG
from ..text import fold
from . import queries, values
from .columns import CHECKED, IMPORTED, REQUIRED, ColumnMap, match_columns
from .reading import Table

#: Coordinates are kept to 7 decimals (about 1 cm), as the questionnaire keeps them.
COORDINATE_DECIMALS = 7
#: Columns with few distinct cells in a file (codes, choices, small numbers): each distinct cell is parsed once.
REPEATED = ("legal_form", "vsic_code", "commune_code", "district_code", "province_code", "status", "workers",
            "year_started")
#: Unknown columns a warning names (it counts them all).
UNKNOWN_NAMED = 10
Progress = Callable[[str, Iterable], Iterable]


def no_progress(_label: str, items: Iterable) -> Iterable:
    return items


@dataclass
class RowError:
    #: Spreadsheet row number (None: the file as a whole).
    row: int | None
    #: Column as a person finds it ("C (commune_code)" in a workbook, the header in a CSV).
    column: str | None
    message: str
    #: The cell as written, shortened.
    value: str | None = None


_ABSENT = object()


class RowValues(Mapping):
    """A row's typed values: a read-only dict of the columns parsed, held as one tuple in the file's column
    order (100,000 dicts of 15 keys took 45 MB; these take half)."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], parsed: dict[str, Any]):
        self._index = index
        self._values = tuple(parsed.get(name, _ABSENT) for name in index)

    def __getitem__(self, name: str) -> Any:
        value = self._values[self._index[name]] if name in self._index else _ABSENT
        if value is _ABSENT:
            raise KeyError(name)
        return value

    def __iter__(self):
        return (name for name, value in zip(self._index, self._values) if value is not _ABSENT)

    def __len__(self) -> int:
        return sum(1 for value in self._values if value is not _ABSENT)

    def __repr__(self) -> str:
        return repr(dict(self))


@dataclass(slots=True)
class PlannedRow:
    row: int
    #: Typed values of the columns the file has (a RowValues, or a dict).
    values: Mapping[str, Any]
    #: The establishment the row updates (None: a new one).
    establishment_id: int | None = None
    #: Its code: the existing one, the one the file gives a new row, or None (the next of its district).
    code: str | None = None
    #: field → (old, new) for an update.
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def action(self) -> str:
        if self.establishment_id is None:
            return "create"
        return "update" if self.changes else "unchanged"


@dataclass
class ImportPlan:
    source: str
    columns: ColumnMap
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows_read: int = 0
    sheet: str | None = None
    survey_round: SurveyRound | None = None
    province_code: str | None = None
    #: With a round: create / new_version / unchanged → number of records.
    records: Counter = field(default_factory=Counter)
    #: With a round: spreadsheet row → what its record will get (the write step skips "unchanged").
    record_actions: dict[int, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def counts(self) -> Counter:
        return Counter(row.action for row in self.rows)


class _Context:
    """What row checks need from the database, asked once per file."""

    def __init__(self, session: Session, province_code: str):
        self.session, self.province_code = session, province_code
        self.units: dict[str, AdminUnit | None] = {}
        self.province = self.unit(province_code)
        province = self.province
        #: (min lat, max lat, min lon, max lon) of the province, or None: read once, not on every row.
        self.box = None if province is None or province.min_lat is None else \
            (province.min_lat, province.max_lat, province.min_lon, province.max_lon)
        self.today = clock.local_today()
        #: (commune, district, province) of a row → [(column, message)] of the problems it has.
        self.commune_problems: dict[tuple, list[tuple[str, Any]]] = {}

    def unit(self, code: str) -> AdminUnit | None:
        if code not in self.units:
            self.units[code] = unit_by_code(self.session, code)
        return self.units[code]

    def preload(self, codes: set[str]) -> None:
        found = queries.units_by_code(self.session, codes - self.units.keys())
        self.units.update({code: found.get(code) for code in codes - self.units.keys()})


def plan_import(session: Session, table: Table, *, province_code: str, source: str, xlsx: bool,
                progress: Progress = no_progress) -> ImportPlan:
    columns = match_columns(table.headers)
    plan = ImportPlan(source, columns, rows_read=len(table.rows), sheet=table.sheet, province_code=province_code)
    plan.warnings = _unknown_columns(columns.unknown)
    if columns.errors:
        plan.errors = [RowError(table.header_row, None, message) for message in columns.errors]
        return plan
    context = _Context(session, province_code)
    parsers = _parsers(context)
    context.preload({_commune_text(cells, columns, parsers["commune_code"]) for _, cells in table.rows} - {None})
    fields = [(name, columns.index[name], parsers[name]) for name in IMPORTED + CHECKED if columns.has(name)]
    index = {name: position for position, (name, _, _) in enumerate(fields)}
    for number, cells in progress(str(_l("Checking rows")), _Released(table.rows)):
        row_values, errors = _parse_row(number, cells, columns, context, fields, xlsx)
        plan.errors.extend(errors)
        plan.rows.append(PlannedRow(number, RowValues(index, row_values), code=row_values.get("establishment_code")))
    bad_rows = {error.row for error in plan.errors}
    _check_duplicates(plan, bad_rows, xlsx)
    _resolve_coded(session, plan, context, bad_rows, xlsx)
    _resolve_uncoded(session, plan, bad_rows, xlsx)
    plan.errors.sort(key=lambda error: (error.row or 0))
    return plan


class _Released:
    """The rows of a table, each dropped from it once handed out: a file's raw cells and its planned
    values are never all held at once (the raw cells of 100,000 rows take about 90 MB)."""

    def __init__(self, rows: list):
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        rows = self.rows
        for index in range(len(rows)):
            row, rows[index] = rows[index], None
            yield row
        rows.clear()


def _unknown_columns(headers: list[str]) -> list[str]:
    """One warning for every column nobody knows: how many, and the first few names."""
    if not headers:
        return []
    names = ", ".join(_shown(header) for header in headers[:UNKNOWN_NAMED])
    if len(headers) > UNKNOWN_NAMED:
        names += ", …"
    return [str(_l("Unknown columns ignored (%(count)s): %(names)s", count=format_number(len(headers)), names=names))]


def _commune_text(cells: list[Any], columns: ColumnMap, parse: Callable[[Any], Any]) -> str | None:
    try:
        return parse(_cell(cells, columns.index["commune_code"]))
    except values.CellError:
        return None


def _cell(cells: list[Any], index: int) -> Any:
    return cells[index] if index < len(cells) else None


def _shown(raw: Any) -> str | None:
    if raw is None:
        return None
    text = str(raw)
    return text if len(text) <= 60 else text[:57] + "…"


def _parsers(context: _Context) -> dict[str, Callable[[Any], Any]]:
    """column → parser, for one file (the parsers of REPEATED columns remember the cells they saw)."""
    text = values.text
    parsers = {
        "establishment_code": values.establishment_code,
        "name": lambda raw: text(raw, values.MAX_LENGTH["name"]),
        "owner": lambda raw: text(raw, values.MAX_LENGTH["owner"]),
        "address": lambda raw: text(raw, values.MAX_LENGTH["address"]),
        "phone": lambda raw: text(raw, values.MAX_LENGTH["phone"]),
        "tax_code": lambda raw: text(raw, values.MAX_LENGTH["tax_code"]),
        "legal_form": values.legal_form,
        "vsic_code": values.vsic_code,
        "commune_code": lambda raw: values.digits_code(raw, 5),
        "district_code": lambda raw: values.digits_code(raw, 3),
        "province_code": lambda raw: values.digits_code(raw, 2),
        "lat": values.coordinate,
        "lon": values.coordinate,
        "workers": lambda raw: values.whole_number(raw, 0, 1_000_000),
        "revenue_vnd": lambda raw: values.whole_number(raw, 0, 10**16),
        "capital_vnd": lambda raw: values.whole_number(raw, 0, 10**16),
        "status": values.status,
        "year_started": lambda raw: values.whole_number(raw, 1800, context.today.year),
    }
    return parsers | {name: _remembered(parsers[name]) for name in REPEATED}


def _remembered(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`parse` that answers a cell it saw before (value or message) from memory: 100,000 rows hold a few
    hundred communes and legal forms, not worth folding or matching again on every row."""
    seen: dict[tuple[type, Any], tuple[bool, Any]] = {}

    def remembered(raw: Any) -> Any:
        key = (raw.__class__, raw)  # by class too: True == 1 == 1.0, but they do not parse alike
        try:
            outcome = seen.get(key)
        except TypeError:  # an unhashable cell: not remembered
            return parse(raw)
        if outcome is None:
            try:
                outcome = seen[key] = (True, parse(raw))
            except values.CellError as error:
                outcome = seen[key] = (False, error.message)
        if outcome[0]:
            return outcome[1]
        raise values.CellError(outcome[1])

    return remembered


def _parse_row(number: int, cells: list[Any], columns: ColumnMap, context: _Context,
               fields: list[tuple[str, int, Callable[[Any], Any]]],
               xlsx: bool) -> tuple[dict[str, Any], list[RowError]]:
    """`fields`: (column, index in the row, parser) of the columns the file has."""
    parsed: dict[str, Any] = {}
    errors: list[RowError] = []

    def fail(name: str, message) -> None:
        raw = _cell(cells, columns.index[name]) if columns.has(name) else None
        errors.append(RowError(number, columns.label(name, xlsx), str(message), _shown(raw)))

    width = len(cells)
    for name, index, parse in fields:
        try:
            parsed[name] = parse(cells[index] if index < width else None)
        except values.CellError as error:
            fail(name, error.message)
    for name in REQUIRED:
        if parsed.get(name) is None and columns.label(name, xlsx) not in {error.column for error in errors}:
            fail(name, _l("Required."))
    _check_commune(parsed, context, fail)
    _check_point(parsed, columns, context, fail)
    for name in ("lat", "lon"):
        if parsed.get(name) is not None:
            parsed[name] = round(parsed[name], COORDINATE_DECIMALS)
    return parsed, errors


def _check_commune(parsed: dict[str, Any], context: _Context, fail) -> None:
    code = parsed.get("commune_code")
    if code is None:
        return
    key = (code, parsed.get("district_code"), parsed.get("province_code"))
    problems = context.commune_problems.get(key)
    if problems is None:  # the same few hundred communes on every row: each combination is checked once
        problems = context.commune_problems[key] = []
        _commune_problems(code, key[1], key[2], context, lambda name, message: problems.append((name, message)))
    for name, message in problems:
        fail(name, message)


def _commune_problems(code: str, district: str | None, province: str | None, context: _Context, fail) -> None:
    commune = context.unit(code) if len(code) == 5 and code.isdigit() else None
    if len(code) != 5 or not code.isdigit():
        fail("commune_code", _l("Commune code must have 5 digits."))
    elif commune is None or commune.level != UnitLevel.commune:
        fail("commune_code", _l("Unknown commune: %(code)s", code=code))
    elif commune.province_code != context.province_code:
        fail("commune_code", _l("Commune %(code)s is not in this installation's province (%(province)s).",
                                code=code, province=context.province_code))
    else:
        if district and district != commune.parent_code:
            district_unit = context.unit(district)
            fail("district_code", _l("Commune %(commune)s is not in district %(district)s.", commune=commune.name,
                                     district=district_unit.name if district_unit else district))
        if province and province != commune.province_code:
            fail("province_code", _l("Commune %(commune)s is in province %(province)s.", commune=commune.name,
                                     province=commune.province_code))


def _check_point(parsed: dict[str, Any], columns: ColumnMap, context: _Context, fail) -> None:
    lat, lon = parsed.get("lat"), parsed.get("lon")
    if lat is None and lon is None:
        return
    if lat is None or lon is None:
        missing = "lat" if lat is None else "lon"
        if columns.has(missing):
            fail(missing, _l("Give both latitude and longitude, or neither."))
        else:
            fail("lon" if missing == "lat" else "lat", _l("Give both latitude and longitude, or neither."))
        return
    box = context.box
    if box is None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            fail("lat", _l("Latitude must be between -90 and 90, longitude between -180 and 180."))
        return
    if _inside(box, lat, lon):
        return
    if _inside(box, lon, lat):
        fail("lat", _l("Latitude and longitude look swapped (latitude %(lat)s, longitude %(lon)s).", lat=lat, lon=lon))
    else:
        fail("lat", _l("The point %(lat)s, %(lon)s is outside %(province)s.", lat=lat, lon=lon,
                       province=context.province.name))


def _inside(box: tuple[float, float, float, float], lat: float, lon: float) -> bool:
    min_lat, max_lat, min_lon, max_lon = box
    margin = PROVINCE_MARGIN_DEG
    return (min_lat - margin <= lat <= max_lat + margin) and (min_lon - margin <= lon <= max_lon + margin)


def _identity(row_values: dict[str, Any]) -> tuple[str, str, str]:
    """What names an establishment without a code: its commune, name and owner (folded)."""
    return row_values.get("commune_code") or "", fold(row_values.get("name")), fold(row_values.get("owner"))


def _check_duplicates(plan: ImportPlan, bad_rows: set, xlsx: bool) -> None:
    seen_codes: dict[str, int] = {}
    seen_identities: dict[tuple, int] = {}
    for planned in plan.rows:
        if planned.code:
            first = seen_codes.setdefault(planned.code, planned.row)
            if first != planned.row:
                plan.errors.append(RowError(planned.row, plan.columns.label("establishment_code", xlsx),
                                            str(_l("The same establishment code is on row %(row)d.", row=first)),
                                            planned.code))
                bad_rows.add(planned.row)
        elif planned.row not in bad_rows:
            first = seen_identities.setdefault(_identity(planned.values), planned.row)
            if first != planned.row:
                plan.errors.append(RowError(planned.row, plan.columns.label("name", xlsx), str(_l(
                    "Same commune, name and owner as row %(row)d: give each its establishment_code, or remove one.",
                    row=first)), _shown(planned.values.get("name"))))
                bad_rows.add(planned.row)


def _resolve_coded(session: Session, plan: ImportPlan, context: _Context, bad_rows: set, xlsx: bool) -> None:
    coded = [row for row in plan.rows if row.code and row.row not in bad_rows]
    existing = queries.current_values_by_code(session, [row.code for row in coded])
    for planned in coded:
        current = existing.get(planned.code)
        if current is not None:
            planned.establishment_id = current.id
            planned.changes = _changes(planned.values, current)
            continue
        commune = context.unit(planned.values["commune_code"])
        prefix = f"{commune.province_code}-{commune.parent_code}-"
        if not planned.code.startswith(prefix):
            plan.errors.append(RowError(planned.row, plan.columns.label("establishment_code", xlsx), str(_l(
                "A new establishment code must start with %(prefix)s (the district of its commune).", prefix=prefix)),
                planned.code))
            bad_rows.add(planned.row)


def _resolve_uncoded(session: Session, plan: ImportPlan, bad_rows: set, xlsx: bool) -> None:
    """Rows without a code are matched by commune, name and owner, so importing a file twice adds nothing."""
    uncoded = [row for row in plan.rows if not row.code and row.row not in bad_rows]
    if not uncoded:
        return
    known: dict[tuple, list] = {}
    for row in queries.names_in_communes(session, {planned.values["commune_code"] for planned in uncoded}):
        known.setdefault((row.commune_code, fold(row.name), fold(row.owner)), []).append(row)
    claimed = {row.establishment_id: row.row for row in plan.rows if row.establishment_id}
    matched: list[PlannedRow] = []
    for planned in uncoded:
        candidates = known.get(_identity(planned.values), [])
        if len(candidates) > 1:
            plan.errors.append(RowError(planned.row, plan.columns.label("name", xlsx), str(_l(
                "%(n)d establishments of this commune have this name and owner: add the establishment_code column "
                "to say which one.", n=len(candidates))), _shown(planned.values.get("name"))))
        elif candidates:
            target = candidates[0]
            if target.id in claimed:
                plan.errors.append(RowError(planned.row, plan.columns.label("name", xlsx), str(_l(
                    "Row %(row)d already updates this establishment (%(code)s).", row=claimed[target.id],
                    code=target.code)), _shown(planned.values.get("name"))))
                continue
            planned.establishment_id, planned.code = target.id, target.code
            claimed[target.id] = planned.row
            matched.append(planned)
    current = queries.current_values_by_id(session, [row.establishment_id for row in matched])
    for planned in matched:
        planned.changes = _changes(planned.values, current[planned.establishment_id])


def _changes(row_values: dict[str, Any], current) -> dict[str, tuple[Any, Any]]:
    """field → (registry value, file value) where they differ; columns the file lacks are left alone."""
    changes = {}
    for name, old in zip(queries.COMPARED, queries.compared_values(current)):
        if name not in row_values:
            continue
        new = row_values[name]
        if name == "status" and new is None:
            continue  # an empty status cell keeps the status
        if old != new:
            changes[name] = (old, new)
    return changes
