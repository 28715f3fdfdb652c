"""Maps of the département's communes without a tile server: the outlines of
``data/communes_94.geojson`` projected to an SVG plane, drawn by the server.

Reusable pieces (the dashboard's and the needs page's choropleths, the annual report's PDF,
and any other map — a day's tours, say — built on the same base):

- ``outlines()``: the 47 communes as read from the shipped GeoJSON (code, name, ring);
- ``feature_collection(figures)``: that GeoJSON with figures in each feature's properties
  (``/api/v1/impact/communes.geojson``);
- ``Projection``: longitude/latitude → SVG x/y (equirectangular, scaled by the cosine of
  the middle latitude: exact enough across 30 km), fitted to a width;
- ``simplify(points, tolerance)``: Douglas–Peucker, for outlines drawn small;
- ``classes(values)`` and ``PALETTE``: a sequential colour scale and its legend;
- ``svg_map(...)``: the SVG itself — communes filled, optional markers and lines (lat, lon),
  a legend, the attribution; ``interactive`` makes each commune a focusable link whose
  ``aria-label`` and ``<title>`` carry its figures (the page), without it a plain drawing
  (WeasyPrint draws it in the PDF).
"""

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

OUTLINES_PATH = Path(settings.DATA_DIR) / "communes_94.geojson"

LonLat = tuple[float, float]


def attribution() -> str:
    """To be shown wherever the outlines are drawn (data/README.md)."""
    return _("Commune outlines: IGN – Admin Express COG 2018, via france-geojson, Licence Ouverte (Etalab)")


@dataclass(frozen=True)
class Commune:
    code: str
    name: str
    ring: tuple[LonLat, ...]  # the outer ring, closed


@lru_cache(maxsize=1)
def _geojson() -> dict:
    return json.loads(OUTLINES_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def outlines() -> tuple[Commune, ...]:
    """The communes of the shipped GeoJSON, in its order (one ``Polygon`` each)."""
    communes = []
    for feature in _geojson()["features"]:
        geometry = feature["geometry"]
        rings = geometry["coordinates"] if geometry["type"] == "Polygon" else geometry["coordinates"][0]
        communes.append(Commune(
            code=feature["properties"]["code"], name=feature["properties"]["nom"],
            ring=tuple((float(lon), float(lat)) for lon, lat in rings[0]),
        ))
    return tuple(communes)


def feature_collection(figures: dict[str, dict], *, zero: dict) -> dict:
    """The communes' GeoJSON with ``figures[code]`` (or ``zero``) added to each feature's
    ``code`` and ``nom``; numbers stay JSON numbers, so QGIS can grade them."""
    features = []
    for feature in _geojson()["features"]:
        code = feature["properties"]["code"]
        values = {name: _json_number(value) for name, value in figures.get(code, zero).items()}
        features.append({
            "type": "Feature", "geometry": feature["geometry"],
            "properties": {"code": code, "nom": feature["properties"]["nom"], **values},
        })
    return {"type": "FeatureCollection", "features": features}


def _json_number(value):
    return float(value) if isinstance(value, Decimal) else value


#
# Projection and simplification
#
class Projection:
    """Fits ``bounds`` (lon, lat) into an SVG plane ``width`` wide (north up), with ``margin``."""

    def __init__(self, bounds: tuple[float, float, float, float], *, width: float, margin: float = 4):
        west, south, east, north = bounds
        self.kx = math.cos(math.radians((south + north) / 2))  # a degree of longitude is shorter
        span_x, span_y = (east - west) * self.kx, north - south
        self.scale = (width - 2 * margin) / span_x
        self.west, self.north, self.margin = west, north, margin
        self.width = width
        self.height = span_y * self.scale + 2 * margin

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (self.margin + (lon - self.west) * self.kx * self.scale,
                self.margin + (self.north - lat) * self.scale)


def bounds(communes: Iterable[Commune]) -> tuple[float, float, float, float]:
    points = [point for commune in communes for point in commune.ring]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


def simplify(points: Sequence[tuple[float, float]], tolerance: float) -> list[tuple[float, float]]:
    """Douglas–Peucker: drop the points closer than ``tolerance`` to the line they sit on
    (the ring stays closed: its first and last points are kept)."""
    if len(points) < 3 or tolerance <= 0:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        length = math.hypot(bx - ax, by - ay)
        farthest, distance = None, tolerance
        for index in range(first + 1, last):
            px, py = points[index]
            if length:
                d = abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / length
            else:
                d = math.hypot(px - ax, py - ay)
            if d > distance:
                farthest, distance = index, d
        if farthest is not None:
            keep[farthest] = True
            stack.extend([(first, farthest), (farthest, last)])
    return [point for point, kept in zip(points, keep, strict=True) if kept]


@dataclass(frozen=True)
class Shape:
    code: str
    name: str
    path: str  # the SVG path data


@lru_cache(maxsize=8)
def shapes(width: int = 480, tolerance: float = 0.4) -> tuple[Projection, tuple[Shape, ...]]:
    """The communes projected into an SVG plane ``width`` wide, simplified to ``tolerance``
    (SVG units: under half a pixel at that width, invisible)."""
    communes = outlines()
    projection = Projection(bounds(communes), width=width)
    result = []
    for commune in communes:
        ring = simplify([projection(lon, lat) for lon, lat in commune.ring], tolerance)
        path = "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in ring) + "Z"
        result.append(Shape(code=commune.code, name=commune.name, path=path))
    return projection, tuple(result)


#
# The colour scale
#
# Sequential greens (after ColorBrewer "Greens", its palest step left out so that the first
# class is told from the pale grey of nothing recorded); communes are outlined in dark grey,
# which stands out from the page and from the pale fills (3:1).
NONE_COLOUR = "#f2f2f2"
PALETTE = ("#c7e9c0", "#8fd18a", "#52b05c", "#238b45", "#00441b")
OUTLINE = "#4d4d4d"


@dataclass(frozen=True)
class ColourClass:
    low: float  # exclusive, except the first class's 0
    high: float  # inclusive
    colour: str


def _nice(value: float) -> float:
    """A round number at or above ``value`` (1, 2, 2.5, 5 × a power of ten)."""
    if value <= 0:
        return 0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def classes(values: Iterable[float], *, count: int = len(PALETTE)) -> list[ColourClass]:
    """Equal classes from 0 to a round number at or above the largest value (fewer when the
    values are few and small, e.g. 3 items: no class holds only fractions)."""
    largest = max((float(value) for value in values), default=0)
    if largest <= 0:
        return []
    top = _nice(largest)
    if top < count:
        count = max(1, math.ceil(top))
    step = top / count
    palette = PALETTE[len(PALETTE) - count:] if count < len(PALETTE) else PALETTE
    return [ColourClass(low=step * index, high=step * (index + 1), colour=palette[index]) for index in range(count)]


def colour_of(value: float, scale: list[ColourClass]) -> str:
    if not value or not scale:
        return NONE_COLOUR
    for colour_class in scale:
        if value <= colour_class.high:
            return colour_class.colour
    return scale[-1].colour


#
# The SVG
#
@dataclass(frozen=True)
class Marker:
    lat: float
    lon: float
    label: str


def svg_map(
    *,
    values: dict[str, float],
    describe: Callable[[str, str, float], str],
    title: str,
    legend_title: str,
    number: Callable[[float], str],
    interactive: bool = True,
    legend: bool = True,
    link: Callable[[str], str] | None = None,
    markers: Sequence[Marker] = (),
    lines: Sequence[Sequence[tuple[float, float]]] = (),
    width: int = 480,
    map_id: str = "map",
) -> SafeString:
    """A choropleth of the communes as one ``<svg>`` element.

    ``values``: commune code → figure; ``describe(code, name, value)``: the text of each
    commune (its ``<title>`` and, when ``interactive``, the ``aria-label`` of its link to
    ``link(code)``); ``number``: how the legend writes a figure. ``markers`` (circles) and
    ``lines`` (polylines of (lat, lon)) are drawn over the communes. Without ``legend`` the
    legend and the attribution are left to the page (``legend_entries``, ``attribution``),
    where they read better than inside a drawing that shrinks on a phone.
    """
    projection, communes = shapes(width)
    scale = classes(values.values())
    entries = legend_entries(scale, number)
    legend_height = (18 * ((len(entries) + LEGEND_COLUMNS - 1) // LEGEND_COLUMNS) + 44) if legend else 0
    height = projection.height + legend_height
    parts = []
    for shape in communes:
        value = values.get(shape.code, 0)
        text = describe(shape.code, shape.name, value)
        path = format_html(
            '<path d="{}" fill="{}" stroke="{}" stroke-width="0.8"><title>{}</title></path>',
            shape.path, colour_of(value, scale), OUTLINE, text,
        )
        if interactive and link is not None:
            parts.append(format_html('<a href="{}" aria-label="{}" class="map-commune" data-code="{}">{}</a>',
                                     link(shape.code), text, shape.code, path))
        else:
            parts.append(path)
    for line in lines:
        points = " ".join("{:.1f},{:.1f}".format(*projection(lon, lat)) for lat, lon in line)  # noqa: UP032
        parts.append(format_html('<polyline points="{}" fill="none" stroke="#28508c" stroke-width="2"/>', points))
    for marker in markers:
        x, y = projection(marker.lon, marker.lat)
        parts.append(format_html(
            '<circle cx="{}" cy="{}" r="4" fill="#28508c" stroke="#ffffff" stroke-width="1.5">'
            '<title>{}</title></circle>', _n(x), _n(y), marker.label))
    if legend:
        parts.append(_legend(entries, legend_title, top=projection.height + 8, width=width))
        parts.append(format_html(
            '<text x="4" y="{}" font-size="9" fill="#333333">{}</text>', _n(height - 4), attribution()))
    body = mark_safe("".join(parts))  # noqa: S308 - every part above is escaped by format_html
    role = "" if interactive else ' role="img"'
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'class="commune-map" id="{id}" aria-labelledby="{id}-title"{role} font-family="Helvetica, Arial, sans-serif">'
        '<title id="{id}-title">{title}</title>{body}</svg>',
        w=width, h=f"{height:.0f}", id=map_id, role=mark_safe(role), title=title, body=body,  # noqa: S308
    )


LEGEND_COLUMNS = 3


def legend_entries(scale: list[ColourClass], number: Callable[[float], str]) -> list[tuple[str, str]]:
    """(colour, label) of each class, after "nothing" (zero)."""
    entries = [(NONE_COLOUR, _("nothing"))]
    for index, colour_class in enumerate(scale):
        high = number(colour_class.high)
        label = (_("%(low)s to %(high)s") % {"low": number(colour_class.low), "high": high} if index
                 else _("up to %(high)s") % {"high": high})
        entries.append((colour_class.colour, label))
    return entries


def _legend(entries: list[tuple[str, str]], title: str, *, top: float, width: int) -> SafeString:
    column = (width - 8) / LEGEND_COLUMNS
    items = format_html_join(
        "", '<rect x="{}" y="{}" width="16" height="12" fill="{}" stroke="{}" stroke-width="0.8"/>'
        '<text x="{}" y="{}" font-size="11" fill="#1d2327">{}</text>',
        ((_n(4 + column * (index % LEGEND_COLUMNS)), _n(top + 20 + 18 * (index // LEGEND_COLUMNS)), colour, OUTLINE,
          _n(26 + column * (index % LEGEND_COLUMNS)), _n(top + 30 + 18 * (index // LEGEND_COLUMNS)), label)
         for index, (colour, label) in enumerate(entries)),
    )
    return format_html('<g class="map-legend"><text x="4" y="{}" font-size="12" font-weight="bold" '
                       'fill="#1d2327">{}</text>{}</g>', _n(top + 10), title, items)


def _n(value: float) -> str:
    return f"{value:.1f}"


def data_url(svg: str) -> str:
    """The SVG as a ``data:`` address, for an ``<img>`` (WeasyPrint draws it as vectors)."""
    import base64

    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
