"""Survey rounds: create, open, close."""
from __future__ import annotations

import datetime as dt
import re

from sqlmodel import Session

from ..audit import record_event
from ..survey.queries import round_by_code
from ..models import SurveyRound, UnitEra


class RoundError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def create_round(session: Session, *, code: str, title: str, questionnaire_id: str, questionnaire_version: str,
                 start_date: dt.date | None, end_date: dt.date | None, is_open: bool, actor_id: int | None,
                 admin_units: str = UnitEra.legacy.value) -> SurveyRound:
    """A new round, organised by `admin_units` (legacy units or those after 1 July 2025)."""
    code = code.strip()
    if admin_units not in {era.value for era in UnitEra}:
        raise RoundError("admin_units", "admin_units")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,29}", code):
        raise RoundError("code", "code")
    if round_by_code(session, code) is not None:
        raise RoundError("code", "taken")
    if start_date and end_date and end_date < start_date:
        raise RoundError("end_date", "order")
    survey_round = SurveyRound(code=code, title=title.strip(), questionnaire_id=questionnaire_id,
                               questionnaire_version=questionnaire_version, start_date=start_date,
                               end_date=end_date, is_open=is_open, admin_units=admin_units)
    session.add(survey_round)
    session.flush()
    record_event(session, "create", "survey_round", code, after={"title": title, "questionnaire": questionnaire_id,
                                                                 "version": questionnaire_version, "open": is_open,
                                                                 "admin_units": admin_units},
                 actor_id=actor_id)
    return survey_round


def set_round_open(session: Session, survey_round: SurveyRound, is_open: bool, actor_id: int | None) -> None:
    if survey_round.is_open == is_open:
        return
    survey_round.is_open = is_open
    session.add(survey_round)
    record_event(session, "open" if is_open else "close", "survey_round", survey_round.code, actor_id=actor_id)
