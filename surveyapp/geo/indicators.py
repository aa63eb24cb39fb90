"""What a district map shows: the indicator, its class breaks and colours.

Parsing the map's own query arguments (`indicator`, `share_of`, `scheme`, `level`) is pure, like the
establishment filter: bad values become {argument: message}, never exceptions.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from flask_babel import lazy_gettext as _l

from ..reference import vsic_divisions

#: indicator → its label; the order is the order of the choice on the page.
INDICATORS = {
    "establishments": _l("Establishments"),
    "workers": _l("Workers"),
    "revenue": _l("Revenue (million VND)"),
    "sector_share": _l("Share of a sector in establishments (%)"),
    "certified": _l("Certified establishments (typical rural industrial product)"),
}
#: scheme → (label, name of the mapclassify class it matches: see classes.py).
SCHEMES = {
    "natural_breaks": (_l("Natural breaks (Fisher-Jenks)"), "FisherJenks"),
    "quantiles": (_l("Quantiles"), "Quantiles"),
    "equal_interval": (_l("Equal intervals"), "EqualInterval"),
}
LEVEL_LABELS = {"district": _l("Districts"), "commune": _l("Communes")}
#: Every level the map draws: the chosen ones, and the 2025 communes (`units=2025`, not a `level=`).
DRAWN_LEVEL_LABELS = {**LEVEL_LABELS, "commune_2025": _l("Communes (from 1/7/2025)")}
MAP_ARGUMENTS = ("indicator", "share_of", "scheme", "level")
CLASSES = 5
#: ColorBrewer YlOrRd, light to dark, for up to five classes.
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA_COLOUR = "#d9d9d9"


@dataclass(frozen=True)
class MapOptions:
    indicator: str = "establishments"
    #: Sector (VSIC division) whose share `sector_share` shows.
    share_of: str = "C10"
    scheme: str = "natural_breaks"
    #: "district" or "commune"; None: communes when their boundaries exist, else districts.
    level: str | None = None

    def as_query_args(self) -> dict[str, str]:
        defaults = MapOptions()
        args = {name: getattr(self, name) for name in MAP_ARGUMENTS
                if getattr(self, name) and getattr(self, name) != getattr(defaults, name)}
        if self.indicator != "sector_share":
            args.pop("share_of", None)
        return args


@dataclass
class ParsedOptions:
    options: MapOptions
    errors: dict[str, str] = field(default_factory=dict)


def parse_map_options(args: Mapping[str, str]) -> ParsedOptions:
    values = {name: (args.get(name) or "").strip() or None for name in MAP_ARGUMENTS}
    errors: dict[str, str] = {}
    if values["indicator"] and values["indicator"] not in INDICATORS:
        errors["indicator"] = str(_l("Unknown indicator."))
    if values["share_of"]:
        values["share_of"] = values["share_of"].upper()
        if values["share_of"] not in vsic_divisions():
            errors["share_of"] = str(_l("Unknown sector (VSIC division such as C10)."))
    if values["scheme"] and values["scheme"] not in SCHEMES:
        errors["scheme"] = str(_l("Unknown classification."))
    if values["level"] and values["level"] not in LEVEL_LABELS:
        errors["level"] = str(_l("Level must be district or commune."))
    clean = {name: value for name, value in values.items() if value and name not in errors}
    return ParsedOptions(MapOptions(**clean), errors)


@dataclass(frozen=True)
class ClassBreaks:
    #: Upper bound of each class (the last one is the maximum).
    upper: tuple[float, ...]
    lower: float
    colours: tuple[str, ...]

    def class_of(self, value: float | None) -> int | None:
        """Index of the class holding the value (None for no data)."""
        if value is None:
            return None
        for index, bound in enumerate(self.upper):
            if value <= bound + 1e-9 * max(1.0, abs(bound)):
                return index
        return len(self.upper) - 1

    def colour_of(self, value: float | None) -> str:
        index = self.class_of(value)
        return NO_DATA_COLOUR if index is None else self.colours[index]


def classify(values: Sequence[float], scheme: str = "natural_breaks", k: int = CLASSES) -> ClassBreaks | None:
    """Class breaks of the values (mapclassify's, see classes.py); fewer classes when there are fewer
    distinct values."""
    import numpy as np
    data = np.asarray([value for value in values if value is not None], dtype=float)
    if data.size == 0:
        return None
    distinct = np.unique(data)
    k = max(1, min(k, distinct.size))
    if k == 1:
        return ClassBreaks((float(distinct[0]),), float(distinct[0]), _colours(1))
    from . import classes  # NumPy: imported when a map is drawn, not at start-up

    upper = tuple(float(bound) for bound in classes.breaks(data, scheme, k))
    return ClassBreaks(upper, float(data.min()), _colours(len(upper)))


def _colours(count: int) -> tuple[str, ...]:
    """`count` colours spread over the palette, so two classes are light and dark, not two yellows."""
    import numpy as np
    if count == 1:
        return (PALETTE[2],)
    positions = np.linspace(0, len(PALETTE) - 1, count).round().astype(int)
    return tuple(PALETTE[position] for position in positions)
