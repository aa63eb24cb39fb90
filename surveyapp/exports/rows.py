"""The one row generator behind every establishment export (web, command line, any format)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from flask_babel import force_locale
from sqlmodel import Session

from ..reference import ESTABLISHMENT_STATUS_LABELS, LEGAL_FORM_LABELS, RECORD_STATUS_LABELS, vsic_divisions
from . import queries
from .columns import ESTABLISHMENT_COLUMNS

if TYPE_CHECKING:
    from ..establishments.filters import EstablishmentFilter


#: The four *_2025 columns of a commune without a known successor.
_NO_SUCCESSOR = (None, None, None, None)


def legal_form_names(language: str) -> dict[str, str]:
    """Legal form code → label in the file's language (labels are UI strings: the catalogue has them)."""
    with force_locale(language):
        return {form.value: str(text) for form, text in LEGAL_FORM_LABELS.items()}


def status_words(language: str) -> dict[str, dict[str, str]]:
    """Column → {code: word} for the status columns of a file with Vietnamese headers, which people
    read; with English headers the codes stay (other programs read those files)."""
    if language != "vi":
        return {}
    with force_locale(language):
        return {"record_status": {status.value: str(text) for status, text in RECORD_STATUS_LABELS.items()},
                "status": {status.value: str(text) for status, text in ESTABLISHMENT_STATUS_LABELS.items()}}


def establishment_rows(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None,
                       language: str = "en") -> Iterator[dict[str, Any]]:
    """One dict per establishment matching the filter (and the enumerator's communes), ordered by code.

    Keys are `columns.ESTABLISHMENT_COLUMNS`; names of legal forms and sectors are in `language`, and
    so are the statuses when it is "vi".
    """
    keys = [column.key for column in ESTABLISHMENT_COLUMNS]
    batches = establishment_value_batches(session, wanted, scope, language)
    return (dict(zip(keys, values)) for batch in batches for values in batch)


def establishment_csv_lines(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None,
                            language: str = "en") -> Iterator[tuple[int, bytes]]:
    """The rows as CSV lines written by the database, (rows, bytes) a batch at a time (the fast path of CSV)."""
    legal_forms = legal_form_names(language)
    sectors = {code: division.name(language) for code, division in vsic_divisions().items()}
    return queries.csv_line_batches(session, wanted, scope, ESTABLISHMENT_COLUMNS, legal_forms, sectors,
                                    status_words=status_words(language))


def establishment_value_batches(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None,
                                language: str = "en") -> Iterator[list[tuple]]:
    """The same rows as tuples in `ESTABLISHMENT_COLUMNS` order, a batch at a time.

    Memory stays flat: rows come in keyset batches and unit names from a dict that grows at most to
    the number of communes.
    """
    legal_forms = legal_form_names(language)  # now, while an app context is sure to exist
    sectors = {code: division.name(language) for code, division in vsic_divisions().items()}
    return _batches(session, wanted, scope, legal_forms, sectors, status_words(language))


def _batches(session: Session, wanted: "EstablishmentFilter", scope: set[str] | None, legal_forms: dict[str, str],
             sectors: dict[str, str], words: dict[str, dict[str, str]]) -> Iterator[list[tuple]]:
    """The generator itself: needs only the session, so a streamed response may run it after the request."""
    names: dict[str, str | None] = {}
    successors: dict[str, tuple] = {}
    record_words, operating_words = words.get("record_status", {}), words.get("status", {})
    for batch in queries.establishment_batches(session, wanted, scope):
        unseen = {row[6] for row in batch} | {row[7] for row in batch}  # commune and district codes
        unseen -= names.keys()
        if unseen:
            found = queries.unit_names(session, unseen)
            names.update({code: found.get(code) for code in unseen})
            found = queries.commune_successors(session, unseen)
            successors.update({code: found.get(code, _NO_SUCCESSOR) for code in unseen})
        yield [  # unpacked in a comprehension: several times faster than attribute access or dicts
            (code, name, owner, legal_form, legal_forms.get(legal_form, legal_form), vsic_code, sector,
             sectors.get(sector), commune_code, names.get(commune_code), district_code, names.get(district_code),
             province_code, address, lat, lon, workers, revenue_vnd, capital_vnd, latest_round,
             record_words.get(record_status, record_status), operating_words.get(status, status),
             tax_code, phone, year_started, None if gps_mismatch is None else int(gps_mismatch),
             *successors[commune_code], photo_files)
            for (code, name, owner, legal_form, vsic_code, sector, commune_code, district_code, province_code,
                 address, lat, lon, workers, revenue_vnd, capital_vnd, latest_round, record_status, status, tax_code,
                 phone, year_started, gps_mismatch, photo_files) in batch
        ]
