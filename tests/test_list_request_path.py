"""The JSON list's request path, made cheaper per request (issue 19): the same bytes, headers and
sessions as before, whatever is computed once and reused."""
from __future__ import annotations

import hashlib

import orjson

from surveyapp.api import serialize


def sorted_json(body: bytes) -> bytes:
    return orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)


def test_a_row_lists_every_key_in_sorted_order_with_its_own_value():
    row = tuple(f"value of {field}" for field in serialize.ESTABLISHMENT_FIELDS)
    successor = ("new code", "new name", "new province code", "new province name")
    made = serialize.row_json(row, "updated text", successor)
    assert list(made) == sorted(serialize.ROW_KEYS)
    assert made == dict(zip(serialize.ROW_KEYS, (*row, "updated text", *successor)))


def test_the_list_body_is_sorted_json_and_its_etag_the_bodys_hash(demo_client):
    for query in ("district=947&sector=C10&per_page=50", "per_page=3&page=2", "q=banh&page=2&per_page=7"):
        answer = demo_client.get(f"/api/v1/establishments?{query}")
        assert answer.status_code == 200 and answer.json["establishments"]
        assert answer.data == sorted_json(answer.data)
        assert answer.headers["ETag"] == f'"{hashlib.sha256(answer.data).hexdigest()[:32]}"'
        again = demo_client.get(f"/api/v1/establishments?{query}", headers={"If-None-Match": answer.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""


def test_a_commune_without_a_successor_keeps_sorted_keys(client, add_establishment, session):
    from surveyapp.models import AdminUnit

    unit = session.get(AdminUnit, "31498")
    unit.successor_code = unit.successor_name = unit.successor_province_code = unit.successor_province_name = None
    session.add(unit)
    session.commit()
    add_establishment(name="Cơ sở không có xã mới", commune_code="31498")
    answer = client.get("/api/v1/establishments?commune=31498")
    assert answer.data == sorted_json(answer.data)
    assert answer.json["establishments"][0]["commune_code_2025"] is None
