"""The coordinator's day drawn as inline SVG, without any tile server or internet access.

The communes' outlines come from ``data/communes_94.geojson`` (IGN Admin Express, Licence
Ouverte: the page shows the attribution), read and projected by ``exchange.maps`` (the
commune maps' module): an equirectangular projection scaled by the cosine of the
département's mean latitude, exact enough at this size (about 30 km across). The view box
is cropped to the day's stops and depot with a margin, so a day in three communes is not
lost in the département.
"""

from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urlencode

from exchange import maps

WIDTH = 1000  # SVG user units across the whole département
# Colours of the routes, distinguishable for common colour blindness and dark enough for
# white numbers (contrast ≥ 4.5:1), cycled when there are more tours.
PALETTE = ("#0b5394", "#a61c00", "#38761d", "#674ea7", "#7f6000", "#134f5c")
LOOSE_COLOUR = "#595959"


@lru_cache(maxsize=1)
def _projection() -> maps.Projection:
    # The shared commune outlines and projection (exchange.maps), fitted to WIDTH, no margin.
    return maps.Projection(maps.bounds(maps.outlines()), width=WIDTH, margin=0)


def project(lat: float, lon: float) -> tuple[float, float]:
    """SVG (x, y) of a WGS84 point."""
    x, y = _projection()(lon, lat)
    return round(x, 1), round(y, 1)


@lru_cache(maxsize=1)
def commune_shapes() -> tuple[tuple[str, str, str, tuple[float, float]], ...]:
    """(INSEE code, name, SVG path, label point) of each commune, computed once."""
    shapes = []
    for commune in maps.outlines():
        points = [project(lat, lon) for lon, lat in commune.ring]
        xs, ys = [x for x, _y in points], [y for _x, y in points]
        path = "M" + " L".join(f"{x},{y}" for x, y in points) + " Z"
        label = (round(sum(xs) / len(xs), 1), round(sum(ys) / len(ys), 1))
        shapes.append((commune.code, commune.name, path, label))
    return tuple(shapes)


@dataclass
class MapStop:
    number: int
    label: str
    anchor: str  # the id of the stop's line in the list beside the map
    x: float
    y: float


@dataclass
class MapRoute:
    name: str
    colour: str
    points: str  # SVG polyline, depot → stops → depot
    stops: list[MapStop] = field(default_factory=list)


@dataclass
class DayMap:
    view_box: str
    communes: tuple
    depot: tuple[float, float]
    depot_name: str
    depot_box: tuple[float, float, float]  # x, y, side of the depot's square
    routes: list[MapRoute]
    loose: list[MapStop]
    marker: float  # radius of a stop's circle, in the view box's units
    font: float
    names_font: float


Place = tuple[str, str, tuple[float, float]]  # label, anchor, (lat, lon)


def day_map(*, depot: tuple[float, float], depot_name: str, tours: list[tuple[str, list[Place]]],
            loose: list[Place]) -> DayMap:
    """The map of a day: ``tours`` as ``(name, [(label, anchor, (lat, lon)), …])`` in visiting
    order, ``loose`` stops not yet in a tour, from and back to ``depot`` (lat, lon)."""
    home = project(*depot)
    routes, xs, ys = [], [home[0]], [home[1]]
    for index, (name, stops) in enumerate(tours):
        route = MapRoute(name=name, colour=PALETTE[index % len(PALETTE)], points="")
        path = [home]
        for number, (label, anchor, point) in enumerate(stops, start=1):
            x, y = project(*point)
            route.stops.append(MapStop(number=number, label=label, anchor=anchor, x=x, y=y))
            path.append((x, y))
            xs.append(x)
            ys.append(y)
        path.append(home)
        route.points = " ".join(f"{x},{y}" for x, y in path)
        routes.append(route)
    loose_stops = []
    for number, (label, anchor, point) in enumerate(loose, start=1):
        x, y = project(*point)
        loose_stops.append(MapStop(number=number, label=label, anchor=anchor, x=x, y=y))
        xs.append(x)
        ys.append(y)
    # Crop to what the day covers, never narrower than a third of the département.
    span = max(max(xs) - min(xs), max(ys) - min(ys), WIDTH / 3) * 1.25
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    box = f"{cx - span / 2:.1f} {cy - span / 2:.1f} {span:.1f} {span:.1f}"
    marker = round(span / 30, 1)  # about 11 px on a phone's map, 15 px on a desk's
    return DayMap(view_box=box, communes=commune_shapes(), depot=home, depot_name=depot_name, routes=routes,
                  loose=loose_stops, depot_box=(home[0] - marker * 0.8, home[1] - marker * 0.8, marker * 1.6),
                  marker=marker, font=round(span / 34, 1), names_font=round(span / 60, 1))


def directions_url(depot: tuple[float, float], stops: list[tuple[float, float]]) -> str:
    """"Open the route in my maps app": a maps directions link from the depot through every
    stop, in order, and back (the documented Google Maps URL scheme, which phones hand to
    their maps app; mobile browsers take up to 9 waypoints, so a longer tour is better
    followed from the route sheet)."""

    def point(lat_lon):
        return f"{lat_lon[0]:.5f},{lat_lon[1]:.5f}"

    query = {"api": "1", "origin": point(depot), "destination": point(depot), "travelmode": "driving"}
    if stops:
        query["waypoints"] = "|".join(point(p) for p in stops)
    return "https://www.google.com/maps/dir/?" + urlencode(query)
