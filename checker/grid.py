"""Grids of settings for `sweep --grid`, their product order, and a property's boundary on them.

Owns: `parse_grid` (`K=v1,v2,...` and ranges `K=lo..hi`, each value parsed as `--set` parses
it, through `registry.parse_settings`); `Grid` (its axes, its points in order, a point's
settings and label, and the product order: a point is smaller than another when each of its
values comes no later in its axis's list, so the user chooses each axis's direction by the
order they list its values in); `boundary` (the minimal failing and maximal holding points of
one property, exact over the verdicts given, with what an unknown verdict leaves open and a
witness when the property is not monotone); `MonotoneSearch` (which point to check next when
the user assumes the property monotone, and what the checked points then imply).

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.cli`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from replicheck.errors import GridError
from replicheck.lang.model import Model, model_shape
from replicheck.registry import parse_settings

FAILS, HOLDS, UNKNOWN = "fails", "holds", "unknown"
MAX_POINTS = 1000  # a sweep checks every point: more is a mistake (a range typed too wide)

Point = tuple[int, ...]  # one index into each axis's values


def show_value(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


@dataclass(frozen=True)
class Axis:
    name: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Grid:
    """The product of the axes; no axes: the one empty point (a sweep without --grid)."""

    axes: tuple[Axis, ...] = ()

    def points(self) -> list[Point]:
        return list(itertools.product(*(range(len(a.values)) for a in self.axes)))

    def settings(self, p: Point) -> dict[str, Any]:
        return {a.name: a.values[i] for a, i in zip(self.axes, p, strict=True)}

    def label(self, p: Point) -> str:
        return ", ".join(f"{a.name}={show_value(a.values[i])}" for a, i in zip(self.axes, p, strict=True))

    @staticmethod
    def leq(p: Point, q: Point) -> bool:
        """p is no larger than q in the product order."""
        return all(i <= j for i, j in zip(p, q, strict=True))


def _expand(raw: str, integral: bool, flag: str, key: str) -> list[str]:
    """`1,3..5` -> ["1", "3", "4", "5"]; a range only for a sort size or an int setting."""
    out: list[str] = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            raise GridError(f"{flag} {key}: an empty value in {raw!r}")
        lo, dots, hi = item.partition("..")
        if dots and integral:
            try:
                a, b = int(lo), int(hi)
            except ValueError:
                raise GridError(f"{flag} {key}: a range is two whole numbers, lo..hi, got {item!r}") from None
            if abs(b - a) >= MAX_POINTS:
                raise GridError(f"{flag} {key}: the range {item} has {abs(b - a) + 1:,} values; "
                                f"a grid has at most {MAX_POINTS:,} points")
            step = 1 if b >= a else -1  # hi..lo lists the values downwards: the order is the user's
            out += [str(v) for v in range(a, b + step, step)]
        else:
            out.append(item)
    return out


def parse_grid(cls: type[Model], specs: Iterable[str], fixed: Iterable[str] = ()) -> Grid:
    """`["N=1..3", "fencing=true,false"]` -> a Grid; `fixed` are the keys --set gives."""
    shape = model_shape(cls)
    taken = {k.strip().replace("-", "_") for k in fixed}
    axes: list[Axis] = []
    size = 1
    for spec in specs:
        key, eq, raw = spec.partition("=")
        key = key.strip().replace("-", "_")
        if not eq or not key or not raw.strip():
            raise GridError(f"--grid expects NAME=V1,V2,... or NAME=LO..HI, got {spec!r}")
        if key in taken:
            raise GridError(f"--grid {key}: {key} is already given by --set or another --grid; give it once")
        taken.add(key)
        default = shape.settings.get(key)
        integral = key in shape.sorts or (isinstance(default, int) and not isinstance(default, bool))
        values: list[Any] = []
        for text in _expand(raw, integral, "--grid", key):
            value = parse_settings(cls, [f"{key}={text}"], flag="--grid")[key]
            if value in values:
                raise GridError(f"--grid {key}: the value {show_value(value)} is listed twice")
            values.append(value)
        size *= len(values)
        if size > MAX_POINTS:
            raise GridError(f"--grid: the grid has more than {MAX_POINTS:,} points; check a smaller one")
        axes.append(Axis(key, tuple(values)))
    return Grid(tuple(axes))


@dataclass
class Boundary:
    """One property's boundary on a grid, from the verdicts at its points (FAILS, HOLDS or
    UNKNOWN; a point without a verdict is UNKNOWN)."""

    minimal_failing: list[Point]  # fails, and every smaller point holds
    maximal_holding: list[Point]  # holds, and every larger point fails
    open_failing: list[Point]  # fails, no smaller point fails, but a smaller one is unknown
    open_holding: list[Point]  # holds, no larger point holds, but a larger one is unknown
    unknown: list[Point]
    not_monotone: tuple[Point, Point] | None  # a failing point below a holding one, if any


def boundary(grid: Grid, status: Mapping[Point, str]) -> Boundary:
    points = grid.points()
    of = {p: status.get(p, UNKNOWN) for p in points}
    fails = [p for p in points if of[p] == FAILS]
    holds = [p for p in points if of[p] == HOLDS]
    unknown = [p for p in points if of[p] == UNKNOWN]
    leq = Grid.leq

    def below(p: Point, among: list[Point]) -> bool:
        return any(q != p and leq(q, p) for q in among)

    def above(p: Point, among: list[Point]) -> bool:
        return any(q != p and leq(p, q) for q in among)

    out = Boundary([], [], [], [], unknown, None)
    for p in fails:
        if not below(p, fails):
            (out.open_failing if below(p, unknown) else out.minimal_failing).append(p)
    for p in holds:
        if not above(p, holds):
            (out.open_holding if above(p, unknown) else out.maximal_holding).append(p)
    out.not_monotone = next(((p, q) for p in fails for q in holds if leq(p, q)), None)
    return out


@dataclass
class MonotoneSearch:
    """The points to check when the property is assumed monotone (failing at a point, it fails
    at every larger one; holding, at every smaller one): each time the undetermined point
    that settles the most points whichever way it goes (on one axis, bisection)."""

    grid: Grid
    known: dict[Point, str] = field(default_factory=dict)  # checked
    inferred: dict[Point, tuple[str, Point]] = field(default_factory=dict)  # verdict, from which point

    def undetermined(self) -> list[Point]:
        return [p for p in self.grid.points() if p not in self.known and p not in self.inferred]

    def next(self) -> Point | None:
        open_ = self.undetermined()
        best: Point | None = None
        score = -1
        for p in open_:
            up = sum(1 for q in open_ if Grid.leq(p, q))
            down = sum(1 for q in open_ if Grid.leq(q, p))
            if min(up, down) > score:
                best, score = p, min(up, down)
        return best

    def record(self, p: Point, verdict: str) -> None:
        self.known[p] = verdict
        for q in self.undetermined():
            if verdict == FAILS and Grid.leq(p, q):
                self.inferred[q] = (FAILS, p)
            elif verdict == HOLDS and Grid.leq(q, p):
                self.inferred[q] = (HOLDS, p)

    def statuses(self) -> dict[Point, str]:
        return {**{p: v for p, (v, _) in self.inferred.items()}, **self.known}
