"""Fixed reference lists: legal forms (Decree 45/2012) and VSIC 2018 divisions."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from .models import EstablishmentStatus, LegalForm, RecordStatus

LEGAL_FORM_LABELS = {
    LegalForm.enterprise: _l("Small or medium enterprise (DNNVV)"),
    LegalForm.cooperative: _l("Cooperative (HTX)"),
    LegalForm.cooperative_group: _l("Cooperative group (THT)"),
    LegalForm.household_business: _l("Household business (HKD)"),
    LegalForm.household: _l("Household"),
}

RECORD_STATUS_LABELS = {
    RecordStatus.draft: _l("Draft"),
    RecordStatus.submitted: _l("Submitted"),
    RecordStatus.returned: _l("Returned"),
    RecordStatus.approved: _l("Approved"),
}

ESTABLISHMENT_STATUS_LABELS = {
    EstablishmentStatus.active: _l("Active"),
    EstablishmentStatus.closed: _l("Closed"),
    EstablishmentStatus.merged: _l("Merged"),
}

VSIC_CODE = re.compile(r"^\d{4,5}$")


@dataclass(frozen=True)
class VsicDivision:
    code: str  #: section letter + division, e.g. "C10"
    division: str  #: two digits, e.g. "10"
    name_vi: str
    name_en: str

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_vi


@cache
def vsic_divisions() -> dict[str, VsicDivision]:
    """Divisions keyed by sector code ("C10"), in code order."""
    path = Path(__file__).parent / "data" / "vsic_divisions.csv"
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    divisions = [
        VsicDivision(row["section"] + row["division"], row["division"], row["name_vi"], row["name_en"])
        for row in rows
    ]
    return {division.code: division for division in divisions}


def sector_of_vsic(vsic_code: str) -> str:
    """"10710" or "1071" → "C10". Raises ValueError for a code outside the known divisions."""
    if not VSIC_CODE.match(vsic_code or ""):
        raise ValueError(f"VSIC code must have 4 or 5 digits: {vsic_code!r}")
    for division in vsic_divisions().values():
        if division.division == vsic_code[:2]:
            return division.code
    raise ValueError(f"VSIC division {vsic_code[:2]} is not an industrial division")


def label(mapping: dict, key: str | None) -> str:
    """The translated label of a choice, or the raw key when the key is unknown."""
    if key is None:
        return "–"
    return translated(mapping).get(key, key)


#: (id of a label mapping, language) → (the mapping, {choice: translated label}); holding the
#: mapping keeps its id from being reused by another dict.
_translations: dict[tuple[int, str], tuple[dict, dict[str, str]]] = {}


def translated(mapping: dict) -> dict[str, str]:
    """The labels of a mapping in the current language, translated once per language (a list page
    shows a label on every row: translating each one again cost more than the query)."""
    language = str(get_locale() or "")
    cached = _translations.get((id(mapping), language))
    if cached is None:
        names = {str(getattr(choice, "value", choice)): str(text) for choice, text in mapping.items()}
        cached = _translations[(id(mapping), language)] = (mapping, names)
    return cached[1]


#: Industrial promotion activities (Decree 45/2012/NĐ-CP, Art. 4), in the order the Decree lists them.
PROMOTION_ACTIVITIES = {
    "training": _l("Vocational training and craft teaching"),
    "demonstration": _l("Demonstration models and technology transfer"),
    "machinery": _l("Advanced machinery and equipment"),
    "typical_product": _l("Typical rural industrial product contests"),
    "trade_fair": _l("Trade fairs and exhibitions"),
    "brand": _l("Brand building"),
    "consultancy": _l("Consultancy"),
    "communication": _l("Information and communication"),
    "industrial_cluster": _l("Industrial cluster planning and infrastructure"),
    "relocation": _l("Relocation of polluting establishments"),
    "pollution_treatment": _l("Pollution treatment"),
    "cooperation": _l("Cooperation and association"),
    "other": _l("Other"),
}
PROJECT_LEVELS = {"national": _l("National"), "local": _l("Local")}
CERTIFICATE_LEVELS = {"district": _l("District"), "provincial": _l("Provincial"), "regional": _l("Regional"),
                      "national": _l("National")}
PRODUCT_GROUPS = {"handicrafts": _l("Handicrafts"), "food_processing": _l("Agro-forestry-fishery and food processing"),
                  "machinery": _l("Machinery and tools"), "other": _l("Other products")}
PROJECT_STATUSES = {"planned": _l("Planned"), "ongoing": _l("Ongoing"), "completed": _l("Completed"),
                    "cancelled": _l("Cancelled")}
