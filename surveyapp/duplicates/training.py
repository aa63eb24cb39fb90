"""Training the linkage model: on the app's registry (`flask duplicates --train`), or, for the model
shipped in the package, on the demo census plus the records of the labelled set (never its labels).

`python -m surveyapp.duplicates.training` writes surveyapp/duplicates/model.json again.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

from . import linkage

LABELLED_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "duplicate_pairs.json"
#: The demo census the tests use: 3,209 establishments, seed 1.
DEMO_SIZE, DEMO_SEED = 3_209, 1


def demo_rows(size: int = DEMO_SIZE, seed: int = DEMO_SEED, province_code: str = "94") -> list[tuple]:
    """The synthetic census `flask demo` makes, as rows of linkage.COLUMNS, without a database."""
    from ..adminunits import source
    from ..demo.generator import _establishment_rows
    from ..models import AdminUnit
    units = [AdminUnit(**unit) for unit in source.legacy_units(province_code)]
    province = next(u for u in units if u.level == "province")
    communes = sorted((u for u in units if u.level == "commune"), key=lambda u: u.code)
    rows = _establishment_rows(random.Random(seed), province, communes, size, {})
    return [tuple(row[column] for column in linkage.COLUMNS) for row in rows]


#: Share of establishments entered twice in the background registry, as in real registries.
REENTERED_SHARE = 0.03


def with_reentries(rows: list[tuple], share: float = REENTERED_SHARE, seed: int = 11) -> list[tuple]:
    """Rows plus a few entered a second time the way enumerators do: without diacritics or with the
    legal form abbreviated, the GPS taken again nearby, the phone or the owner sometimes left out.
    EM needs duplicates in the registry to learn what they look like (real registries have them)."""
    from ..text import fold
    rng = random.Random(seed)
    index = {column: position for position, column in enumerate(linkage.COLUMNS)}
    extra = []
    for number, row in enumerate(rng.sample(rows, round(len(rows) * share))):
        copy = list(row)
        copy[index["code"]] = f"{row[index['code']][:7]}{990_000 + number:06d}"
        name = row[index["name"]]
        copy[index["name"]] = fold(name).title() if rng.random() < 0.5 else name.replace("Cơ sở", "CS").replace(
            "Hộ kinh doanh", "HKD").replace("Hợp tác xã", "HTX").replace("Công ty TNHH", "Cty TNHH")
        for column, chance in (("phone", 0.3), ("owner", 0.1), ("address", 0.2)):
            if rng.random() < chance:
                copy[index[column]] = None
        if row[index["lat"]] is not None:
            copy[index["lat"]] = row[index["lat"]] + rng.gauss(0, 0.0002)
            copy[index["lon"]] = row[index["lon"]] + rng.gauss(0, 0.0002)
        extra.append(tuple(copy))
    return rows + extra


def labelled_records(path: Path = LABELLED_SET) -> tuple[list[tuple], list[dict]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return [tuple(record[column] for column in linkage.COLUMNS) for record in data["records"]], data["pairs"]


def packaged_training_rows() -> list[tuple]:
    records, _pairs = labelled_records()
    return with_reentries(demo_rows()) + records


def main() -> None:
    model = linkage.train(linkage.arrow_table(packaged_training_rows()))
    model["trained_on"] = "demo census (3,209 establishments, seed 1) with 3 % entered twice + the records of tests/data/duplicate_pairs.json"
    linkage.PACKAGED_MODEL.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"model written to {linkage.PACKAGED_MODEL}")


if __name__ == "__main__":
    main()


def evaluate(model: dict, thresholds: tuple[float, ...] = (linkage.DEFAULT_THRESHOLD,)) -> dict:
    """Precision and recall on the labelled set, scored among the demo census (the prior of a
    registry of that size): a proposed pair of two labelled records not labelled a duplicate counts
    as a false positive. Returns {threshold: (precision, recall, f1)} and the missed/wrong cases."""
    records, pairs = labelled_records()
    codes = {record[0] for record in records}
    truth = {tuple(sorted((p["code_a"], p["code_b"]))) for p in pairs if p["duplicate"]}
    case_of = {tuple(sorted((p["code_a"], p["code_b"]))): p["case"] for p in pairs}
    scored = linkage.predict(linkage.arrow_table(demo_rows() + records), model, threshold=min(thresholds) - 1e-9)
    scored = [p for p in scored if p.code_a in codes and p.code_b in codes]
    curve, errors = {}, {}
    for threshold in thresholds:
        found = {(p.code_a, p.code_b) for p in scored if p.score >= threshold}
        hits = len(found & truth)
        precision = hits / len(found) if found else 1.0
        recall = hits / len(truth)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        curve[threshold] = (precision, recall, f1)
        errors[threshold] = {"missed": sorted(case_of[key] for key in truth - found),
                             "wrong": sorted(case_of.get(key, "unlabelled") for key in found - truth)}
    return {"curve": curve, "errors": errors}
