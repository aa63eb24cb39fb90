"""The establishment filter: one set of query arguments shared by the list, maps and exports.

Parsing is pure (no database); checking that codes exist is `validate_filter_codes`, which takes a
session. Both report problems as {argument: message} so every edge can show them its own way.
Every edge reads its filter with one call, `read_filter`, which does both.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from typing import Mapping

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from ..adminunits import queries as unit_queries
from ..models import EstablishmentStatus, LegalForm, UnitEra, UnitLevel
from ..promotion import queries as promotion_queries
from ..reference import CERTIFICATE_LEVELS, vsic_divisions
from ..survey import queries as survey_queries
from ..text import without_control_characters
from ..web import MAX_PAGE, bounded_int

FILTER_ARGUMENTS = ("district", "commune", "sector", "legal_form", "round", "status", "q", "gps_mismatch",
                    "supported", "project", "certificate_level", "ocop_min_stars", "units", "commune_2025",
                    "panel", "panel_from", "panel_to")
#: `units=`: which administrative units pages show and filter by (see `UnitEra`).
UNIT_ERAS = tuple(era.value for era in UnitEra)
#: Panel categories between two rounds (reports/panel.py defines them).
PANEL_CATEGORIES = ("continuing", "new", "closed", "not_revisited")
_DISTRICT = re.compile(r"^\d{3}$")
_COMMUNE = re.compile(r"^\d{5}$")
_INTEGER = re.compile(r"[+-]?[0-9]+")  # ASCII digits: int() reads "١٢" and fails on "²"
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class EstablishmentFilter:
    district: str | None = None
    commune: str | None = None
    sector: str | None = None
    legal_form: str | None = None
    round: str | None = None
    status: str | None = None
    q: str | None = None
    #: "1": GPS point outside the declared district/commune; "0": inside.
    gps_mismatch: str | None = None
    #: "1": received support from any promotion project; "0": never.
    supported: str | None = None
    #: Code of a promotion project the establishment was supported by.
    project: str | None = None
    #: Holds a typical-product certificate of this level (district/provincial/regional/national).
    certificate_level: str | None = None
    #: Has a product with at least this many OCOP stars ("1"–"5").
    ocop_min_stars: str | None = None
    #: Units shown and chosen, as asked for: "legacy" (before 1 July 2025) or "2025".
    units: str | None = None
    #: Commune after 1 July 2025 (admin_unit_2025.code): establishments of the legacy communes counted in it.
    commune_2025: str | None = None
    #: The units shown when `units` is not given (not a query argument): `read_filter` sets it from the round.
    default_units: str = UnitEra.legacy.value
    #: Panel category between two rounds (PANEL_CATEGORIES), with the codes of the earlier and later round.
    panel: str | None = None
    panel_from: str | None = None
    panel_to: str | None = None

    def as_query_args(self) -> dict[str, str]:
        """The non-empty arguments, to rebuild links (pagination, exports, maps)."""
        return {key: value for key in _ARGUMENT_NAMES if (value := getattr(self, key))}

    def is_empty(self) -> bool:
        """True when no establishment is left out (the units shown are not a condition)."""
        return not {key for key in self.as_query_args() if key != "units"}

    @property
    def era(self) -> str:
        """The units shown: those asked for, else the default."""
        return self.units or self.default_units

    @property
    def units_2025(self) -> bool:
        return self.era == UnitEra.units_2025.value


#: Field names of a filter (read once: dataclasses.asdict copies every value, for each list request).
_FIELD_NAMES = tuple(item.name for item in fields(EstablishmentFilter))
_ARGUMENT_NAMES = tuple(name for name in _FIELD_NAMES if name != "default_units")


@dataclass
class ParsedFilter:
    filter: EstablishmentFilter
    page: int = 1
    errors: dict[str, str] = field(default_factory=dict)
    #: The code the previous page ended with (the Next link) or the next page began with (Previous).
    after: str | None = None
    before: str | None = None


#: An establishment code as a page link carries it ("94-947-000124"; imported codes may differ).
_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,19}")


def parse_cursor(raw: str | None) -> tuple[str | None, str | None]:
    """`after`/`before`: (the code, None), (None, None) when absent or empty, or (None, the error)."""
    text = (raw or "").strip()
    if not text:
        return None, None
    if not _CODE.fullmatch(text):
        return None, str(_l("Not an establishment code."))
    return text, None


def parse_establishment_filter(args: Mapping[str, str]) -> ParsedFilter:
    """Read the query arguments; malformed values become errors, never exceptions.

    Control characters are spaces (a NUL byte would break the search index and PostgreSQL)."""
    errors: dict[str, str] = {}
    values = {name: (without_control_characters(value).strip() or None) if (value := args.get(name)) else None
              for name in FILTER_ARGUMENTS}

    if values["district"] and not _DISTRICT.match(values["district"]):
        errors["district"] = str(_l("District code must have 3 digits."))
    if values["commune"] and not _COMMUNE.match(values["commune"]):
        errors["commune"] = str(_l("Commune code must have 5 digits."))
    if values["commune_2025"] and not _COMMUNE.match(values["commune_2025"]):
        errors["commune_2025"] = str(_l("Commune code must have 5 digits."))
    if values["units"] and values["units"] not in UNIT_ERAS:
        errors["units"] = str(_l("units must be legacy or 2025."))
    if values["sector"]:
        values["sector"] = values["sector"].upper()
        if values["sector"] not in vsic_divisions():
            errors["sector"] = str(_l("Unknown sector (VSIC division such as C10)."))
    if values["legal_form"] and values["legal_form"] not in {form.value for form in LegalForm}:
        errors["legal_form"] = str(_l("Unknown legal form."))
    if values["status"] and values["status"] not in {status.value for status in EstablishmentStatus}:
        errors["status"] = str(_l("Unknown status."))
    if values["gps_mismatch"] and values["gps_mismatch"] not in ("0", "1"):
        errors["gps_mismatch"] = str(_l("gps_mismatch must be 1 or 0."))
    if values["supported"] and values["supported"] not in ("0", "1"):
        errors["supported"] = str(_l("supported must be 1 or 0."))
    if values["certificate_level"] and values["certificate_level"] not in CERTIFICATE_LEVELS:
        errors["certificate_level"] = str(_l("Unknown certificate level."))
    if values["ocop_min_stars"] and values["ocop_min_stars"] not in ("1", "2", "3", "4", "5"):
        errors["ocop_min_stars"] = str(_l("OCOP stars go from 1 to 5."))
    if values["panel"] and values["panel"] not in PANEL_CATEGORIES:
        errors["panel"] = str(_l("Unknown panel category (continuing, new, closed or not_revisited)."))
    if values["project"] and len(values["project"]) > 40:
        errors["project"] = str(_l("Unknown promotion project."))
    if values["q"] and len(values["q"]) > MAX_QUERY_LENGTH:
        errors["q"] = str(_l("Search text is too long (at most %(n)d characters).", n=MAX_QUERY_LENGTH))

    page, page_error = _parse_page(args.get("page"))
    if page_error:
        errors["page"] = page_error
    cursors = {}
    for name in ("after", "before"):
        cursors[name], cursor_error = parse_cursor(args.get(name))
        if cursor_error:
            errors[name] = cursor_error
    clean = {name: (None if name in errors else value) for name, value in values.items()}
    return ParsedFilter(EstablishmentFilter(**clean), page, errors, **cursors)


def _parse_page(raw: str | None) -> tuple[int, str | None]:
    text = (raw or "").strip()
    if not text:
        return 1, None
    if not _INTEGER.fullmatch(text):
        return 1, str(_l("Page must be a whole number."))
    if text.startswith("-") or not text.strip("+0"):
        return 1, str(_l("Page must be 1 or more."))
    # Past the last page either way, the list moves to its last: a huge number is never converted.
    return bounded_int(text, 1, MAX_PAGE) or MAX_PAGE, None


def read_filter(session: Session, args: Mapping[str, str], province_code: str | None, *,
                paged: bool = True) -> ParsedFilter:
    """The filter the arguments ask for and its errors, codes checked; `paged=False` ignores `page`."""
    if not paged:
        args = {name: args.get(name, "") for name in FILTER_ARGUMENTS}
    return validate_filter_codes(session, parse_establishment_filter(args), province_code)


def validate_filter_codes(session: Session, parsed: ParsedFilter, province_code: str | None) -> ParsedFilter:
    """Check that district, commune and round exist (and agree); unknown ones become errors."""
    wanted = parsed.filter
    errors = dict(parsed.errors)
    district = unit_queries.unit_facts(session, wanted.district) if wanted.district else None
    if wanted.district and not _is_unit(district, UnitLevel.district, province_code):
        errors["district"] = str(_l("Unknown district: %(code)s", code=wanted.district))
    commune = unit_queries.unit_facts(session, wanted.commune) if wanted.commune else None
    if wanted.commune and not _is_unit(commune, UnitLevel.commune, province_code):
        errors["commune"] = str(_l("Unknown commune: %(code)s", code=wanted.commune))
    elif commune and district and commune.parent_code != district.code:
        errors["commune"] = str(_l("Commune %(commune)s is not in district %(district)s.",
                                    commune=commune.name, district=district.name))
    survey_round = survey_queries.round_by_code(session, wanted.round) if wanted.round else None
    if wanted.round and survey_round is None:
        errors["round"] = str(_l("Unknown survey round: %(code)s", code=wanted.round))
    if wanted.commune_2025 and not unit_queries.is_commune_2025_of_province(session, wanted.commune_2025,
                                                                            province_code or ""):
        errors["commune_2025"] = str(_l("Unknown commune: %(code)s", code=wanted.commune_2025))
    if wanted.project and promotion_queries.project_id_by_code(session, wanted.project) is None:
        errors["project"] = str(_l("Unknown promotion project: %(code)s", code=wanted.project))
    clean = {name: (None if name in errors else getattr(wanted, name)) for name in _FIELD_NAMES}
    clean["default_units"] = _default_units(clean, survey_round)
    clean.update(_panel_rounds(session, clean, errors))
    return ParsedFilter(EstablishmentFilter(**clean), parsed.page, errors, parsed.after, parsed.before)


def _default_units(clean: dict, survey_round) -> str:
    """The units the reader did not choose: those of a 2025 commune asked for, else of the round, else legacy."""
    if clean["commune_2025"]:
        return UnitEra.units_2025.value
    if survey_round is not None and not clean["district"] and not clean["commune"]:
        return survey_round.admin_units
    return UnitEra.legacy.value


def _panel_rounds(session: Session, values: dict, errors: dict[str, str]) -> dict[str, str | None]:
    """The panel's two rounds, the two latest by default; without a panel category they mean nothing."""
    if not values["panel"]:
        return {"panel_from": None, "panel_to": None}
    rounds = [survey_round.code for survey_round in survey_queries.all_rounds(session)]
    try:
        from_code, to_code = choose_panel_rounds(rounds, values["panel_from"], values["panel_to"])
    except PanelRoundsError as error:
        errors[error.argument] = str(error)
        return {"panel": None, "panel_from": None, "panel_to": None}
    return {"panel_from": from_code, "panel_to": to_code}


class PanelRoundsError(ValueError):
    def __init__(self, argument: str, message: str):
        super().__init__(message)
        self.argument = argument


def choose_panel_rounds(rounds: list[str], from_code: str | None, to_code: str | None) -> tuple[str, str]:
    """The earlier and later round of a panel among `rounds` (in time order), the two latest by default."""
    if len(rounds) < 2:
        raise PanelRoundsError("panel", str(_l("The panel needs two survey rounds.")))
    from_code, to_code = from_code or rounds[-2], to_code or rounds[-1]
    for argument, code in (("panel_from", from_code), ("panel_to", to_code)):
        if code not in rounds:
            raise PanelRoundsError(argument, str(_l("Unknown survey round: %(code)s", code=code)))
    if rounds.index(from_code) >= rounds.index(to_code):
        raise PanelRoundsError("panel_to", str(_l("The later round must come after the earlier one.")))
    return from_code, to_code


def _is_unit(unit, level: UnitLevel, province_code: str | None) -> bool:
    return unit is not None and unit.level == level and (not province_code or unit.province_code == province_code)
