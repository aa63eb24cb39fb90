"""A large registry fast: a synthetic census of `base` establishments, copied in SQL to `size` rows.

Generating 100,000 establishments one by one takes about a minute; copying 5,000 of them 19 times
with INSERT ... SELECT takes seconds and gives the same shape of data (names, units, numbers, GPS).
Copies get codes <district>-1xxxxx upwards, so every code stays unique and six digits long.
Used by the memory test and by bench/lists.py.
"""
from __future__ import annotations

from sqlalchemy import Integer, String, cast, func, select
from sqlmodel import Session

from surveyapp.demo.generator import generate_demo_census
from surveyapp.models import Establishment

BASE = 5000
#: Sequence numbers of copy k start at 100000 + 40000 * k (the base's stay below 40000).
STEP = 40_000


def build_large_registry(session: Session, province_code: str, size: int, base: int = BASE, seed: int = 7) -> int:
    if size % base or not 1 <= size // base <= 22:
        raise ValueError("size must be 1 to 22 times base")
    generate_demo_census(session, province_code, base, seed=seed)
    table = Establishment.__table__
    columns = [column for column in table.columns if column.name != "id"]
    sequence = cast(func.substr(table.c.code, 8), Integer)
    for copy in range(1, size // base):
        code = func.substr(table.c.code, 1, 7, type_=String) + cast(sequence + 100_000 + STEP * copy, String)
        source = select(*[code if column.name == "code" else column for column in columns]).where(sequence < STEP)
        session.execute(table.insert().from_select([column.name for column in columns], source))
    session.flush()
    return session.execute(select(func.count()).select_from(table)).scalar()
