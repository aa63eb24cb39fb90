"""Builds a synthetic census of one province: establishments, two survey rounds, their records.

Everything is drawn from one `random.Random(seed)`, so the same seed and size give the same rows,
including codes and timestamps. Rows are bulk-inserted: 3,209 establishments take well under a second.
"""
from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from dataclasses import dataclass

from sqlalchemy import insert
from sqlmodel import Session, select

from ..adminunits import queries as unit_queries
from ..audit import record_event
from ..models import AdminUnit, Establishment, SurveyRecord, SurveyRound
from ..reference import sector_of_vsic
from ..text import establishment_search_text
from . import catalogue, queries

#: Share of establishments first surveyed in the 2018 census; the 2019 supplement adds the rest.
CENSUS_SHARE = 0.85
#: Roughly 650 m: how far a point may stray from its commune centroid (one standard deviation).
MAX_JITTER_DEG = 0.006
UTC = dt.timezone.utc


@dataclass(frozen=True)
class RoundPlan:
    code: str
    title: str
    questionnaire_id: str
    start: dt.date
    end: dt.date
    is_open: bool


# The supplement stays open in the demo so that the enumerator's path can be tried out of the box.
ROUNDS = (
    RoundPlan("2018", "Điều tra cơ sở CNNT năm 2018", "cnnt-2018", dt.date(2018, 5, 2), dt.date(2018, 11, 30), False),
    RoundPlan("2019", "Khảo sát bổ sung cơ sở CNNT năm 2019", "cnnt-2019", dt.date(2019, 4, 1), dt.date(2019, 9, 30), True),
)
QUESTIONNAIRE_VERSION = "2"
#: Codes have six-digit sequence numbers per district.
MAX_SEQUENCE = 999_999


class DemoError(ValueError):
    """The demo cannot be generated as asked (no admin units, data already there...)."""


def establishments_exist(session: Session) -> bool:
    return session.exec(select(Establishment.id).limit(1)).first() is not None


def generate_demo_census(session: Session, province_code: str, establishments: int, seed: int,
                         beside_real: bool = False) -> dict:
    """Insert `establishments` synthetic establishments of `province_code`, each with one record.

    An empty registry only, unless `beside_real`: then real establishments may be there (the
    synthetic ones must not); each district's synthetic codes follow its highest real one.
    """
    if establishments < 1:
        raise DemoError("The number of establishments must be at least 1.")
    if beside_real and queries.demo_establishments_exist(session):
        raise DemoError("The database already holds synthetic establishments: remove them first.")
    if not beside_real and establishments_exist(session):
        raise DemoError("The database already holds establishments; the demo only fills an empty registry "
                        "(--replace replaces the synthetic data and keeps the real).")
    communes = [c for c in unit_queries.communes_of_province(session, province_code) if c.lat is not None]
    if not communes:
        raise DemoError(
            f"No communes with coordinates for province {province_code}: run `flask admin-units load` first."
        )
    province = unit_queries.unit_by_code(session, province_code)
    rng = random.Random(seed)
    rounds = _ensure_rounds(session)
    plans = _establishment_rows(rng, province, communes, establishments,
                                queries.highest_real_sequences(session, province_code))
    session.execute(insert(Establishment), plans)
    ids = dict(session.exec(select(Establishment.code, Establishment.id).where(Establishment.is_demo == True)).all())  # noqa: E712
    session.execute(insert(SurveyRecord), [_record_row(rng, plan, ids[plan["code"]], rounds) for plan in plans])
    summary = {
        "province": province_code,
        "establishments": len(plans),
        "seed": seed,
        "rounds": {code: sum(1 for p in plans if p["latest_round_code"] == code) for code in rounds},
    }
    record_event(session, "demo_generate", "establishment", province_code, after=summary)
    return summary


def _ensure_rounds(session: Session) -> dict[str, SurveyRound]:
    rounds = {}
    for plan in ROUNDS:
        existing = session.exec(select(SurveyRound).where(SurveyRound.code == plan.code)).first()
        if existing is None:
            existing = SurveyRound(
                code=plan.code, title=plan.title, questionnaire_id=plan.questionnaire_id,
                questionnaire_version=QUESTIONNAIRE_VERSION, start_date=plan.start, end_date=plan.end,
                is_open=plan.is_open, is_demo=True,
            )
            session.add(existing)
        rounds[plan.code] = existing
    session.flush()
    return rounds


def _weighted(rng: random.Random, items: list, weights: list[float]):
    return rng.choices(items, weights=weights, k=1)[0]


def _establishment_rows(rng: random.Random, province: AdminUnit | None, communes: list[AdminUnit], count: int,
                        taken: dict[str, int]) -> list[dict]:
    """`taken`: the highest sequence number real establishments hold, per code prefix ("94-947-")."""
    # Wards of a town host more workshops than rural communes; the rest is noise around one.
    commune_weights = [rng.lognormvariate(0, 0.45) * (1.6 if c.unit_type == "Phường" else 1.0) for c in communes]
    picked = rng.choices(communes, weights=commune_weights, k=count)
    picked.sort(key=lambda c: c.code)
    sequence: dict[str, int] = {}
    census_size = round(count * CENSUS_SHARE)
    round_order = [ROUNDS[0].code] * census_size + [ROUNDS[1].code] * (count - census_size)
    rng.shuffle(round_order)
    rows = []
    for commune, round_code in zip(picked, round_order):
        prefix = f"{commune.province_code}-{commune.parent_code}-"
        sequence[prefix] = sequence.get(prefix, taken.get(prefix, 0)) + 1
        if sequence[prefix] > MAX_SEQUENCE:
            raise DemoError(f"No codes are left after {prefix}{taken[prefix]:06d} for synthetic establishments in "
                            f"district {commune.parent_code}.")
        rows.append(_establishment_row(rng, f"{prefix}{sequence[prefix]:06d}", commune, province, round_code))
    return rows


def _person(rng: random.Random) -> str:
    return f"{rng.choice(catalogue.FAMILY_NAMES)} {rng.choice(catalogue.MIDDLE_NAMES)} {rng.choice(catalogue.GIVEN_NAMES)}"


def _establishment_name(rng: random.Random, prefix: str, product: str, owner: str) -> str:
    if prefix in ("Hộ", "Hộ kinh doanh") and rng.random() < 0.6:
        return f"{prefix} {owner}"
    return f"{prefix} {product} {rng.choice(catalogue.BRANDS)}"


def _address(rng: random.Random, commune: AdminUnit) -> str:
    if commune.unit_type in ("Phường", "Thị trấn") and rng.random() < 0.7:
        return f"Số {rng.randint(1, 350)}, đường {rng.choice(catalogue.STREETS)}, {commune.name}"
    return f"{rng.choice(catalogue.HAMLETS)}, {commune.name}"


def _point(rng: random.Random, commune: AdminUnit, province: AdminUnit | None) -> tuple[float, float]:
    """A point near the commune centroid, kept inside the commune's and province's boxes."""
    spread_lat = min(MAX_JITTER_DEG, _half_extent(commune.min_lat, commune.max_lat))
    spread_lon = min(MAX_JITTER_DEG, _half_extent(commune.min_lon, commune.max_lon))
    lat = commune.lat + max(-2, min(2, rng.gauss(0, 1))) * spread_lat / 2
    lon = commune.lon + max(-2, min(2, rng.gauss(0, 1))) * spread_lon / 2
    for box in (commune, province):
        if box is not None and box.min_lat is not None:
            lat = min(max(lat, box.min_lat), box.max_lat)
            lon = min(max(lon, box.min_lon), box.max_lon)
    return round(lat, 6), round(lon, 6)


def _half_extent(low: float | None, high: float | None) -> float:
    return MAX_JITTER_DEG if low is None or high is None else (high - low) / 4


def _establishment_row(rng: random.Random, code: str, commune: AdminUnit, province: AdminUnit | None, round_code: str) -> dict:
    vsic_code, _, products = _weighted(rng, catalogue.SECTORS, [s[1] for s in catalogue.SECTORS])
    legal_form, _, median_workers, prefixes = _weighted(rng, catalogue.LEGAL_FORMS, [f[1] for f in catalogue.LEGAL_FORMS])
    owner = _person(rng)
    name = _establishment_name(rng, rng.choice(prefixes), rng.choice(products), owner)
    address = _address(rng, commune)
    workers = max(1, min(600, round(rng.lognormvariate(math.log(median_workers), 0.7))))
    revenue = workers * rng.lognormvariate(math.log(180_000_000), 0.8)
    revenue_vnd = max(20, round(revenue / 1_000_000)) * 1_000_000
    capital_vnd = max(10, round(revenue_vnd * rng.lognormvariate(math.log(0.6), 0.6) / 1_000_000)) * 1_000_000
    lat, lon = _point(rng, commune, province)
    registered = legal_form in ("enterprise", "cooperative") or (legal_form == "household_business" and rng.random() < 0.4)
    survey_day = _survey_day(rng, round_code)
    status = "approved"
    if round_code == ROUNDS[1].code:  # the supplement still has a few records under review
        status = _weighted(rng, ["approved", "submitted", "returned"], [94, 4, 2])
    return {
        "code": code,
        "name": name,
        "owner": owner,
        "legal_form": legal_form,
        "tax_code": f"22{rng.randint(0, 99_999_999):08d}" if registered else None,
        "phone": f"0{rng.choice([9, 8, 3, 7])}{rng.randint(0, 99_999_999):08d}" if rng.random() < 0.65 else None,
        "year_started": min(int(survey_day.year), 1975 + int(rng.betavariate(2.2, 1.3) * 45)),
        "vsic_code": vsic_code,
        "sector": sector_of_vsic(vsic_code),
        "address": address,
        "commune_code": commune.code,
        "district_code": commune.parent_code,
        "province_code": commune.province_code,
        "lat": lat,
        "lon": lon,
        "status": "active",
        "workers": workers,
        "revenue_vnd": revenue_vnd,
        "capital_vnd": capital_vnd,
        "latest_round_code": round_code,
        "latest_record_status": status,
        "search_text": establishment_search_text(name, owner, address),
        "is_demo": True,
        "version": 1,
        "created_at": survey_day,
        "updated_at": survey_day,
    }


def _survey_day(rng: random.Random, round_code: str) -> dt.datetime:
    plan = next(p for p in ROUNDS if p.code == round_code)
    day = plan.start + dt.timedelta(days=rng.randint(0, (plan.end - plan.start).days))
    return dt.datetime.combine(day, dt.time(8 + rng.randint(0, 9), rng.randint(0, 59)), tzinfo=UTC)


def _record_row(rng: random.Random, establishment: dict, establishment_id: int, rounds: dict[str, SurveyRound]) -> dict:
    submitted = establishment["created_at"]
    status = establishment["latest_record_status"]
    approved = submitted + dt.timedelta(days=rng.randint(1, 20)) if status == "approved" else None
    answers = {  # the key questions of cnnt-2018 / cnnt-2019; the rest was "not asked" in the demo
        "establishment_name": establishment["name"],
        "owner_name": establishment["owner"],
        "legal_form": establishment["legal_form"],
        "tax_code": establishment["tax_code"],
        "phone": establishment["phone"],
        "year_started": establishment["year_started"],
        "address": establishment["address"],
        "location": {"lat": establishment["lat"], "lon": establishment["lon"], "accuracy": None},
        "vsic_code": establishment["vsic_code"],
        "workers_total": establishment["workers"],
        "revenue_million_vnd": establishment["revenue_vnd"] // 1_000_000,
        "capital_million_vnd": establishment["capital_vnd"] // 1_000_000,
    }
    plan = next(p for p in ROUNDS if p.code == establishment["latest_round_code"])
    if plan.code == ROUNDS[1].code:
        answers["visit_type"] = "new"
    return {
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "establishment_id": establishment_id,
        "round_id": rounds[establishment["latest_round_code"]].id,
        "answers": answers,
        "questionnaire_id": plan.questionnaire_id,
        "questionnaire_version": QUESTIONNAIRE_VERSION,
        "status": status,
        "review_comment": "Thiếu số lao động nữ, đề nghị bổ sung." if status == "returned" else None,
        "lat": establishment["lat"],
        "lon": establishment["lon"],
        "gps_accuracy_m": round(rng.uniform(3, 25), 1),
        "created_at": submitted,
        "updated_at": approved or submitted,
        "submitted_at": submitted,
        "approved_at": approved,
    }
