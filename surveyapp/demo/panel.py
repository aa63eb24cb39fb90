"""The 2019 revisits of the synthetic census: most 2018 establishments are visited again, a few closed.

Run after the census and the promotion data (it needs to know who was supported), from its own
`random.Random`, so the census and promotion rows are exactly what they were without it. Establishments
supported by a project of 2018 or 2019 grow a little more (SUPPORT_EFFECT): the promotion effect report
has something real to find, and its test checks that it finds it.
"""
from __future__ import annotations

import datetime as dt
import math
import random
import uuid

from sqlalchemy import insert, update
from sqlmodel import Session, select

from ..models import Establishment, SurveyRecord, SurveyRound
from ..reports.queries import supported_between
from .generator import QUESTIONNAIRE_VERSION, ROUNDS, UTC

#: Share of 2018 establishments revisited in 2019, and of those, the share found closed for good.
REVISITED_SHARE = 0.8
CLOSED_SHARE = 0.05
#: Growth between the rounds of every continuing establishment: log-normal around +3 % (median).
DRIFT = (0.03, 0.10)
#: The extra growth of establishments supported between the rounds (×1.10 workers, ×1.15 revenue).
SUPPORT_EFFECT = {"workers": 0.10, "revenue": 0.15}
SUPPORT_YEARS = (2018, 2019)


def generate_panel_demo(session: Session, seed: int = 1) -> dict:
    """Add a 2019 "update" record for most synthetic 2018 establishments; returns the counts."""
    rng = random.Random(f"panel-{seed}")
    earlier, later = (session.exec(select(SurveyRound).where(SurveyRound.code == plan.code)).one()
                      for plan in ROUNDS)
    rows = session.exec(
        select(Establishment, SurveyRecord).join(SurveyRecord, SurveyRecord.establishment_id == Establishment.id)
        .where(Establishment.is_demo == True, SurveyRecord.round_id == earlier.id)  # noqa: E712
        .order_by(Establishment.code)).all()
    supported = set(session.exec(select(Establishment.id).where(
        Establishment.is_demo == True, supported_between(*SUPPORT_YEARS))).all())  # noqa: E712
    records, changes, counts = [], [], {"revisited": 0, "closed": 0, "supported": 0}
    for establishment, record in rows:
        if rng.random() >= REVISITED_SHARE:
            continue
        closed = rng.random() < CLOSED_SHARE
        boost = establishment.id in supported and not closed
        answers = _revisit_answers(rng, record.answers, closed, boost)
        status = rng.choices(["approved", "submitted", "returned"], weights=[94, 4, 2], k=1)[0]
        day = _visit_day(rng)
        records.append(_record(rng, establishment, later, answers, status, day))
        changes.append(_establishment_change(establishment, answers, status, closed, day))
        counts["revisited"] += 1
        counts["closed"] += closed
        counts["supported"] += boost
    if records:
        session.execute(insert(SurveyRecord), records)
        session.execute(update(Establishment), changes)
    return counts


def _revisit_answers(rng: random.Random, before: dict, closed: bool, boost: bool) -> dict:
    answers = {key: value for key, value in before.items()
               if key not in ("workers_total", "revenue_million_vnd", "capital_million_vnd")}
    answers["visit_type"] = "update"
    answers["operating_status"] = "closed" if closed else rng.choices(["active", "suspended"], weights=[97, 3])[0]
    drift_workers = math.exp(rng.gauss(*DRIFT)) * (1 + SUPPORT_EFFECT["workers"] if boost else 1)
    drift_revenue = math.exp(rng.gauss(*DRIFT)) * (1 + SUPPORT_EFFECT["revenue"] if boost else 1)
    if not closed:  # a closed establishment skips the size section
        answers["workers_total"] = max(1, _dithered(rng, before["workers_total"] * drift_workers))
        answers["revenue_million_vnd"] = max(1, round(before["revenue_million_vnd"] * drift_revenue))
        answers["capital_million_vnd"] = before["capital_million_vnd"]
    return answers


def _dithered(rng: random.Random, value: float) -> int:
    """A whole number whose mean is `value` (rounding alone would swallow +10 % of 3 workers)."""
    whole = math.floor(value)
    return whole + (rng.random() < value - whole)


def _visit_day(rng: random.Random) -> dt.datetime:
    plan = ROUNDS[1]
    day = plan.start + dt.timedelta(days=rng.randint(0, (plan.end - plan.start).days))
    return dt.datetime.combine(day, dt.time(8 + rng.randint(0, 9), rng.randint(0, 59)), tzinfo=UTC)


def _record(rng: random.Random, establishment: Establishment, survey_round: SurveyRound, answers: dict, status: str,
            day: dt.datetime) -> dict:
    approved = day + dt.timedelta(days=rng.randint(1, 20)) if status == "approved" else None
    return {
        "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "establishment_id": establishment.id,
        "round_id": survey_round.id,
        "answers": answers,
        "questionnaire_id": survey_round.questionnaire_id,
        "questionnaire_version": QUESTIONNAIRE_VERSION,
        "status": status,
        "review_comment": "Thiếu số lao động nữ, đề nghị bổ sung." if status == "returned" else None,
        "lat": establishment.lat,
        "lon": establishment.lon,
        "gps_accuracy_m": round(rng.uniform(3, 25), 1),
        "created_at": day,
        "updated_at": approved or day,
        "submitted_at": day,
        "approved_at": approved,
    }


def _establishment_change(establishment: Establishment, answers: dict, status: str, closed: bool,
                          day: dt.datetime) -> dict:
    """The registry follows the latest record; its size only from an approved one."""
    change = {"id": establishment.id, "latest_round_code": ROUNDS[1].code, "latest_record_status": status,
              "status": "closed" if closed else establishment.status, "updated_at": day}
    if status == "approved" and not closed:
        change |= {"workers": answers["workers_total"], "revenue_vnd": answers["revenue_million_vnd"] * 1_000_000}
    return change
