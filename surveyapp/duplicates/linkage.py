"""Probabilistic record linkage (Fellegi–Sunter, with Splink on DuckDB): evidence in, weighed pairs out.

Four comparisons — name and trade (VSIC), owner and phone, tax code, place (GPS distance, address,
commune) — each put a pair at one level (same, similar, different, missing...). A level adds
log2(m/u) to the pair's match weight: m, the chance of that level among true duplicates, and u,
among different establishments, are estimated from the registry itself (`train`: u by random
sampling, m by expectation maximisation; supervisors' merges as labels besides), not set by hand;
m is smoothed a little, and a level no EM session could see keeps its starting value. So a
near-identical name in one commune with other owners and another trade adds and subtracts, and no
single signal decides. The prior is "how many duplicates one record has" (learnt), turned into the
prior of a pair for the size of the registry being checked.

Rows are normalised in DuckDB SQL (Vietnamese diacritics and đ folded, legal-form prefixes such as
"Cơ sở", "CS", "HTX", "DNTN", "Công ty TNHH" dropped, word order sorted), so a million rows take
seconds. Splink, DuckDB and pyarrow are imported inside the functions: the app starts without them.
"""
from __future__ import annotations

import json
import math
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

#: The model shipped with the app: trained by EM on the demo census plus the labelled set's records.
PACKAGED_MODEL = Path(__file__).with_name("model.json")
DEFAULT_THRESHOLD = 0.85
#: Columns read from the app's database, in this order.
COLUMNS = ("code", "name", "owner", "legal_form", "tax_code", "phone", "vsic_code", "sector", "address",
           "commune_code", "district_code", "lat", "lon")

_PREFIXES = sorted([
    "co so san xuat", "co so", "cs", "csx", "csxs", "ho kinh doanh ca the", "ho kinh doanh", "hkd", "ho gia dinh",
    "ho", "doanh nghiep tu nhan", "dntn", "cong ty trach nhiem huu han mot thanh vien", "cong ty trach nhiem huu han",
    "cong ty tnhh mtv", "cong ty tnhh", "cty tnhh mtv", "cty tnhh", "tnhh mtv", "tnhh", "cong ty co phan", "cty cp",
    "cong ty", "cty", "hop tac xa", "htx", "to hop tac", "tht", "mot thanh vien", "mtv", "san xuat", "sx",
    "thuong mai", "tm", "dich vu", "dv",
], key=len, reverse=True)
#: Leading legal-form words, as an RE2 pattern (DuckDB; Spark's Java regex reads it the same way).
PREFIX_PATTERN = r"^((" + "|".join(_PREFIXES) + r")\b\s*)+"


def _fold_sql(column: str) -> str:
    """Lowercase, no diacritics, đ → d, anything but letters and digits one space."""
    return (f"trim(regexp_replace(lower(strip_accents(replace(replace(coalesce({column}, ''), 'đ', 'd'), 'Đ', 'D'))), "
            f"'[^0-9a-z]+', ' ', 'g'))")


def _sorted_words_sql(expression: str) -> str:
    return f"array_to_string(list_sort(string_split({expression}, ' ')), ' ')"


def prepare_sql(source: str) -> str:
    """SELECT of the comparison columns from a table of COLUMNS."""
    return f"""
WITH folded AS (
    SELECT code AS unique_id, {_fold_sql('name')} AS name_clean, {_fold_sql('owner')} AS owner_clean,
           regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g') AS phone_digits,
           regexp_replace(coalesce(tax_code, ''), '[^0-9]', '', 'g') AS tax_digits,
           nullif({_fold_sql('address')}, '') AS address_norm,
           nullif(vsic_code, '') AS vsic_code, nullif(sector, '') AS sector, commune_code, district_code,
           CAST(lat AS DOUBLE) AS lat, CAST(lon AS DOUBLE) AS lon
    FROM {source}
), stripped AS (
    SELECT *, trim(regexp_replace(name_clean, '{PREFIX_PATTERN}', '')) AS name_stripped FROM folded
), named AS (
    SELECT *, nullif(CASE WHEN name_stripped = '' THEN name_clean ELSE name_stripped END, '') AS name_norm
    FROM stripped
)
SELECT unique_id, name_norm, {_sorted_words_sql('name_norm')} AS name_sorted,
       string_split(name_norm, ' ')[1] AS name_first, string_split(name_norm, ' ')[-1] AS name_last,
       nullif(owner_clean, '') AS owner_norm,
       CASE WHEN owner_clean = '' THEN NULL ELSE {_sorted_words_sql('owner_clean')} END AS owner_sorted,
       CASE WHEN owner_clean = '' THEN NULL ELSE string_split(owner_clean, ' ')[1] END AS owner_family,
       CASE WHEN phone_digits LIKE '84%' AND length(phone_digits) >= 11 THEN '0' || phone_digits[3:]
            WHEN length(phone_digits) >= 9 THEN phone_digits END AS phone_norm,
       CASE WHEN length(tax_digits) IN (10, 13) THEN tax_digits[1:10] END AS tax10,
       address_norm, vsic_code, sector, commune_code, district_code, lat, lon,
       CASE WHEN lat IS NOT NULL AND lon IS NOT NULL
            THEN CAST(floor(lat / 0.0005) AS BIGINT) || ':' || CAST(floor(lon / 0.0005) AS BIGINT) END AS gps_cell
FROM named"""


def _levels(*levels: tuple) -> list[dict]:
    """(key, SQL condition, label[, starting m]) → Splink comparison levels; the key names the words
    shown for it. The starting m is where EM begins (and stays, for a level the registry never shows)."""
    out = []
    for key, condition, label, *start in levels:
        level: dict[str, Any] = {"sql_condition": condition, "label_for_charts": f"{key}: {label}"}
        if start:
            level["m_probability"] = start[0]
        if key == "null":
            level["is_null_level"] = True
        out.append(level)
    return out


def _null(*columns: str) -> tuple[str, str, str]:
    return ("null", " OR ".join(f'"{c}_l" IS NULL OR "{c}_r" IS NULL' for c in columns), "missing")


def _jw(column: str, at_least: float) -> str:
    return f'jaro_winkler_similarity("{column}_l", "{column}_r") >= {at_least}'


def _km() -> str:
    return ('(6371.0 * 2 * asin(sqrt(pow(sin(radians("lat_r" - "lat_l") / 2), 2) + cos(radians("lat_l")) * '
            'cos(radians("lat_r")) * pow(sin(radians("lon_r" - "lon_l") / 2), 2))))')


def _same_owner() -> str:
    return ('("owner_norm_l" = "owner_norm_r" OR "owner_sorted_l" = "owner_sorted_r" OR '
            + _jw("owner_norm", 0.95) + ")")


def comparisons() -> list[dict]:
    """Signals that depend on each other are one comparison with joint levels (name with trade, owner
    with phone, GPS with address and commune): an owner's phone does not count twice, and "another
    name and another trade" can weigh more than either alone."""
    same_sector = '"sector_l" = "sector_r"'
    phone = '"phone_norm_l" = "phone_norm_r"'
    no_phone = '("phone_norm_l" IS NULL OR "phone_norm_r" IS NULL)'
    no_owner = '("owner_norm_l" IS NULL OR "owner_norm_r" IS NULL)'
    family = '"owner_family_l" = "owner_family_r"'
    near, close = f"{_km()} <= 0.03", f"{_km()} <= 0.15"
    commune = '"commune_code_l" = "commune_code_r"'
    return [
        {"output_column_name": "business", "comparison_description": "name and trade", "comparison_levels": _levels(
            _null("name_norm"),
            ("exact", '"name_norm_l" = "name_norm_r"', "same name", 0.55),
            ("reordered", '"name_sorted_l" = "name_sorted_r"', "same words", 0.05),
            ("close", _jw("name_norm", 0.96), "jaro-winkler >= 0.96", 0.15),
            ("similar_trade", f'{_jw("name_norm", 0.88)} AND {same_sector}', "similar name, same trade", 0.1),
            ("similar", _jw("name_norm", 0.88), "similar name, other trade", 0.02),
            ("trade", same_sector, "other name, same trade", 0.1),
            ("else", "ELSE", "other name, other trade", 0.03))},
        {"output_column_name": "contact", "comparison_description": "owner and phone", "comparison_levels": _levels(
            ("null", f"{no_owner} AND {no_phone}", "missing"),
            ("owner_phone", f"{_same_owner()} AND {phone}", "same owner, same phone", 0.4),
            ("owner", f"{_same_owner()} AND {no_phone}", "same owner", 0.3),
            ("owner_other_phone", _same_owner(), "same owner, other phone", 0.05),
            ("phone", f"{phone} AND {no_owner}", "same phone", 0.1),
            ("phone_family", f"{phone} AND {family}", "same phone, owner of the same family", 0.02),
            ("phone_other_owner", phone, "same phone, other owner", 0.02),
            ("family", family, "owner of the same family", 0.03),
            ("other_owner", f"NOT {no_owner}", "other owner", 0.02),
            ("else", "ELSE", "other phone", 0.06))},
        {"output_column_name": "tax", "comparison_description": "tax code", "comparison_levels": _levels(
            _null("tax10"),
            ("exact", '"tax10_l" = "tax10_r"', "same", 0.9),
            ("else", "ELSE", "different", 0.1))},
        {"output_column_name": "place", "comparison_description": "GPS, address and commune", "comparison_levels": _levels(
            ("near", near, "within 30 m", 0.35),
            ("address", f'{commune} AND "address_norm_l" = "address_norm_r"', "same address", 0.2),
            ("close", close, "within 150 m", 0.15),
            ("commune", commune, "same commune", 0.2),
            ("district", '"district_code_l" = "district_code_r"', "same district", 0.07),
            ("else", "ELSE", "other district", 0.03))},
    ]


#: Which pairs are compared at all (a union): the same phone or tax code anywhere; in a commune, the
#: same owner or a name sharing its first and last words; in a district, the same words of name;
#: a ~55 m GPS cell.
BLOCKING_RULES = [
    'l.phone_norm = r.phone_norm',
    'l.tax10 = r.tax10',
    'l.commune_code = r.commune_code AND l.owner_sorted = r.owner_sorted',
    'l.commune_code = r.commune_code AND l.name_first = r.name_first AND l.name_last = r.name_last',
    'l.district_code = r.district_code AND l.name_sorted = r.name_sorted',
    'l.gps_cell = r.gps_cell',
]


#: EM sessions: each estimates m for the comparisons its block does not use; together they cover all.
EM_BLOCKS = [
    "l.tax10 = r.tax10",
    "l.district_code = r.district_code AND l.name_sorted = r.name_sorted",
    "l.commune_code = r.commune_code AND l.name_first = r.name_first AND l.name_last = r.name_last",
]


def settings(probability_two_random_records_match: float = 1e-4) -> dict:
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": comparisons(),
        "blocking_rules_to_generate_predictions": [{"blocking_rule": rule} for rule in BLOCKING_RULES],
        "probability_two_random_records_match": probability_two_random_records_match,
        "retain_matching_columns": True,
        "retain_intermediate_calculation_columns": True,
        "additional_columns_to_retain": [],
        "max_iterations": 25,
    }


# --- the model: trained parameters, loaded and saved as JSON ---------------------------------------

#: What the model file holds beside Splink's settings.
OUR_KEYS = ("duplicates_per_record", "trained_on", "trained_on_records", "known_duplicates")


def load_model(path: Path | None = None) -> dict:
    """The trained model: Splink's settings with m/u, plus `duplicates_per_record`."""
    return json.loads((path or PACKAGED_MODEL).read_text(encoding="utf-8"))


def prior_for(model: dict, records: int) -> float:
    """Chance that two random records of a registry of this size are one establishment."""
    pairs = max(1, records * (records - 1) / 2)
    return min(0.5, max(1e-12, model["duplicates_per_record"] * records / pairs))


def prior_weight(model: dict, records: int) -> float:
    """The match weight a pair starts from before any comparison: log2 of the prior odds."""
    prior = prior_for(model, records)
    return math.log2(prior / (1 - prior))


@contextmanager
def _duckdb(memory_limit: str | None = None, threads: int | None = None):
    """An in-memory DuckDB that spills (past `memory_limit`) into a temporary directory of its own,
    removed afterwards (DuckDB's default is ./.tmp of the working directory)."""
    import duckdb
    spill = tempfile.mkdtemp(prefix="surveyapp-duckdb-")
    connection = duckdb.connect(":memory:")
    try:
        connection.execute(f"SET temp_directory = '{spill}'").fetchall()
        if memory_limit:
            connection.execute(f"SET memory_limit = '{memory_limit}'").fetchall()
        if threads:
            connection.execute(f"SET threads = {int(threads)}").fetchall()
        connection.execute("SET preserve_insertion_order = false").fetchall()
        yield connection
    finally:
        connection.close()
        shutil.rmtree(spill, ignore_errors=True)


def _load(connection, table) -> int:
    """Registers the arrow table of COLUMNS and builds the prepared table `records`; its row count."""
    connection.register("raw_records", table)
    connection.execute(f"CREATE TABLE records AS {prepare_sql('raw_records')}").fetchall()
    connection.unregister("raw_records")
    return connection.execute("SELECT count(*) FROM records").fetchall()[0][0]


def _linker(connection, model_settings: dict):
    import logging

    from splink import DuckDBAPI, Linker
    for name in ("splink", "splink.internals"):
        logging.getLogger(name).setLevel(logging.ERROR)
    api = DuckDBAPI(connection)
    return Linker(api.register("records"), model_settings, log_level=logging.ERROR)


#: Below this, EM has too few pairs to tell duplicates from look-alikes.
MIN_TRAINING_RECORDS = 1_000


FALLBACK_DUPLICATES_PER_RECORD = 0.001


class TrainingError(ValueError):
    pass


def train(table, u_pairs: float = 2e6, seed: int = 1, known_duplicates: Iterable[tuple[str, str]] = ()) -> dict:
    """Estimate the model from a registry (arrow table of COLUMNS) by EM: u by random sampling,
    λ from records that share a phone and a similar name, m by EM in the sessions of EM_BLOCKS."""
    with _duckdb() as connection:
        return _train(connection, table, u_pairs, seed, list(known_duplicates))


def _train(connection, table, u_pairs: float, seed: int, known: list[tuple[str, str]]) -> dict:
    from splink.internals.exceptions import EMTrainingException
    records = _load(connection, table)
    if records < MIN_TRAINING_RECORDS:
        raise TrainingError(f"{records} establishments are too few to learn from (at least {MIN_TRAINING_RECORDS:,}).")
    linker = _linker(connection, settings())
    try:
        linker.training.estimate_probability_two_random_records_match(
            ["l.phone_norm = r.phone_norm AND jaro_winkler_similarity(l.name_norm, r.name_norm) >= 0.9",
             "l.tax10 = r.tax10 AND l.commune_code = r.commune_code"], recall=0.6)
    except ValueError:  # not one pair agrees: say one duplicate per thousand records
        linker._settings_obj._probability_two_random_records_match = 2 * FALLBACK_DUPLICATES_PER_RECORD / (records - 1)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    sessions = 0
    for rule in EM_BLOCKS:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True)
            sessions += 1
        except (EMTrainingException, ValueError):  # no pair shares this key, or none of them is a
            continue  # duplicate (EM's λ reaches 0): the other sessions estimate
    if known:  # merges supervisors made: their agreement patterns are m's labels too (averaged with EM's)
        import pyarrow
        connection.register("known_pairs", pyarrow.table({
            "source_dataset_l": ["records"] * len(known), "unique_id_l": [a for a, _b in known],
            "source_dataset_r": ["records"] * len(known), "unique_id_r": [b for _a, b in known]}))
        connection.execute("CREATE TABLE known_duplicates AS SELECT * FROM known_pairs").fetchall()
        linker.training.estimate_m_from_pairwise_labels("known_duplicates")
        sessions += 1
    if not sessions:
        raise TrainingError("EM found no duplicates to learn from in this registry; the model in use stays.")
    model = smoothed(linker.misc.save_model_to_json())
    model["duplicates_per_record"] = model["probability_two_random_records_match"] * (records - 1) / 2
    model["trained_on_records"] = records
    model["known_duplicates"] = len(known)
    return model


#: Additive smoothing of m: a level EM saw no duplicate at (a tax code typed wrong once) weighs
#: about −15, not −60, so other strong evidence can still outweigh it.
M_SMOOTHING = 0.00002


def smoothed(model: dict, alpha: float = M_SMOOTHING, unseen_u: float = 0.5 / 2e6) -> dict:
    """m smoothed; a level random sampling never met gets u of half a pair in the sample."""
    for comparison in model["comparisons"]:
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        total = sum(level.get("m_probability") or 0 for level in levels) + alpha * len(levels)
        for level in levels:
            level["m_probability"] = ((level.get("m_probability") or 0) + alpha) / total
            level["u_probability"] = level.get("u_probability") or unseen_u
    return model


# --- predicting ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Contribution:
    """One comparison's say in a pair: its level and the weight it adds (log2 of the Bayes factor)."""

    comparison: str  #: name | owner | vsic | phone | tax | gps | address | commune
    level: str  #: exact | reordered | close | similar | family | sector | near | around | district | else
    weight: float
    #: Name similarity (0–1) for name; metres for gps.
    value: float | None = None


@dataclass
class LinkedPair:
    code_a: str
    code_b: str
    score: float  #: match probability, 0–1
    match_weight: float
    evidence: list[Contribution] = field(default_factory=list)


def _level_keys(model: dict) -> dict[str, dict[int, str]]:
    """comparison → gamma value → level key (from the label "key: words")."""
    keys: dict[str, dict[int, str]] = {}
    for comparison in model["comparisons"]:
        levels = [level for level in comparison["comparison_levels"] if not level.get("is_null_level")]
        count = len(levels)
        keys[comparison["output_column_name"]] = {
            count - 1 - index: level["label_for_charts"].split(":")[0] for index, level in enumerate(levels)}
    return keys


def predict(table, model: dict, threshold: float = DEFAULT_THRESHOLD,
            excluded: set[tuple[str, str]] | None = None, memory_limit: str | None = "1GB",
            threads: int | None = None) -> list[LinkedPair]:
    """Pairs with a match probability at or above `threshold`, best first, with each comparison's
    weight; `excluded` pairs (decided already) never come out."""
    with _duckdb(memory_limit, threads) as connection:
        rows = _predicted_rows(connection, table, model, threshold)
    return _pairs(rows, model, excluded or set(), threshold)


def _predicted_rows(connection, table, model: dict, threshold: float) -> list[tuple]:
    records = _load(connection, table)
    if records < 2:
        return []
    model_settings = {key: value for key, value in model.items() if key not in OUR_KEYS}
    model_settings["probability_two_random_records_match"] = prior_for(model, records)
    linker = _linker(connection, model_settings)
    # Splink turns the probability into a weight in SQL: 0 and 1 would be ±infinity there.
    sql_threshold = None if threshold <= 0 else min(threshold, 1 - 1e-9)
    predictions = linker.inference.predict(threshold_match_probability=sql_threshold, warning_mode="never")
    columns = ", ".join(f'"gamma_{n}", "mw_{n}"' for n in _comparison_names(model))
    return connection.execute(f"""
        SELECT least(unique_id_l, unique_id_r), greatest(unique_id_l, unique_id_r), match_probability, match_weight,
               jaro_winkler_similarity(name_norm_l, name_norm_r), {_km()} * 1000, {columns}
        FROM {predictions.physical_name}""").fetchall()


def _comparison_names(model: dict) -> list[str]:
    return [c["output_column_name"] for c in model["comparisons"]]


def _pairs(rows: list[tuple], model: dict, excluded: set[tuple[str, str]], threshold: float) -> list[LinkedPair]:
    """Rows of _predicted_rows as LinkedPairs with their reasons, best first."""
    names = _comparison_names(model)
    level_keys = _level_keys(model)
    pairs = []
    for row in rows:
        code_a, code_b, probability, weight, name_similarity, metres = row[:6]
        if (code_a, code_b) in excluded or probability < threshold:
            continue
        evidence = []
        for index, name in enumerate(names):
            gamma, level_weight = row[6 + 2 * index], row[7 + 2 * index]
            if gamma is None or gamma < 0 or level_weight is None:
                continue  # missing on one side: no evidence either way
            value = name_similarity if name == "business" else metres if name == "place" else None
            evidence.append(Contribution(name, level_keys[name][gamma], level_weight, value))
        evidence.sort(key=lambda item: -abs(item.weight))
        pairs.append(LinkedPair(code_a, code_b, round(probability, 4), weight, evidence))
    pairs.sort(key=lambda p: (-p.score, -p.match_weight, p.code_a, p.code_b))
    return pairs


def arrow_table(rows: list[tuple]):
    """An arrow table of COLUMNS from row tuples in that order."""
    return arrow_table_from_batches([rows])


def arrow_table_from_batches(batches: Iterable[list[tuple]]):
    """One arrow table of COLUMNS from lists of row tuples, converted a list at a time."""
    import pyarrow
    types = {"lat": pyarrow.float64(), "lon": pyarrow.float64()}
    schema = pyarrow.schema([(name, types.get(name, pyarrow.string())) for name in COLUMNS])
    tables = []
    for rows in batches:
        columns = list(zip(*rows)) or [[] for _ in COLUMNS]
        tables.append(pyarrow.table({name: pyarrow.array(values, type=schema.field(name).type)
                                     for name, values in zip(COLUMNS, columns)}, schema=schema))
    return pyarrow.concat_tables(tables) if tables else schema.empty_table()
