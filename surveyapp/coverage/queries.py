"""All SQL of coverage: counts by GROUP BY, combined per commune in Python (a province has ~100 communes)."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func
from sqlmodel import Session, select

from ..models import AdminUnit, Establishment, SurveyRecord, User

STATUSES = ("draft", "submitted", "returned", "approved")


@dataclass
class CoverageRow:
    code: str
    name: str
    district_code: str
    listed: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def done_percent(self) -> float:
        return 100 * self.counts.get("approved", 0) / self.listed if self.listed else 0.0

    def as_dict(self) -> dict:
        return {"commune_code": self.code, "commune_name": self.name, "district_code": self.district_code,
                "listed": self.listed, **{status: self.counts.get(status, 0) for status in STATUSES},
                "done_percent": round(self.done_percent, 1)}


def commune_coverage(session: Session, province_code: str, round_id: int, district_code: str | None = None) -> list[CoverageRow]:
    communes = select(AdminUnit).where(AdminUnit.level == "commune", AdminUnit.province_code == province_code)
    if district_code:
        communes = communes.where(AdminUnit.parent_code == district_code)
    rows = {u.code: CoverageRow(u.code, u.name, u.parent_code) for u in session.exec(communes.order_by(AdminUnit.code))}
    listed = select(Establishment.commune_code, func.count()).where(
        Establishment.province_code == province_code, Establishment.status != "merged").group_by(Establishment.commune_code)
    for code, count in session.exec(listed):
        if code in rows:
            rows[code].listed = count
    records = (select(Establishment.commune_code, SurveyRecord.status, func.count())
               .join(Establishment, Establishment.id == SurveyRecord.establishment_id)
               .where(SurveyRecord.round_id == round_id, SurveyRecord.is_current == True)  # noqa: E712
               .group_by(Establishment.commune_code, SurveyRecord.status))
    for code, status, count in session.exec(records):
        if code in rows:
            rows[code].counts[status] = count
    return list(rows.values())


def enumerator_progress(session: Session, round_id: int) -> list[dict]:
    statement = (select(User.username, User.full_name, SurveyRecord.status, func.count())
                 .join(User, User.id == SurveyRecord.enumerator_id)
                 .where(SurveyRecord.round_id == round_id, SurveyRecord.is_current == True)  # noqa: E712
                 .group_by(User.username, User.full_name, SurveyRecord.status))
    people: dict[str, dict] = {}
    for username, full_name, status, count in session.exec(statement):
        person = people.setdefault(username, {"username": username, "full_name": full_name,
                                              **dict.fromkeys(STATUSES, 0)})
        person[status] = count
    return sorted(people.values(), key=lambda p: p["username"])
