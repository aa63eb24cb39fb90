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


def _conversion() -> dict:
    return json.loads(_data_file("converter_2025.json").read_text(encoding="utf-8"))


def units_2025() -> Iterator[dict]:
    """The 34 provinces and 3,321 communes after the reform, provinces first (all of them: a few
    thousand small rows load in well under a second)."""
    rows = _query("SELECT * FROM admin_units ORDER BY provinceCode, wardCode")
    seen: set[str] = set()
    for row in rows:
        if row["provinceCode"] not in seen:
            seen.add(row["provinceCode"])
            yield _unit_2025(row["provinceCode"], row["province"], row["provinceShort"],
                             _province_type(row["province"]), "province", None, row["provinceCode"],
                             row["provinceLat"], row["provinceLon"], None)
        yield _unit_2025(row["wardCode"], row["ward"], row["wardShort"], row["wardType"], "commune",
                         row["provinceCode"], row["provinceCode"], row["wardLat"], row["wardLon"], row["wardAreaKm2"])


def _unit_2025(code, name, short_name, unit_type, level, parent, province, lat, lon, area_km2) -> dict:
    return {"code": code, "name": name, "short_name": short_name, "unit_type": unit_type, "level": level,
            "parent_code": parent, "province_code": province, "name_normalized": fold(name), "lat": lat,
            "lon": lon, "area_km2": area_km2, "valid_from": REFORM_DATE, "valid_to": None}


def crosswalk_2025() -> Iterator[dict]:
    """Legacy commune code → new commune code, one row per part: a commune merged whole gives one row
    (`is_main`), a split one a row per new commune it went to, the package's default part `is_main`."""
    legacy = {f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}": r["wardCode"]
              for r in _query("SELECT provinceKey, districtKey, wardKey, wardCode FROM admin_units_legacy "
                              "WHERE wardCode IS NOT NULL")}
    new = {(r["provinceKey"], r["wardKey"]): r["wardCode"]
           for r in _query("SELECT provinceKey, wardKey, wardCode FROM admin_units")}
    conversion = _conversion()
    divided = {old_key for communes in conversion["DICT_PROVINCE_WARD_DIVIDED"].values() for old_key in communes}
    for province_key, wards in conversion["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward_key, old_keys in wards.items():
            for old_key in old_keys:
                if old_key not in divided and old_key in legacy:
                    yield _crosswalk_row(legacy[old_key], new[(province_key, ward_key)], True, False)
    for province_key, old_communes in conversion["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old_key, parts in old_communes.items():
            if old_key not in legacy:
                continue
            main = next((p for p in parts if p["isDefaultNewWard"]), parts[0])
            for part in parts:
                yield _crosswalk_row(legacy[old_key], new[(province_key, part["newWardKey"])], part is main, True)


def _crosswalk_row(legacy_code: str, new_code: str, is_main: bool, is_split: bool) -> dict:
    return {"legacy_code": legacy_code, "new_code": new_code, "is_main": is_main, "is_split": is_split}
