"""The coordinator's day: OR-Tools against today's nearest neighbour + 2-opt, on 40 pickups.

Input (seeded, the same every run): 40 pickups at the centres of 40 of the Val-de-Marne's
communes (``data/communes_94.csv``), each with a load of 10–90 kg and 0.1–0.9 m³ and a
window (morning 8:00–12:30, afternoon 13:00–17:30, or the day 8:30–17:30); 3 vehicles
(1,000 kg / 10 m³, 800 kg / 8 m³, 600 kg / 6 m³) working 7:30–18:30 from an association in
Créteil; 15 minutes on site per stop; road distance = great-circle × REBOND_ROAD_FACTOR at
REBOND_ROAD_SPEED_KMH (the planner's defaults, 1.3 and 25 km/h).

- **ours**: ``exchange.planning.plan_day`` (OR-Tools routing: capacities in kg and m³,
  windows, vehicle hours, guided local search for REBOND_PLANNER_SECONDS, default 1 s).
  Every route is re-checked independently (``planning.check_route``): capacity, windows,
  hours. Target: planned in under 3 s, no violation, every stop served.
- **baseline**: what the app did before, applied to the same stops: one nearest-neighbour +
  2-opt tour through every stop from the depot (``exchange.geo.optimise_order``), cut in
  order into vehicle loads by capacity, each piece re-ordered the same way. It ignores the
  windows (the script counts how many stops it would reach outside theirs).

The solver runs twice: with the windows (the real plan: checked, timed), and on the same
stops with every window opened to the working day, i.e. under exactly the constraints the
baseline keeps (capacity only). Prints the distances and **ratio = ours / baseline** for the
like-for-like run (target ≤ 1.0), and the ratio of the real plan too: keeping 40 windows
costs a few kilometres that the baseline saves by arriving outside them.
"""

import csv
import dataclasses
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from exchange import geo, planning  # noqa: E402

PICKUPS = 40
DEPOT_INSEE = "94028"  # Créteil
WINDOWS = [(8 * 60, 12 * 60 + 30), (13 * 60, 17 * 60 + 30), (8 * 60 + 30, 17 * 60 + 30)]
DAY = (7 * 60 + 30, 18 * 60 + 30)
VEHICLES = [
    planning.VehicleSpec(key=1, name="Grand fourgon", capacity_kg=1000, capacity_m3=10, start=DAY[0], end=DAY[1]),
    planning.VehicleSpec(key=2, name="Fourgon", capacity_kg=800, capacity_m3=8, start=DAY[0], end=DAY[1]),
    planning.VehicleSpec(key=3, name="Utilitaire", capacity_kg=600, capacity_m3=6, start=DAY[0], end=DAY[1]),
]


def communes() -> dict[str, tuple[float, float]]:
    with open(settings.DATA_DIR / "communes_94.csv", encoding="utf-8") as handle:
        return {row["insee"]: (float(row["latitude"]), float(row["longitude"])) for row in csv.DictReader(handle)}


def make_stops(points: dict) -> tuple[tuple[float, float], list[planning.Stop]]:
    rng = random.Random(94)
    depot = points[DEPOT_INSEE]
    codes = rng.sample(sorted(code for code in points if code != DEPOT_INSEE), PICKUPS)
    stops = [
        planning.Stop(key=code, point=points[code], window=rng.choice(WINDOWS), kg=float(rng.randint(10, 90)),
                      m3=round(rng.uniform(0.1, 0.9), 2), service=settings.REBOND_STOP_MINUTES)
        for code in codes
    ]
    return depot, stops


def baseline(depot, stops, matrix) -> tuple[float, int]:
    """Nearest neighbour + 2-opt through all, cut by capacity, each piece re-optimised; (km, window misses)."""
    order = geo.optimise_order(depot, [stop.point for stop in stops])
    pieces, piece, vehicles = [], [], iter(VEHICLES * 2)  # a second round when the three are full
    vehicle, kg, m3 = next(vehicles), 0.0, 0.0
    for i in order:
        stop = stops[i]
        if kg + stop.kg > vehicle.capacity_kg or m3 + stop.m3 > vehicle.capacity_m3:
            pieces.append((vehicle, piece))
            piece, kg, m3, vehicle = [], 0.0, 0.0, next(vehicles)
        piece.append(i)
        kg, m3 = kg + stop.kg, m3 + stop.m3
    pieces.append((vehicle, piece))
    total, misses = 0.0, 0
    for vehicle, piece in pieces:
        local = geo.optimise_order(depot, [stops[i].point for i in piece])
        path = [0, *(piece[j] + 1 for j in local), 0]
        total += sum(matrix.km[path[k]][path[k + 1]] for k in range(len(path) - 1))
        clock = vehicle.start
        for a, b in zip(path, path[1:-1], strict=False):
            stop = stops[b - 1]
            clock = max(clock + matrix.minutes[a][b], stop.window[0])
            misses += clock + stop.service > stop.window[1]
            clock += stop.service
    return total, misses


def main() -> None:
    depot, stops = make_stops(communes())
    matrix = planning.Matrix.for_points([depot, *(stop.point for stop in stops)])
    index_of = {stop.key: i for i, stop in enumerate(stops, start=1)}

    started = time.perf_counter()
    plan = planning.plan_day(depot=depot, stops=stops, vehicles=VEHICLES, matrix=matrix,
                             time_limit=settings.REBOND_PLANNER_SECONDS)
    seconds = time.perf_counter() - started

    problems = [p for route in plan.routes for p in planning.check_route(route, lambda s: index_of[s.key], matrix)]
    served = sum(len(route.stops) for route in plan.routes)
    base_km, base_misses = baseline(depot, stops, matrix)

    print(f"pickups: {len(stops)}, vehicles: {len(VEHICLES)}, distances: {plan.source} "
          f"× {settings.REBOND_ROAD_FACTOR} at {settings.REBOND_ROAD_SPEED_KMH:g} km/h")
    for route in plan.routes:
        kg = route.stops[-1].load_kg if route.stops else 0
        print(f"  {route.vehicle.name:<14} {len(route.stops):>2} stops  {kg:>6.0f} kg of "
              f"{route.vehicle.capacity_kg:.0f}  {route.distance_km:>6.1f} km  "
              f"{route.leaves // 60:02d}:{route.leaves % 60:02d}–{route.returns // 60:02d}:{route.returns % 60:02d}")
    print(f"ours: {plan.total_km:.1f} km, {served}/{len(stops)} stops served, unassigned: "
          f"{[reason for _stop, reason in plan.unassigned]}, planned in {seconds:.2f} s "
          f"({'under' if seconds < 3 else 'OVER'} 3 s)")
    print(f"checks (capacity, windows, hours): {'all kept' if not problems else problems}")
    print(f"baseline (nearest neighbour + 2-opt, cut by capacity): {base_km:.1f} km, "
          f"{base_misses} stops reached outside their window")
    # Like for like: the same stops under the baseline's constraints (capacity only).
    day = (min(v.start for v in VEHICLES), max(v.end for v in VEHICLES))
    open_stops = [dataclasses.replace(stop, window=day) for stop in stops]
    relaxed = planning.plan_day(depot=depot, stops=open_stops, vehicles=VEHICLES, matrix=matrix,
                                time_limit=settings.REBOND_PLANNER_SECONDS)
    relaxed_served = sum(len(route.stops) for route in relaxed.routes)
    print(f"ours under the baseline's constraints (capacity only): {relaxed.total_km:.1f} km, "
          f"{relaxed_served}/{len(stops)} stops served")
    print(f"ratio ours / baseline distance, like for like: {relaxed.total_km / base_km:.3f} (target ≤ 1.0)")
    print(f"ratio ours with every window kept / baseline: {plan.total_km / base_km:.3f}")


if __name__ == "__main__":
    main()
