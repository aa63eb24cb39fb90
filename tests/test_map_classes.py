"""Map classes without SciPy (issue 19, item 4): the same breaks mapclassify gives, from NumPy alone.

mapclassify pulls in SciPy and scikit-learn (1.6 s and ~190 MB per worker); it stays installed for
this comparison only."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from surveyapp.geo import classes
from surveyapp.geo.indicators import SCHEMES, classify

ROOT = Path(__file__).resolve().parents[1]


def datasets():
    generator = np.random.default_rng(19)
    yield "counts", generator.integers(0, 400, 110).astype(float)
    yield "skewed revenue", generator.lognormal(8, 2, 120)
    yield "shares", generator.uniform(0, 100, 11).round(1)
    yield "ties", np.array([1, 1, 1, 2, 2, 3, 50, 50, 51, 400], dtype=float)
    yield "tiny", np.array([3.0, 7.0, 7.5])


@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("k", [2, 3, 5])
def test_the_breaks_are_mapclassifys(scheme, k):
    import mapclassify

    for name, data in datasets():
        k_here = min(k, np.unique(data).size)
        ours = classes.breaks(data, scheme, k_here)
        theirs = getattr(mapclassify, SCHEMES[scheme][1])(data, k=k_here).bins
        assert np.allclose(ours, theirs, rtol=1e-9, atol=1e-9), (name, ours, theirs)


def test_classify_keeps_its_answer_for_few_values():
    assert classify([], "quantiles") is None
    single = classify([4.0, 4.0], "natural_breaks")
    assert single.upper == (4.0,) and single.lower == 4.0
    breaks = classify([1.0, 2.0, 3.0, 10.0, 11.0, 12.0], "natural_breaks", k=2)
    assert breaks.upper == (3.0, 12.0) and breaks.class_of(10.5) == 1


def test_unknown_scheme_is_refused():
    with pytest.raises(ValueError):
        classes.breaks(np.array([1.0, 2.0]), "head_tail", 2)


def test_a_map_is_classified_without_scipy(tmp_path):
    code = ("import json, sys; from surveyapp.geo.indicators import classify; "
            "classify([1, 5, 9, 40, 41, 300], 'natural_breaks'); classify([1, 2, 3], 'quantiles'); "
            "print(json.dumps([m for m in ('scipy', 'mapclassify', 'sklearn') if m in sys.modules]))")
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == []
