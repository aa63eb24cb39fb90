"""Odd input is a 4xx or a page, never a 500: every GET route × every query argument it reads × a corpus
of hostile values, odd path values, and JSON nested too deep for the API.

The query arguments of each route are found by asking the route itself: one plain request records every
name the code reads from `request.args` (filters, page, id, format...), so a new argument is fuzzed
without editing this file. The corpus is generated here, small and bounded: one sweep takes seconds.
"""
from __future__ import annotations

import itertools
import json
import re
from urllib.parse import quote, urlencode

import pytest
from werkzeug.datastructures import ImmutableMultiDict

from surveyapp.accounts.services import user_by_username
from surveyapp.accounts.tokens import create_token
from surveyapp.establishments.filters import parse_establishment_filter
from surveyapp.text import fold, without_control_characters
from surveyapp.web import MAX_PAGE, bounded_int

from .conftest import login
from .test_access import EXPECTED, PUBLIC, build_url, sample_values, world  # noqa: F401 (world: a fixture)

#: Hostile values by kind. A list value is sent as the argument repeated (?a=1&a=2).
CORPUS: dict[str, list] = {
    "control": ["a\x00b", "\x01\x02\x1b[31m\x7f", "x\r\ny\tz", "\u200b\u202e\ufeff"],
    "huge_int": ["99999999999999999999999", str(2**63), str(2**31)],
    "negative": ["-1", "0", "-99999999999999999999"],
    "float": ["1.5", "1,5", "1e308", "-0.0"],
    "nan_inf": ["nan", "inf", "-Infinity"],
    "long": ["9" * 10_000, "x" * 10_000, "\u1ea1" * 5_000],
    "unicode": ["ℌ𝔢𝔩𝔩𝔬 🙂", "²³", "e\u0301\u0301\u0301", "ＡＢＣ１２３", "Cơ sở bánh pía"],
    "syntax": ['"', "*", "NEAR(", "a OR b", "-x", "' OR 1=1 --", "%_\\", "{}", "<script>", "a:b^"],
    "array": [["1", "2"], ["\x00", "99999999999999999999999"], ["", "x"]],
    "empty": ["", " "],
}
#: Sent to every argument of every route; the rest of the corpus is sampled, one value of each kind.
SHARPEST = ["a\x00b", "99999999999999999999999", "9" * 10_000, "²³"]
#: Valid arguments a route needs before it reads the others (the fuzzed one replaces its own).
REQUIRED_ARGS = {"geo.view_points": {"bbox": "105.5,9.2,106.3,9.9", "zoom": "9"}}
#: Path values: each replaces one URL variable (a code, a token, an id) in turn.
PATH_CORPUS = ["a\x00b", "\x01", "99999999999999999999999", "-1", "x" * 2_000, "ℌ🙂", '"*', "..", "%00", " "]


class RecordingArgs(ImmutableMultiDict):
    """request.args that remembers which names the app asked for."""

    asked: set[str] = set()

    def get(self, key, default=None, type=None):
        RecordingArgs.asked.add(key)
        return super().get(key, default, type)

    def __getitem__(self, key):
        RecordingArgs.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        RecordingArgs.asked.add(key)
        return super().__contains__(key)

    def getlist(self, key, type=None):
        RecordingArgs.asked.add(key)
        return super().getlist(key, type)


def arguments_read(app, client, url: str) -> set[str]:
    """The query argument names a route reads when opened plainly."""
    plain = app.request_class
    app.request_class = type("RecordingRequest", (plain,), {"parameter_storage_class": RecordingArgs})
    RecordingArgs.asked = set()
    try:
        client.get(url)
    finally:
        app.request_class = plain
    return set(RecordingArgs.asked)


@pytest.fixture
def answering_app(app):
    """The app answering 500 for an unhandled error, as in production, instead of raising it into the test."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def get_routes(app):
    return sorted((rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and rule.endpoint not in ("static", "bootstrap.static", "vendor.asset")),
                  key=lambda rule: rule.rule)


def values_for(pair_number: int) -> list:
    """The sharpest values, and one value of each kind: a different one for each route × argument pair."""
    sampled = [values[pair_number % len(values)] for values in CORPUS.values()]
    return SHARPEST + [value for value in sampled if value not in SHARPEST]


def query(endpoint: str, name: str, value) -> str:
    """The route's required arguments, and `name` set to the hostile value (repeated when a list)."""
    required = [(key, plain) for key, plain in REQUIRED_ARGS.get(endpoint, {}).items() if key != name]
    return urlencode(required + ([(name, item) for item in value] if isinstance(value, list) else [(name, value)]))


def test_corpus_is_small_and_has_every_kind():
    assert set(CORPUS) >= {"control", "huge_int", "negative", "float", "nan_inf", "long", "unicode", "syntax", "array"}
    assert sum(len(values) for values in CORPUS.values()) <= 60
    assert all(any(value == sharp for values in CORPUS.values() for value in values) for sharp in SHARPEST)
    # Over a few pairs, every value of the corpus is sent.
    assert {repr(value) for number in range(10) for value in values_for(number)} == {
        repr(value) for values in CORPUS.values() for value in values}


def test_no_query_argument_value_breaks_any_route(answering_app, session, world):  # noqa: F811
    app = answering_app
    admin = login(app.test_client(), "admin")
    values = sample_values(session, world)
    broken, sent, pairs, pair_numbers = [], 0, {}, itertools.count()
    for rule in get_routes(app):
        url = build_url(app, rule, values)
        pairs[rule.endpoint] = arguments_read(app, admin, url)
        for name in sorted(pairs[rule.endpoint]):
            for value in values_for(next(pair_numbers)):
                response = admin.get(f"{url}?{query(rule.endpoint, name, value)}")
                sent += 1
                if response.status_code >= 500:
                    broken.append(f"{rule.endpoint} {name}={str(value)[:30]!r} → {response.status_code}")
    print(f"{sent} requests over {sum(map(len, pairs.values()))} route × argument pairs of {len(pairs)} routes")
    assert broken == [], f"{len(broken)} of {sent} requests answered 5xx:\n" + "\n".join(broken)
    # The discovery saw the arguments that broke the server before.
    assert "q" in pairs["establishments.list_establishments"] and "page" in pairs["api.establishments"]
    assert "page" in pairs["admin.audit"] and "id" in pairs["geo.establishment_popup"]
    assert sent >= 1500


def test_no_odd_path_value_breaks_any_route(answering_app, session, world):  # noqa: F811
    app = answering_app
    admin = login(app.test_client(), "admin")
    broken, sent = [], 0
    for rule in get_routes(app):
        for variable in rule.arguments:
            for value in PATH_CORPUS:
                path = re.sub(rf"<(?:[^:<>]+:)?{variable}>", quote(value, safe=""), rule.rule)
                path = re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", "1", path)  # the other variables: a plain value
                response = admin.get(path)
                sent += 1
                if response.status_code >= 500:
                    broken.append(f"{rule.rule} {variable}={value[:30]!r} → {response.status_code}")
    print(f"{sent} requests with an odd path value")
    assert broken == [], f"{len(broken)} of {sent} requests answered 5xx:\n" + "\n".join(broken)
    assert sent >= 100


@pytest.fixture
def phone_token(session, world):  # noqa: F811
    """The enumerator's API token, as a phone sends it."""
    _row, secret = create_token(session, user_by_username(session, "enumerator"), "phone", actor_id=None)
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.mark.parametrize("depth", [100_000, 1_000, 33])
def test_json_nested_too_deep_is_a_400(answering_app, phone_token, depth):
    body = '{"uuid": "6f1b2c3d-0000-4000-8000-000000000001", "establishment_code": "x", "answers": ' \
        + '{"a": ' * depth + "1" + "}" * depth + "}"
    response = answering_app.test_client().post("/api/v1/records", data=body, content_type="application/json",
                                                headers=phone_token)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_json"


def test_json_of_ordinary_depth_still_reaches_the_checks(app, phone_token, world):  # noqa: F811
    body = {"uuid": "6f1b2c3d-0000-4000-8000-000000000002", "establishment_code": world["mine"].code,
            "round": "2019", "status": "draft", "supersedes": world["records"]["enumerator"],
            "answers": {"products": [{"product_name": "Bánh pía", "deep": {"a": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}}]}}
    response = app.test_client().post("/api/v1/records", data=json.dumps(body), content_type="application/json",
                                      headers=phone_token)
    assert response.status_code == 201


def test_control_characters_in_search_text_are_spaces(app, client_as, world):  # noqa: F811
    enumerator = client_as("enumerator")
    mine = world["mine"].code  # "Cơ sở của A"
    for url in ("/establishments?q=co%00so%01cua", "/api/v1/establishments?q=co%00so%1bcua",
                "/survey/communes/31498?round=2019&q=co%00so\u202ecua",
                "/maps/points?bbox=105.5,9.2,106.3,9.9&zoom=9&q=co%00so", "/data-quality/gps?q=co%00so",
                *(f"/exports/establishments.{fmt}?q=co%00so%00cua" for fmt in ("csv", "xlsx", "geojson", "gpkg"))):
        response = enumerator.get(url)
        assert response.status_code == 200, url
        if not any(part in url for part in ("/maps/", "/gps", ".xlsx")):  # points, mismatches only, zipped
            assert mine.encode() in response.data, url
    assert "\x00" not in enumerator.get("/establishments?q=co%00so").text


@pytest.mark.parametrize("url, status", [
    ("/api/v1/establishments?page=99999999999999999999999", 400),
    ("/admin/audit?page=99999999999999999999999", 400),
    ("/admin/audit?page=%C2%B2", 400),
    ("/data-quality/answers?page=" + "9" * 10_000, 400),
    ("/data-quality/answers?page=%C2%B2%C2%B3", 400),
    ("/establishments?page=99999999999999999999999", 302),  # past the last page: moved to the last
    ("/maps/popup?id=99999999999999999999999", 404),
    ("/maps/popup?id=-1", 404),
    ("/maps/points?bbox=105,9,106,10&zoom=99999999999999999999999", 400),
    ("/admin/users/99999999999999999999999", 404),
    ("/establishments/a%00b", 404),
])
def test_numbers_beyond_any_column_and_nul_bytes_are_4xx(answering_app, world, url, status):  # noqa: F811
    assert login(answering_app.test_client(), "admin").get(url).status_code == status


def test_audit_page_past_the_last_moves_to_the_last(client, world):  # noqa: F811
    response = client.get("/admin/audit?page=5000000")
    assert response.status_code == 302 and "page=" not in response.headers["Location"]


def test_text_helpers_drop_control_characters():
    assert without_control_characters("a\x00b\x1b[1m\u202ec\ufeff") == "a b [1m c "
    assert fold("Bánh\x00PÍA\t\u200bTân") == "banh pia tan"
    assert parse_establishment_filter({"q": "\x00 bánh\x00pía \x7f"}).filter.q == "bánh pía"


@pytest.mark.parametrize("raw, expected", [
    ("7", 7), (" 7 ", 7), ("+7", 7), ("0", None), ("19", None), ("-1", None), ("²", None), ("١٢", None),
    ("7.0", None), ("nan", None), ("", None), (None, None), ("9" * 10_000, None), ("99999999999999999999999", None),
])
def test_bounded_int_reads_only_plain_numbers_within_bounds(raw, expected):
    assert bounded_int(raw, 1, 18) == expected


@pytest.mark.parametrize("raw, page, error", [
    ("3", 3, False), ("99999999999999999999999", MAX_PAGE, False), ("9" * 10_000, MAX_PAGE, False),
    ("0", 1, True), ("-5", 1, True), ("²", 1, True), ("1e3", 1, True), ("", 1, False),
])
def test_filter_page_is_bounded(raw, page, error):
    parsed = parse_establishment_filter({"page": raw})
    assert parsed.page == page and ("page" in parsed.errors) == error
