"""Reads Vietnam's administrative units from the `vietnamadminunits` package (MIT licence).

The package ships a SQLite file with the 63 provinces, 696 districts and 10,035 communes as they
stood before 1 July 2025 (GSO codes, names, types, geocoded centroids and bounding boxes), the 34
provinces and 3,321 communes after the reform, and a conversion table from old to new. Reading the
file directly needs none of the package's own dependencies.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import closing
from importlib import resources
from typing import Iterator

from ..text import fold

#: Day the district level was abolished and communes merged (Resolution 202/2025/QH15).
REFORM_DATE = dt.date(2025, 7, 1)


def _data_file(name: str):
    return resources.files("vietnamadminunits") / "data" / name


def _query(sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    """Rows from the package's SQLite file, opened read-only."""
    with resources.as_file(_data_file("dataset.db")) as path:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            connection.row_factory = sqlite3.Row
            return connection.execute(sql, params).fetchall()


def _bounds(text: str | None) -> dict[str, float | None]:
    """"9.24,105.54 – 9.93,106.33" → min/max lat/lon."""
    keys = ("min_lat", "min_lon", "max_lat", "max_lon")
    if not text:
        return dict.fromkeys(keys)
    south_west, north_east = (part.strip() for part in text.split("–"))
    values = [float(v) for v in south_west.split(",") + north_east.split(",")]
    return dict(zip(keys, values))


def _unit(code, name, short_name, unit_type, level, parent, province, lat, lon, bounds) -> dict:
    return {
        "code": code,
        "name": name,
        "short_name": short_name,
        "unit_type": unit_type,
        "level": level,
        "parent_code": parent,
        "province_code": province,
        "name_normalized": fold(name),
        "lat": lat,
        "lon": lon,
        **_bounds(bounds),
        "valid_from": None,
        "valid_to": REFORM_DATE,
        "successor_code": None,
        "successor_name": None,
        "successor_province_code": None,
        "successor_province_name": None,
        "successor_split": False,
    }


def _province_type(name: str) -> str:
    return "Thành phố" if name.startswith("Thành phố") else "Tỉnh"


def legacy_units(province_code: str | None = None) -> Iterator[dict]:
    """Units before 1 July 2025, parents before children, with successors filled for communes."""
    successors = _successors()
    sql = "SELECT * FROM admin_units_legacy"
    params: tuple = ()
    if province_code:
        sql += " WHERE provinceCode = ?"
        params = (province_code,)
    rows = _query(sql + " ORDER BY provinceCode, districtCode, wardCode", params)
    seen: set[str] = set()
    for row in rows:
        if row["provinceCode"] not in seen:
            seen.add(row["provinceCode"])
            yield _unit(row["provinceCode"], row["province"], row["provinceShort"], _province_type(row["province"]),
                        "province", None, row["provinceCode"], row["provinceLat"], row["provinceLon"],
                        row["provinceBounds"])
        if row["districtCode"] not in seen:
            seen.add(row["districtCode"])
            yield _unit(row["districtCode"], row["district"], row["districtShort"], row["districtType"],
                        "district", row["provinceCode"], row["provinceCode"], row["districtLat"],
                        row["districtLon"], row["districtBounds"])
        if row["wardCode"]:  # island districts (Côn Đảo, Lý Sơn...) have no communes
            unit = _unit(row["wardCode"], row["ward"], row["wardShort"], row["wardType"], "commune",
                         row["districtCode"], row["provinceCode"], row["wardLat"], row["wardLon"],
                         row["wardBounds"])
            key = f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey']}"
            unit.update(successors.get(key, {}))
            yield unit


def _successors() -> dict[str, dict]:
    """Old commune key → its main successor after the reform (code, name, province)."""
    new_units = {(row["provinceKey"], row["wardKey"]): row for row in _query("SELECT * FROM admin_units")}
    conversion = json.loads(_data_file("converter_2025.json").read_text(encoding="utf-8"))
    result: dict[str, dict] = {}

    def successor(province_key: str, ward_key: str, split: bool) -> dict:
        new = new_units[(province_key, ward_key)]
        return {
            "successor_code": new["wardCode"],
            "successor_name": new["ward"],
            "successor_province_code": new["provinceCode"],
            "successor_province_name": new["province"],
            "successor_split": split,
        }

    for province_key, wards in conversion["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in wards.items():
            for old_key in old_keys:
                result[old_key] = successor(province_key, ward_key, False)
    for province_key, old_communes in conversion["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in old_communes.items():
            main = next((p for p in parts if p["isDefaultNewWard"]), parts[0])
            result[old_key] = successor(province_key, main["newWardKey"], True)
    return result
