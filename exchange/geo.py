"""Great-circle distances and stop ordering for tours (no map service needed)."""

import logging
import math
from collections.abc import Sequence

logger = logging.getLogger(__name__)

EARTH_RADIUS_KM = 6371.0088

Point = tuple[float, float]  # (latitude, longitude) in degrees


def haversine_km(a: Point, b: Point) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def route_length_km(start: Point, points: Sequence[Point], order: Sequence[int]) -> float:
    """Length of start → points in ``order`` → back to start (the van goes home)."""
    path = [start, *(points[i] for i in order), start]
    return sum(haversine_km(path[i], path[i + 1]) for i in range(len(path) - 1))


def nearest_neighbour(start: Point, points: Sequence[Point]) -> list[int]:
    order, left, here = [], set(range(len(points))), start
    while left:
        # Ties broken by index so the result does not depend on set ordering.
        nearest = min(left, key=lambda i: (haversine_km(here, points[i]), i))
        order.append(nearest)
        left.remove(nearest)
        here = points[nearest]
    return order


def two_opt(start: Point, points: Sequence[Point], order: Sequence[int]) -> list[int]:
    """Reverse segments while that shortens the closed route (a local optimum)."""
    best = list(order)
    best_length = route_length_km(start, points, best)
    improved = True
    while improved:
        improved = False
        for i in range(len(best) - 1):
            for j in range(i + 1, len(best)):
                candidate = best[:i] + best[i : j + 1][::-1] + best[j + 1 :]
                length = route_length_km(start, points, candidate)
                if length < best_length - 1e-9:
                    best, best_length, improved = candidate, length, True
    return best


def optimise_order(start: Point, points: Sequence[Point]) -> list[int]:
    """Indexes of ``points`` in visiting order from ``start``: nearest neighbour, then 2-opt.

    2-opt also runs from the given order and the shorter result wins, so the suggestion is
    never longer than what the coordinator entered (nearest neighbour alone can be).
    """
    if len(points) < 2:
        return list(range(len(points)))
    candidates = [two_opt(start, points, nearest_neighbour(start, points)), two_opt(start, points, range(len(points)))]
    return min(candidates, key=lambda order: route_length_km(start, points, order))


#
# Road distances for the day's planner
#
# Without a routing service, a road distance is the great-circle distance times a detour
# factor: in a dense suburb like the Val-de-Marne the road network makes a trip about 1.3
# times the straight line (the "circuity" measured for French and European cities lies
# between 1.2 and 1.4). Settings: REBOND_ROAD_FACTOR, REBOND_ROAD_SPEED_KMH (the van's average
# speed door to door, traffic and parking included) and REBOND_OSRM_URL (an OSRM server's
# base URL; its /table service then gives the distances and durations of real roads).
def road_matrix(points: Sequence[Point]) -> tuple[list[list[float]], list[list[float]], str]:
    """(km, minutes, source) between every pair of ``points``: from OSRM when configured and
    reachable within ``REBOND_OSRM_TIMEOUT`` seconds, else great-circle × the road factor at
    the average speed. ``source`` is ``"osrm"`` or ``"great-circle"``."""
    from django.conf import settings

    if getattr(settings, "REBOND_OSRM_URL", ""):
        try:
            km, minutes = _osrm_table(settings.REBOND_OSRM_URL, points, settings.REBOND_OSRM_TIMEOUT)
            return km, minutes, "osrm"
        except Exception as error:  # unreachable, slow or wrong answer: plan anyway
            logger.warning("OSRM unavailable (%s): distances from the great circle", error)
    factor, speed = settings.REBOND_ROAD_FACTOR, settings.REBOND_ROAD_SPEED_KMH
    km = [[haversine_km(a, b) * factor for b in points] for a in points]
    minutes = [[d / speed * 60 for d in row] for row in km]
    return km, minutes, "great-circle"


def _osrm_table(base_url: str, points: Sequence[Point], timeout: float) -> tuple[list[list[float]], list[list[float]]]:
    import json
    import urllib.request

    coordinates = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points)
    url = f"{base_url.rstrip('/')}/table/v1/driving/{coordinates}?annotations=distance,duration"
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (the operator's URL)
        answer = json.loads(response.read())
    if answer.get("code") != "Ok":
        raise ValueError(answer.get("code"))
    km = [[(d or 0) / 1000 for d in row] for row in answer["distances"]]
    minutes = [[(d or 0) / 60 for d in row] for row in answer["durations"]]
    if len(km) != len(points):
        raise ValueError("table size")
    return km, minutes
