"""The provincial promotion report as plain tables: one builder for the page and the XLSX file."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlmodel import Session

from ..reference import CERTIFICATE_LEVELS, PROJECT_LEVELS, PROMOTION_ACTIVITIES, label
from . import queries

MILLION = 1_000_000


@dataclass
class Table:
    key: str
    title: Any
    headers: list[Any]
    #: text | int | million (đồng shown as triệu đồng with three decimals)
    kinds: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    total: list[Any] | None = None


@dataclass
class Report:
    year_from: int
    year_to: int
    projects: int
    total_cost_vnd: int
    state_support_vnd: int
    beneficiary_vnd: int
    tables: list[Table]
    by_year: list[tuple]


_MONEY_HEADERS = [_l("Total cost (million VND)"), _l("State support (million VND)"),
                  _l("Beneficiary contribution (million VND)")]


def _projects_table(key: str, title, first_header, rows: list[tuple], names: dict) -> Table:
    table = Table(key, title, [first_header, _l("Projects"), *_MONEY_HEADERS], ["text", "int", "million", "million", "million"])
    for group, count, total, state, own in rows:
        table.rows.append([label(names, group) if names else group, count, total, state, own])
    table.total = [_l("Total"), *(sum(row[i] for row in table.rows) for i in range(1, 5))]
    return table


def build_report(session: Session, province_code: str, year_from: int, year_to: int) -> Report:
    by_level = queries.projects_by(session, queries.PromotionProject.level, year_from, year_to)
    by_activity = queries.projects_by(session, queries.PromotionProject.activity, year_from, year_to)
    by_year = queries.projects_by_year(session, year_from, year_to)
    tables = [
        _projects_table("levels", _l("Projects by level"), _l("Level"), by_level, PROJECT_LEVELS),
        _projects_table("activities", _l("Projects by activity"), _l("Activity"), by_activity, PROMOTION_ACTIVITIES),
        _projects_table("years", _l("Projects by year"), _l("Year"), [(str(r[0]), *r[1:]) for r in by_year], {}),
    ]
    districts = Table("districts", _l("Establishments supported, by district"),
                      [_l("District"), _l("Establishments supported"), _l("State support (million VND)"),
                       _l("Own contribution (million VND)")], ["text", "int", "million", "million"])
    for _code, name, count, state, own in queries.supported_by_district(session, province_code, year_from, year_to):
        districts.rows.append([name, count, state, own])
    districts.total = [_l("Total"), *(sum(row[i] for row in districts.rows) for i in range(1, 4))]
    certificates = queries.certificates_by_level(session, year_from, year_to)
    certificate_table = Table("certificates", _l("Typical rural industrial product certificates, by level"),
                              [_l("Level"), _l("Certificates")], ["text", "int"],
                              [[str(text), certificates.get(level, 0)] for level, text in CERTIFICATE_LEVELS.items()])
    certificate_table.total = [_l("Total"), sum(certificates.values())]
    stars = queries.ocop_by_stars(session, year_from, year_to)
    ocop_table = Table("ocop", _l("OCOP products, by stars"), [_l("Stars"), _l("Products")], ["text", "int"],
                       [[f"{n} ★", stars.get(n, 0)] for n in range(1, 6)])
    classes, trainees, jobs, fairs, booths = queries.training_and_fairs(session, year_from, year_to)
    activity_table = Table("results", _l("Training and trade fairs"), [_l("Result"), _l("Number")], ["text", "int"], [
        [_l("Training classes"), classes], [_l("Trainees"), trainees], [_l("Jobs created"), jobs],
        [_l("Trade fairs"), fairs], [_l("Booths"), booths]])
    tables += [districts, certificate_table, ocop_table, activity_table]
    level_total = tables[0].total
    return Report(year_from, year_to, level_total[1], level_total[2], level_total[3], level_total[4], tables, by_year)


def cell_value(kind: str, value: Any) -> Any:
    """A cell as the XLSX file holds it: money in triệu đồng (3 decimals), labels as text."""
    if kind == "million":
        return round(value / MILLION, 3)
    return str(value) if kind == "text" else value
