"""The coordinator's day as a vehicle routing problem, solved by OR-Tools.

Pure Python over plain data (no database): ``exchange.services.tours_plan`` turns pickups and
vehicles into ``Stop`` and ``VehicleSpec``, calls ``plan_day`` and writes the tours.

The model: every vehicle leaves the association's depot no earlier than its start and is
back no later than its end; it carries at most its capacity in kg and in m³ (both
dimensions are checked); each stop is reached inside its pickup window and takes
``service`` minutes on site (the van may wait for a window to open). The objective is the
total road distance. A stop that cannot be served is left out with a reason:

- ``too_heavy`` / ``too_bulky``: no vehicle could carry its load at all;
- ``outside_hours``: no vehicle can reach it inside its window and be back in its hours;
- ``no_room``: each could on its own, but not all together (the solver had to drop it).

Times are minutes after midnight of the planned day (local time), distances km.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import geo

Point = geo.Point

# Integer units of the solver: distances in metres, times in seconds, loads in 0.1 kg and litres.
_KG_UNIT, _M3_UNIT = 10, 1000
# Leaving a stop out costs more than any detour could: the solver drops stops only when it must.
_DROP_PENALTY = 100_000_000

TOO_HEAVY, TOO_BULKY, OUTSIDE_HOURS, NO_ROOM = "too_heavy", "too_bulky", "outside_hours", "no_room"


@dataclass(frozen=True)
class Stop:
    key: object  # the caller's reference (a pickup id, a giver's proposal…)
    point: Point
    window: tuple[int, int]  # minutes: arrive no earlier, leave no later
    kg: float
    m3: float
    service: int = 15  # minutes on site


@dataclass(frozen=True)
class VehicleSpec:
    key: object
    name: str
    capacity_kg: float
    capacity_m3: float
    start: int  # minutes: leaves the depot no earlier
    end: int  # minutes: back at the depot no later


@dataclass
class PlannedStop:
    stop: Stop
    arrival: int  # minutes
    load_kg: float  # on board when leaving the stop
    load_m3: float
    leg_km: float  # from the previous stop (the depot for the first)


@dataclass
class Route:
    vehicle: VehicleSpec
    stops: list[PlannedStop]
    leaves: int  # minutes
    returns: int
    distance_km: float  # back to the depot included


@dataclass
class Plan:
    routes: list[Route]
    unassigned: list[tuple[Stop, str]]
    source: str  # where the distances came from: "great-circle" or "osrm"
    total_km: float = field(init=False)

    def __post_init__(self):
        self.total_km = round(sum(route.distance_km for route in self.routes), 3)


@dataclass
class Matrix:
    """Road km and minutes between the depot (index 0) and the stops (1…n)."""

    km: list[list[float]]
    minutes: list[list[float]]
    source: str

    @classmethod
    def for_points(cls, points: Sequence[Point]) -> Matrix:
        km, minutes, source = geo.road_matrix(points)
        return cls(km=km, minutes=minutes, source=source)


def _precheck(stop: Stop, index: int, vehicles: Sequence[VehicleSpec], matrix: Matrix) -> str | None:
    """Why no vehicle could serve ``stop`` even alone (None when one could)."""
    if all(stop.kg > v.capacity_kg for v in vehicles):
        return TOO_HEAVY
    if all(stop.m3 > v.capacity_m3 for v in vehicles):
        return TOO_BULKY
    there, back = matrix.minutes[0][index], matrix.minutes[index][0]
    for vehicle in vehicles:
        if stop.kg > vehicle.capacity_kg or stop.m3 > vehicle.capacity_m3:
            continue
        arrive = max(vehicle.start + there, stop.window[0])
        if arrive + stop.service <= stop.window[1] and arrive + stop.service + back <= vehicle.end:
            return None
    return OUTSIDE_HOURS


def plan_day(
    *, depot: Point, stops: Sequence[Stop], vehicles: Sequence[VehicleSpec], time_limit: float = 1.0,
    matrix: Matrix | None = None,
) -> Plan:
    """Assign ``stops`` to ``vehicles`` and order them (see the module's docstring).

    ``matrix`` (depot first, then the stops in order) is computed from the points when not
    given. ``time_limit`` bounds the solver's improvement phase, in seconds.
    """
    matrix = matrix or Matrix.for_points([depot, *(stop.point for stop in stops)])
    if not vehicles:
        return Plan(routes=[], unassigned=[(stop, NO_ROOM) for stop in stops], source=matrix.source)
    unassigned: list[tuple[Stop, str]] = []
    candidates: list[int] = []  # indexes (1-based, into the matrix) of the stops the solver gets
    for index, stop in enumerate(stops, start=1):
        reason = _precheck(stop, index, vehicles, matrix)
        if reason:
            unassigned.append((stop, reason))
        else:
            candidates.append(index)
    if not candidates:
        return Plan(routes=[], unassigned=unassigned, source=matrix.source)
    routes, dropped = _solve(stops, candidates, vehicles, matrix, time_limit)
    unassigned.extend((stops[index - 1], NO_ROOM) for index in dropped)
    return Plan(routes=routes, unassigned=unassigned, source=matrix.source)


def _solve(stops, candidates, vehicles, matrix: Matrix, time_limit: float):
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    nodes = [0, *candidates]  # solver node → matrix index
    manager = pywrapcp.RoutingIndexManager(len(nodes), len(vehicles), 0)
    routing = pywrapcp.RoutingModel(manager)

    def stop_of(node: int) -> Stop | None:
        return stops[nodes[node] - 1] if node else None

    metres = [[int(round(matrix.km[a][b] * 1000)) for b in nodes] for a in nodes]
    seconds = [[int(math.ceil(matrix.minutes[a][b] * 60)) for b in nodes] for a in nodes]
    service = [0, *(stop_of(node).service * 60 for node in range(1, len(nodes)))]

    def distance(from_index, to_index):
        return metres[manager.IndexToNode(from_index)][manager.IndexToNode(to_index)]

    def travel(from_index, to_index):
        a, b = manager.IndexToNode(from_index), manager.IndexToNode(to_index)
        return service[a] + seconds[a][b]

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(distance))

    day = 24 * 3600
    routing.AddDimension(routing.RegisterTransitCallback(travel), day, day, False, "time")
    time_dimension = routing.GetDimensionOrDie("time")

    kg = [0, *(int(round(stop_of(node).kg * _KG_UNIT)) for node in range(1, len(nodes)))]
    m3 = [0, *(int(round(stop_of(node).m3 * _M3_UNIT)) for node in range(1, len(nodes)))]
    for name, demands, capacities in (
        ("kg", kg, [int(v.capacity_kg * _KG_UNIT) for v in vehicles]),
        ("m3", m3, [int(v.capacity_m3 * _M3_UNIT) for v in vehicles]),
    ):
        callback = routing.RegisterUnaryTransitCallback(lambda index, d=demands: d[manager.IndexToNode(index)])
        routing.AddDimensionWithVehicleCapacity(callback, 0, capacities, True, name)

    for node in range(1, len(nodes)):
        stop = stop_of(node)
        index = manager.NodeToIndex(node)
        # Arrive inside the window with time to load before it closes.
        time_dimension.CumulVar(index).SetRange(stop.window[0] * 60, (stop.window[1] - stop.service) * 60)
        routing.AddDisjunction([index], _DROP_PENALTY)
    for v, vehicle in enumerate(vehicles):
        for index in (routing.Start(v), routing.End(v)):
            time_dimension.CumulVar(index).SetRange(vehicle.start * 60, vehicle.end * 60)
        # Back as early as the stops allow, then leave as late as that allows: the day starts
        # with the windows, with no waiting at the depot's door (finalizers run in this order).
        routing.AddVariableMinimizedByFinalizer(time_dimension.CumulVar(routing.End(v)))
        routing.AddVariableMaximizedByFinalizer(time_dimension.CumulVar(routing.Start(v)))

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    parameters.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    parameters.time_limit.FromMilliseconds(max(50, int(time_limit * 1000)))
    solution = routing.SolveWithParameters(parameters)
    if solution is None:  # no feasible assignment at all: every stop is left for another day
        return [], list(candidates)

    routes, served = [], set()
    for v, vehicle in enumerate(vehicles):
        index = routing.Start(v)
        leaves = solution.Min(time_dimension.CumulVar(index)) // 60
        planned, previous, load_kg, load_m3, total = [], 0, 0.0, 0.0, 0.0
        index = solution.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            stop = stop_of(node)
            load_kg += stop.kg
            load_m3 += stop.m3
            leg = matrix.km[nodes[previous]][nodes[node]]
            total += leg
            planned.append(PlannedStop(
                stop=stop, arrival=solution.Min(time_dimension.CumulVar(index)) // 60,
                load_kg=round(load_kg, 3), load_m3=round(load_m3, 3), leg_km=round(leg, 3),
            ))
            served.add(nodes[node])
            previous = node
            index = solution.Value(routing.NextVar(index))
        if not planned:
            continue
        total += matrix.km[nodes[previous]][0]
        returns = math.ceil(solution.Min(time_dimension.CumulVar(index)) / 60)
        routes.append(Route(vehicle=vehicle, stops=planned, leaves=leaves, returns=returns,
                            distance_km=round(total, 3)))
    dropped = [index for index in candidates if index not in served]
    return routes, dropped


def check_route(route: Route, depot_index_of, matrix: Matrix) -> list[str]:
    """What is wrong with ``route`` (empty when it keeps every rule): capacities, windows and
    the vehicle's hours, recomputed from the matrix. ``depot_index_of(stop)`` gives a stop's
    matrix index. Used by the tests and the benchmark to check the solver's answers."""
    problems, here, clock = [], 0, route.leaves
    load_kg = load_m3 = 0.0
    vehicle = route.vehicle
    if route.leaves < vehicle.start:
        problems.append(f"{vehicle.name} leaves before its hours")
    for planned in route.stops:
        stop = planned.stop
        there = depot_index_of(stop)
        clock = max(clock + matrix.minutes[here][there], stop.window[0])
        if clock + stop.service > stop.window[1] + 1e-6:
            problems.append(f"{stop.key} reached at {clock:.0f}, after its window {stop.window}")
        clock += stop.service
        load_kg += stop.kg
        load_m3 += stop.m3
        here = there
    clock += matrix.minutes[here][0]
    if clock > vehicle.end + 1:  # a minute of rounding
        problems.append(f"{vehicle.name} back at {clock:.0f}, after {vehicle.end}")
    if load_kg > vehicle.capacity_kg + 1e-6:
        problems.append(f"{vehicle.name} carries {load_kg:.1f} kg > {vehicle.capacity_kg}")
    if load_m3 > vehicle.capacity_m3 + 1e-6:
        problems.append(f"{vehicle.name} carries {load_m3:.2f} m³ > {vehicle.capacity_m3}")
    return problems
