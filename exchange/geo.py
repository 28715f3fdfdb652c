"""Great-circle distances and stop ordering for tours (no map service needed)."""

import math
from collections.abc import Sequence

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
