"""Bar charts drawn on the server as inline SVG: no JavaScript, no CDN, nothing the CSP must allow.

`bar_chart` computes the geometry; the template `reports/_bar_chart.html` draws it. Labels and values
are text inside the SVG, so the chart reads the same in a screen reader, in print and offline.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    #: Top of the bar and its length, in SVG units.
    y: float
    length: float
    colour: str = "#0d6efd"
    #: Where a click on the bar leads (the list of those establishments), if anywhere.
    href: str | None = None


@dataclass
class BarChart:
    title: str
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar] = field(default_factory=list)
    #: "number" or "percent": how the template prints each value.
    value_format: str = "number"

    @property
    def plot_width(self) -> int:
        return self.width - self.label_width - VALUE_SPACE

    @property
    def label_chars(self) -> int:
        """How many characters of a label fit left of the bars (the rest becomes "…")."""
        return label_chars(self.label_width)


def label_chars(label_width: int) -> int:
    return max(8, int((label_width - 12) / 7.5))


VALUE_SPACE = 70  # room right of the longest bar for its value


def bar_chart(title: str, items: list[tuple[str, float]], width: int = 640, bar_height: int = 24,
              value_format: str = "number", colours: list[str] | None = None,
              links: list[str] | None = None) -> BarChart:
    """Horizontal bars, one per (label, value), longest = the largest value; zero and negative → no bar.

    Labels get the room their longest one needs (about 7.5 units a character at font size 12), up to 45 %.
    """
    longest = max((len(label) for label, _value in items), default=10)
    label_width = int(min(width * 0.45, max(80, 7.5 * longest + 12)))
    chart = BarChart(title, width, max(1, len(items)) * bar_height + 8, label_width, bar_height,
                     value_format=value_format)
    largest = max((value for _label, value in items), default=0)
    for index, (label, value) in enumerate(items):
        length = chart.plot_width * value / largest if largest > 0 and value > 0 else 0
        colour = colours[index % len(colours)] if colours else Bar.colour
        chart.bars.append(Bar(label, value, 4 + index * bar_height, round(length, 1), colour,
                              links[index] if links else None))
    return chart


@dataclass(frozen=True)
class Segment:
    key: str
    value: int
    x: float
    length: float


@dataclass
class StackedRow:
    label: str
    total: int
    y: float
    segments: list[Segment]


@dataclass
class StackedChart:
    title: str
    width: int
    height: int
    label_width: int
    bar_height: int
    #: (key, legend label, colour) of the parts, in stacking order.
    parts: list[tuple[str, str, str]]
    rows: list[StackedRow] = field(default_factory=list)

    @property
    def label_chars(self) -> int:
        return label_chars(self.label_width)


def stacked_bar_chart(title: str, parts: list[tuple[str, str, str]], items: list[tuple[str, dict[str, int]]],
                      width: int = 640, bar_height: int = 24) -> StackedChart:
    """Horizontal bars made of parts (e.g. the four panel categories), the longest = the largest total."""
    longest = max((len(label) for label, _values in items), default=10)
    label_width = int(min(width * 0.45, max(80, 7.5 * longest + 12)))
    chart = StackedChart(title, width, max(1, len(items)) * bar_height + 8, label_width, bar_height, parts)
    plot_width = width - label_width - VALUE_SPACE
    largest = max((sum(values.values()) for _label, values in items), default=0)
    for index, (label, values) in enumerate(items):
        x, segments = float(label_width), []
        for key, _legend, _colour in parts:
            length = plot_width * values.get(key, 0) / largest if largest > 0 else 0
            segments.append(Segment(key, values.get(key, 0), round(x, 1), round(length, 1)))
            x += length
        chart.rows.append(StackedRow(label, sum(values.values()), 4 + index * bar_height, segments))
    return chart
