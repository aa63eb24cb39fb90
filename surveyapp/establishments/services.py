"""Actions on the establishment registry. Take a session and plain values; the caller commits."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import Session, select

from ..adminunits.queries import unit_by_code
from ..audit import record_event
from ..duplicates.services import likely_matches
from ..models import Establishment, LegalForm, UnitLevel
from ..reference import VSIC_CODE, sector_of_vsic
from ..text import establishment_search_text
from . import queries


class EstablishmentError(ValueError):
    """Input that cannot make a valid establishment; `field` names the culprit. The message is lazy: it is
    read in the language of whoever shows it (a page, the API's request)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def next_establishment_code(session: Session, province_code: str, district_code: str) -> str:
    """"94-947-000124" after the highest code of the district."""
    prefix = f"{province_code}-{district_code}-"
    highest = session.exec(
        select(func.max(Establishment.code)).where(Establishment.code.startswith(prefix))
    ).one()
    sequence = int(highest.rsplit("-", 1)[1]) + 1 if highest else 1
    return f"{prefix}{sequence:06d}"


def register_establishment(
    session: Session,
    *,
    name: str,
    commune_code: str,
    vsic_code: str,
    legal_form: str,
    owner: str | None = None,
    address: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    actor_id: int | None = None,
    code: str | None = None,
    **details,
) -> Establishment:
    """Add an establishment with the next free code of its district, or with `code` when the caller
    already holds one (an import restoring an exported list)."""
    name = (name or "").strip()
    if not name:
        raise EstablishmentError("name", _l("The name is required."))
    commune = unit_by_code(session, commune_code)
    if commune is None or commune.level != UnitLevel.commune:
        raise EstablishmentError("commune_code", _l("Unknown commune: %(code)s", code=commune_code))
    try:
        sector = sector_of_vsic(vsic_code)
    except ValueError as error:
        message = (_l("VSIC division %(division)s is not an industrial division.", division=vsic_code[:2])
                   if VSIC_CODE.match(vsic_code or "") else _l("A VSIC code has 4 or 5 digits, e.g. 1061."))
        raise EstablishmentError("vsic_code", message) from error
    if legal_form not in {form.value for form in LegalForm}:
        raise EstablishmentError("legal_form", _l("Unknown legal form."))
    establishment = Establishment(
        code=code or next_establishment_code(session, commune.province_code, commune.parent_code),
        name=name, owner=owner, address=address, legal_form=legal_form, vsic_code=vsic_code, sector=sector,
        commune_code=commune.code, district_code=commune.parent_code, province_code=commune.province_code,
        lat=lat, lon=lon, search_text=establishment_search_text(name, owner, address), **details,
    )
    session.add(establishment)
    session.flush()
    record_event(session, "create", "establishment", establishment.code,
                 after={"name": name, "commune_code": commune.code, "vsic_code": vsic_code}, actor_id=actor_id)
    return establishment


@dataclass
class OfflineRegistration:
    """What a phone's registration came to: the establishment, whether this call made it, and the
    existing establishments of the commune it likely duplicates (flagged for review)."""

    establishment: Establishment
    created: bool
    likely_duplicates: list[Establishment]


def register_from_phone(session: Session, *, client_uuid: str, name: str, commune_code: str, vsic_code: str,
                        legal_form: str, owner: str | None = None, address: str | None = None,
                        phone: str | None = None, actor_id: int | None = None) -> OfflineRegistration:
    """Register an establishment found offline. The phone's UUID makes a resend return the first one;
    a likely duplicate of the commune is still registered (the enumerator cannot be asked any more)
    but flagged: its codes are kept on the newcomer and the /duplicates page proposes the pair."""
    existing = queries.establishment_by_client_uuid(session, client_uuid)
    if existing is not None:
        return OfflineRegistration(existing, False, _flagged(session, existing))
    matches = likely_matches(session, commune_code, (name or "").strip(), phone or None)
    codes = [code for _pair, code in matches][:10]
    establishment = register_establishment(
        session, name=name, commune_code=commune_code, vsic_code=(vsic_code or "").strip(), legal_form=legal_form,
        owner=owner or None, address=address or None, phone=phone or None, actor_id=actor_id,
        client_uuid=client_uuid, possible_duplicate_of=" ".join(codes) or None)
    if codes:
        record_event(session, "flag_duplicate", "establishment", establishment.code,
                     after={"likely_duplicates": codes}, actor_id=actor_id)
    return OfflineRegistration(establishment, True, queries.establishments_by_codes(session, codes))


def _flagged(session: Session, establishment: Establishment) -> list[Establishment]:
    codes = (establishment.possible_duplicate_of or "").split()
    return queries.establishments_by_codes(session, codes)
