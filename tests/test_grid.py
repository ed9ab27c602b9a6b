"""`replicheck.grid`: the product order, the boundary over given verdicts (unknowns and
non-monotone grids included) and the monotone search, on grids whose answers are stated by hand."""

from __future__ import annotations

import itertools
import math

import pytest

from replicheck.grid import FAILS, HOLDS, UNKNOWN, Axis, Grid, MonotoneSearch, boundary


def grid(*sizes: int) -> Grid:
    return Grid(tuple(Axis(f"k{i}", tuple(range(n))) for i, n in enumerate(sizes)))


def threshold(p: tuple[int, ...]) -> str:
    """Fails iff k0 >= 3 and k1 >= 2 (the counter of tests/cli/test_sweep_grid.py)."""
    return FAILS if p[0] >= 3 and p[1] >= 2 else HOLDS


def test_product_order() -> None:
    assert Grid.leq((1, 2), (1, 2)) and Grid.leq((0, 2), (1, 2))
    assert not Grid.leq((2, 0), (1, 2)) and not Grid.leq((1, 2), (2, 0))


def test_points_are_the_product_in_order_and_labelled() -> None:
    g = Grid((Axis("N", (1, 2)), Axis("fencing", (True, False))))
    assert g.points() == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert g.label((1, 0)) == "N=2, fencing=true" and g.settings((0, 1)) == {"N": 1, "fencing": False}
    assert Grid().points() == [()]


def test_boundary_of_a_threshold() -> None:
    g = grid(5, 4)
    b = boundary(g, {p: threshold(p) for p in g.points()})
    assert b.minimal_failing == [(3, 2)]
    assert b.maximal_holding == [(2, 3), (4, 1)]
    assert b.open_failing == b.open_holding == b.unknown == [] and b.not_monotone is None


def test_an_unknown_point_leaves_the_boundary_open() -> None:
    g = grid(5, 4)
    status = {p: threshold(p) for p in g.points()}
    status[(2, 2)] = UNKNOWN  # below the failing (3, 2); every holding point above it is below (2, 3)
    b = boundary(g, status)
    assert b.minimal_failing == [] and b.open_failing == [(3, 2)]
    assert b.maximal_holding == [(2, 3), (4, 1)] and b.open_holding == [] and b.unknown == [(2, 2)]
    status = {p: threshold(p) for p in g.points()}
    status[(4, 1)] = UNKNOWN  # above the holding (3, 1) and (4, 0), which no holding point is above
    b = boundary(g, status)
    assert b.maximal_holding == [(2, 3)] and b.open_holding == [(3, 1), (4, 0)]
    assert b.minimal_failing == [(3, 2)] and b.open_failing == []


def test_a_missing_point_counts_as_unknown() -> None:
    g = grid(3)
    b = boundary(g, {(0,): HOLDS, (2,): FAILS})
    assert b.unknown == [(1,)] and b.open_failing == [(2,)] and b.open_holding == [(0,)]


def test_a_non_monotone_grid_is_named() -> None:
    g = grid(3)
    b = boundary(g, {(0,): HOLDS, (1,): FAILS, (2,): HOLDS})
    assert b.minimal_failing == [(1,)] and b.maximal_holding == [(2,)]
    assert b.not_monotone == ((1,), (2,))


def test_everything_holds_or_everything_fails() -> None:
    g = grid(2, 2)
    assert boundary(g, dict.fromkeys(g.points(), HOLDS)).minimal_failing == []
    assert boundary(g, dict.fromkeys(g.points(), HOLDS)).maximal_holding == [(1, 1)]
    assert boundary(g, dict.fromkeys(g.points(), FAILS)).minimal_failing == [(0, 0)]


def run_search(g: Grid, truth: dict[tuple[int, ...], str]) -> MonotoneSearch:
    search = MonotoneSearch(g)
    while (p := search.next()) is not None:
        search.record(p, truth[p])
    return search


@pytest.mark.parametrize("n", [1, 2, 7, 16, 33])
def test_on_one_axis_the_search_is_a_bisection(n: int) -> None:
    g = grid(n)
    for cut in range(n + 1):  # fails from index `cut` on
        truth = {(i,): FAILS if i >= cut else HOLDS for i in range(n)}
        search = run_search(g, truth)
        assert search.statuses() == truth
        assert len(search.known) <= math.ceil(math.log2(n + 1))


def test_the_search_on_every_monotone_2d_grid_infers_the_truth() -> None:
    g = grid(4, 3)
    # every monotone function on a 4x3 grid is given by a non-increasing staircase of cuts
    for cuts in itertools.product(range(5), repeat=3):
        if list(cuts) != sorted(cuts, reverse=True):
            continue
        truth = {p: FAILS if p[0] >= cuts[p[1]] else HOLDS for p in g.points()}
        search = run_search(g, truth)
        assert search.statuses() == truth
        assert boundary(g, search.statuses()) == boundary(g, truth)
        assert len(search.known) < len(g.points())


def test_an_unknown_verdict_settles_only_its_own_point() -> None:
    g = grid(3)
    search = MonotoneSearch(g)
    search.record((1,), UNKNOWN)
    assert search.undetermined() == [(0,), (2,)]
