"""Class breaks of a choropleth map with NumPy alone: the breaks mapclassify gives, without SciPy.

mapclassify imports SciPy and scikit-learn (about 1.6 s and 190 MB in every worker) for three small
computations on a hundred values; these are its algorithms (mapclassify 2.10, BSD licence), checked
against it by tests/test_map_classes.py.
"""
from __future__ import annotations

import numpy as np

SCHEMES = ("natural_breaks", "quantiles", "equal_interval")


def breaks(values: np.ndarray, scheme: str, k: int) -> np.ndarray:
    """Upper bound of each of (at most) `k` classes of `values`; the last one is the maximum."""
    values = np.asarray(values, dtype=float)
    if scheme == "natural_breaks":
        return fisher_jenks(values, k)
    if scheme == "quantiles":
        return quantiles(values, k)
    if scheme == "equal_interval":
        return equal_interval(values, k)
    raise ValueError(f"unknown classification scheme {scheme!r}")


def quantiles(values: np.ndarray, k: int) -> np.ndarray:
    """The k quantiles (linear interpolation, as scipy.stats.scoreatpercentile); ties collapse classes."""
    step = 100.0 / k
    percents = np.arange(step, 100 + step, step)
    if percents[-1] > 100.0:
        percents[-1] = 100.0
    return np.unique(np.array([np.percentile(values, percent) for percent in percents]))


def equal_interval(values: np.ndarray, k: int) -> np.ndarray:
    """k classes of equal width from the minimum to the maximum."""
    low, high = values.min(), values.max()
    width = (high - low) / k
    cuts = np.arange(low + width, high + width, width)
    if len(cuts) > k:  # arange may overshoot by one
        cuts = cuts[:k]
    cuts[-1] = high
    return cuts


def fisher_jenks(values: np.ndarray, k: int) -> np.ndarray:
    """Natural breaks (Fisher-Jenks): classes with the least variance within them, found exactly by
    dynamic programming (single precision, as mapclassify, so that both give the same breaks)."""
    ordered = np.sort(values).astype("f8")
    count = len(ordered)
    lower_class = np.zeros((count + 1, k + 1), dtype=np.int32)
    variance = np.zeros((count + 1, k + 1), dtype=np.float32)
    lower_class[1, 1:] = 1
    variance[2:, 1:] = np.inf
    within = np.float32(0)
    for last in range(2, count + 1):
        total = squares = weight = np.float32(0)
        for size in range(1, last + 1):
            first = last - size + 1
            value = np.float32(ordered[first - 1])
            squares += value * value
            total += value
            weight += np.float32(1)
            within = squares - (total * total) / weight
            before = first - 1
            if before != 0:
                for classes in range(2, k + 1):
                    if variance[last, classes] >= within + variance[before, classes - 1]:
                        lower_class[last, classes] = first
                        variance[last, classes] = within + variance[before, classes - 1]
        lower_class[last, 1] = 1
        variance[last, 1] = within
    bounds = np.zeros(k + 1, dtype=ordered.dtype)
    bounds[k] = ordered[-1]
    bounds[0] = ordered[0]
    end = count
    for classes in range(k, 1, -1):
        pivot = lower_class[end, classes]
        bounds[classes - 1] = ordered[int(pivot - 2)]
        end = int(pivot - 1)
    return np.delete(bounds, 0)
