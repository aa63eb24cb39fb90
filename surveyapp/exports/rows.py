"""The one row generator behind every establishment export (web, command line, any format)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from flask_babel import force_locale
from sqlmodel import Session

from ..reference import LEGAL_FORM_LABELS, vsic_divisions
from . import queries

if TYPE_CHECKING:
    from ..establishments.filters import EstablishmentFilter


def legal_form_names(language: str) -> dict[str, str]:
    """Legal form code → label in the file's language (labels are UI strings: the catalogue has them)."""
    with force_locale(language):
        return {form.value: str(text) for form, text in LEGAL_FORM_LABELS.items()}


def establishment_rows(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None,
                       language: str = "en") -> Iterator[dict[str, Any]]:
    """One dict per establishment matching the filter (and the enumerator's communes), ordered by code.

    Keys are `columns.ESTABLISHMENT_COLUMNS`; names of legal forms and sectors are in `language`.
    Memory stays flat: rows come in keyset batches and unit names from a dict that grows at most to
    the number of communes.
    """
    legal_forms = legal_form_names(language)  # now, while an app context is sure to exist
    sectors = {code: division.name(language) for code, division in vsic_divisions().items()}
    return _rows(session, wanted, scope, legal_forms, sectors)


def _rows(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None, legal_forms: dict[str, str],
          sectors: dict[str, str]) -> Iterator[dict[str, Any]]:
    """The generator itself: needs only the session, so a streamed response may run it after the request."""
    names: dict[str, str | None] = {}
    for batch in queries.establishment_batches(session, wanted, scope):
        unseen = {row.commune_code for row in batch} | {row.district_code for row in batch}
        unseen -= names.keys()
        if unseen:
            found = queries.unit_names(session, unseen)
            names.update({code: found.get(code) for code in unseen})
        for (code, name, owner, legal_form, vsic_code, sector, commune_code, district_code, province_code,
             address, lat, lon, workers, revenue_vnd, capital_vnd, latest_round, record_status, status, tax_code,
             phone, year_started, gps_mismatch) in batch:  # unpacked: ~3x faster than attribute access
            yield {
                "establishment_code": code,
                "name": name,
                "owner": owner,
                "legal_form": legal_form,
                "legal_form_name": legal_forms.get(legal_form, legal_form),
                "vsic_code": vsic_code,
                "sector": sector,
                "sector_name": sectors.get(sector),
                "commune_code": commune_code,
                "commune_name": names.get(commune_code),
                "district_code": district_code,
                "district_name": names.get(district_code),
                "province_code": province_code,
                "address": address,
                "lat": lat,
                "lon": lon,
                "workers": workers,
                "revenue_vnd": revenue_vnd,
                "capital_vnd": capital_vnd,
                "latest_round": latest_round,
                "record_status": record_status,
                "status": status,
                "tax_code": tax_code,
                "phone": phone,
                "year_started": year_started,
                "gps_mismatch": None if gps_mismatch is None else int(gps_mismatch),
            }
