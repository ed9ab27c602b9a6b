"""`sweep MODEL --grid K=...`: every point of the product checked, the measures' maxima, the
boundary of a property (exact, or with --assume-monotone pruned and said so), the budget and
engine flags passed to each point, and bad grids refused in one line.

The fixture's figures are computed by hand: `x` counts up to N and `y` up to M, one step at a
time, so the reachable states are every pair, (N+1)*(M+1) of them; the measure `total = x+y`
peaks at N+M, after N+M steps; `safe` (not both x >= 3 and y >= 2) fails iff N >= 3 and M >= 2,
by a shortest trace of 5 steps; the `capped` variant stops x at 2, so `safe` always holds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .helpers import assert_one_line_error, run

MODEL = '''\
from replicheck.lang import Model, Range, action, invariant, measure, require


class Counter(Model):
    """Two counters."""

    name = "test.counter"
    check_deadlock = False
    N: int = 1
    M: int = 1
    cap: bool = False
    variants = {"plain": {}, "capped": {"cap": True}}
    expected = {"plain": {"safe": "holds"}, "capped": {"safe": "holds"}}
    reasons = {"plain": "At N=1 x never reaches 3.", "capped": "x stops at 2."}
    x = Range(0, "N", init=0)
    y = Range(0, "M", init=0)

    @action
    def inc_x(self, s):
        require(s.x < self.N)
        if self.cap:
            require(s.x < 2)
        s.x = s.x + 1

    @action
    def inc_y(self, s):
        require(s.y < self.M)
        s.y = s.y + 1

    @invariant
    def safe(self, s):
        return ~((s.x >= 3) & (s.y >= 2))

    @measure
    def total(self, s):
        return s.x + s.y
'''


@pytest.fixture
def counter(tmp_path: Path) -> str:
    path = tmp_path / "counter.py"
    path.write_text(MODEL)
    return str(path)


def sweep_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run(capsys, "sweep", *argv, "--quiet", "--json")
    return code, json.loads(out)


def verdict(row: dict[str, Any], prop: str) -> str:
    return str(next(v["status"] for v in row["verdicts"] if v["property"] == prop))


def test_every_point_of_the_product_is_checked(capsys: pytest.CaptureFixture[str], counter: str) -> None:
    code, data = sweep_json(capsys, counter, "--variant", "plain", "--grid", "N=1..4", "--grid", "M=1,2,3")
    assert code == 0
    rows = data["rows"]
    assert [(r["point"]["N"], r["point"]["M"]) for r in rows] == [(n, m) for n in range(1, 5) for m in (1, 2, 3)]
    for r in rows:
        n, m = r["point"]["N"], r["point"]["M"]
        assert r["settings"]["N"] == n and r["settings"]["M"] == m and r["variant"] == "plain"
        assert r["stats"]["distinct_states"] == (n + 1) * (m + 1)
        assert verdict(r, "safe") == ("violated" if n >= 3 and m >= 2 else "holds")
        (total,) = r["measures"]
        assert total["name"] == "total" and total["max"] == n + m and len(total["max_trace"]) == n + m
    assert data["grid"]["axes"] == {"N": [1, 2, 3, 4], "M": [1, 2, 3]}


def test_every_variant_by_default_and_set_applies_to_every_point(capsys: pytest.CaptureFixture[str],
                                                                 counter: str) -> None:
    code, data = sweep_json(capsys, counter, "--set", "M=2", "--grid", "N=2,3")
    assert [(r["variant"], r["point"], r["settings"]["M"]) for r in data["rows"]] == [
        ("plain", {"N": 2}, 2), ("plain", {"N": 3}, 2), ("capped", {"N": 2}, 2), ("capped", {"N": 3}, 2)]
    assert [verdict(r, "safe") for r in data["rows"]] == ["holds", "violated", "holds", "holds"]


def test_the_text_table_shows_verdicts_measures_and_states(capsys: pytest.CaptureFixture[str], counter: str) -> None:
    code, out, _ = run(capsys, "sweep", counter, "--variant", "plain", "--grid", "N=3", "--grid", "M=1,2",
                       "-q", "--no-timings")
    assert code == 0
    lines = out.splitlines()
    assert lines[1].split() == ["variant", "N", "M", "safe", "max", "total", "states"]
    assert lines[3].split() == ["plain", "3", "1", "holds", "4", "(4", "steps)", "8"]
    assert lines[4].split() == ["plain", "3", "2", "violated", "(5", "steps)", "5", "(5", "steps)", "12"]
    assert "seconds" not in out


def test_timings_are_shown_unless_asked_not_to(capsys: pytest.CaptureFixture[str], counter: str) -> None:
    _, out, _ = run(capsys, "sweep", counter, "--variant", "plain", "--grid", "N=1", "-q")
    assert "seconds" in out.splitlines()[1]


def test_the_boundary_is_the_hand_computed_staircase(capsys: pytest.CaptureFixture[str], counter: str) -> None:
    code, out, _ = run(capsys, "sweep", counter, "--grid", "N=1..4", "--grid", "M=1..3", "--boundary", "safe", "-q")
    assert code == 0
    assert "every point checked (24 of 24)" in out
    table = out[out.index("minimal failing points"):].splitlines()
    assert table[2].split() == ["plain", "N=3,", "M=2", "N=2,", "M=3;", "N=4,", "M=1"]
    assert table[3].split() == ["capped", "none", "N=4,", "M=3"]
    assert "not monotone" not in out and "assumed" not in out


def test_boundary_in_json(capsys: pytest.CaptureFixture[str], counter: str) -> None:
    _, data = sweep_json(capsys, counter, "--variant", "plain", "--grid", "N=1..4", "--grid", "M=1..3",
                         "--boundary", "safe")
    (b,) = data["grid"]["boundary"]["variants"]
    assert b["minimal_failing"] == ["N=3, M=2"] and b["maximal_holding"] == ["N=2, M=3", "N=4, M=1"]
    assert b["unknown"] == [] and b["not_monotone"] is None and data["grid"]["boundary"]["assume_monotone"] is False


def test_the_order_is_the_order_the_values_are_listed_in(capsys: pytest.CaptureFixture[str], counter: str) -> None:
    # M listed downwards: M=3 is the smallest. Failing: N in {3, 4}, M in {3, 2}; the smallest of
    # them is N=3, M=3. Holding: N <= 2, or M=1; only N=4, M=1 has no larger holding point, and
    # N=3, M=3 (failing) lies below it: not monotone in this order. The witness named is the
    # first failing point in the grid's order and the first holding point above it: N=3, M=1.
    _, data = sweep_json(capsys, counter, "--variant", "plain", "--grid", "N=1..4", "--grid", "M=3..1",
                         "--boundary", "safe")
    assert data["grid"]["axes"]["M"] == [3, 2, 1]
    (b,) = data["grid"]["boundary"]["variants"]
    assert b["minimal_failing"] == ["N=3, M=3"] and b["maximal_holding"] == ["N=4, M=1"]
    assert b["not_monotone"] == ["N=3, M=3", "N=3, M=1"]
    _, out, _ = run(capsys, "sweep", counter, "--variant", "plain", "--grid", "N=1..4", "--grid", "M=3..1",
                    "--boundary", "safe", "-q")
    assert "safe is not monotone on this grid: it fails at N=3, M=3 but holds at N=3, M=1" in out


def test_assume_monotone_checks_fewer_points_and_says_so(capsys: pytest.CaptureFixture[str], counter: str) -> None:
    grid = ["--variant", "plain", "--grid", "N=1..6", "--grid", "M=1..4", "--boundary", "safe"]
    _, exact = sweep_json(capsys, counter, *grid)
    code, pruned = sweep_json(capsys, counter, *grid, "--assume-monotone")
    assert code == 0 and len(exact["rows"]) == 24
    checked, inferred = pruned["rows"], pruned["grid"]["inferred"]
    assert len(checked) < 24 and len(checked) + len(inferred) == 24
    by_hand = {"minimal_failing": ["N=3, M=2"], "maximal_holding": ["N=2, M=4", "N=6, M=1"]}
    for doc in (exact, pruned):
        (b,) = doc["grid"]["boundary"]["variants"]
        assert {k: b[k] for k in by_hand} == by_hand
    for point in inferred:  # every inferred verdict is the true one (safe is monotone here)
        n, m = point["point"]["N"], point["point"]["M"]
        assert point["status"] == ("fails" if n >= 3 and m >= 2 else "holds")
    _, out, _ = run(capsys, "sweep", counter, *grid, "--assume-monotone", "-q")
    assert f"{len(checked)} of 24 points checked, the others inferred assuming safe monotone" in out
    assert "assumed, not checked" in out and "inferred from" in out


def test_assume_monotone_on_one_axis_bisects(capsys: pytest.CaptureFixture[str], counter: str) -> None:
    code, data = sweep_json(capsys, counter, "--variant", "plain", "--set", "M=2", "--grid", "N=1..15",
                            "--boundary", "safe", "--assume-monotone")
    assert len(data["rows"]) <= 4  # 15 points: a binary search needs at most 4 checks
    (b,) = data["grid"]["boundary"]["variants"]
    assert b["minimal_failing"] == ["N=3"] and b["maximal_holding"] == ["N=2"]


def test_expectations_are_compared_only_at_the_variants_own_settings(capsys: pytest.CaptureFixture[str],
                                                                      counter: str) -> None:
    code, data = sweep_json(capsys, counter, "--variant", "plain", "--grid", "N=1,3", "--grid", "M=1,2")
    assert code == 0  # N=3, M=2 violates safe, but `expected` speaks of N=1, M=1 only
    assert [r["expected"] for r in data["rows"]] == [{"safe": "holds"}, {}, {}, {}]
    _, out, _ = run(capsys, "sweep", counter, "--variant", "plain", "--grid", "N=1,3", "--grid", "M=1,2", "-q")
    assert [line.split()[-1] for line in out.splitlines()[3:7]] == ["yes", "-", "-", "-"]


def test_a_limit_reaches_every_point(capsys: pytest.CaptureFixture[str], counter: str) -> None:
    code, data = sweep_json(capsys, counter, "--variant", "plain", "--grid", "N=3,4", "--set", "M=2",
                            "--max-states", "3", "--boundary", "safe")
    assert code == 3 and data["status"] == "incomplete"
    assert all(not r["stats"]["complete"] and r["stats"]["distinct_states"] <= 4 for r in data["rows"])
    (b,) = data["grid"]["boundary"]["variants"]
    assert b["minimal_failing"] == [] and b["unknown"] == ["N=3", "N=4"]


@pytest.mark.parametrize("engine", ["scalar", "batch"])
def test_a_memory_limit_reaches_every_point(capsys: pytest.CaptureFixture[str], counter: str, engine: str) -> None:
    # the test process itself is resident in more than one megabyte: every point stops at once
    code, data = sweep_json(capsys, counter, "--variant", "plain", "--grid", "N=3,4", "--set", "M=2",
                            "--max-memory", "1M", "--engine", engine)
    assert code == 3 and data["status"] == "incomplete"
    assert [r["stats"]["stop_reason"] for r in data["rows"]] == ["max_memory", "max_memory"]
    assert all(verdict(r, "safe") == "incomplete" for r in data["rows"])


def test_the_batch_engine_gives_the_same_rows(capsys: pytest.CaptureFixture[str], counter: str) -> None:
    grid = ["--variant", "plain", "--grid", "N=2,3", "--grid", "M=1,2"]
    _, scalar = sweep_json(capsys, counter, *grid)
    _, batch = sweep_json(capsys, counter, *grid, "--engine", "batch")
    assert {r["stats"]["engine"] for r in batch["rows"]} != {r["stats"]["engine"] for r in scalar["rows"]}

    def shape(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(r["point"]["N"], r["point"]["M"], r["stats"]["distinct_states"], verdict(r, "safe"),
                 r["measures"][0]["max"]) for r in doc["rows"]]

    assert shape(batch) == shape(scalar)


def test_symmetry_reaches_every_point(capsys: pytest.CaptureFixture[str]) -> None:
    _, plain = sweep_json(capsys, "classic.two_phase", "--grid", "RM=2,3")
    _, reduced = sweep_json(capsys, "classic.two_phase", "--grid", "RM=2,3", "--symmetry")
    assert [r["stats"]["distinct_states"] for r in plain["rows"]][1] == 288  # TLC's count for 3 RMs
    for a, b in zip(plain["rows"], reduced["rows"], strict=True):
        assert b["stats"]["distinct_states"] < a["stats"]["distinct_states"]


def test_out_names_each_point(capsys: pytest.CaptureFixture[str], counter: str, tmp_path: Path) -> None:
    out = tmp_path / "traces"
    code, text, _ = run(capsys, "sweep", counter, "--variant", "plain", "--grid", "N=3,4", "--set", "M=2",
                        "--out", str(out), "-q")
    assert "2 counterexample(s) written" in text
    assert sorted(p.name for p in out.glob("*.itf.json")) == [
        "test.counter.plain.N_3.safe.itf.json", "test.counter.plain.N_4.safe.itf.json"]


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--grid", "N=1,1"], "--grid N: the value 1 is listed twice"),
        (["--grid", "N=x"], "--grid N: expected a whole number, got 'x'"),
        (["--grid", "N=1..x"], "--grid N: a range is two whole numbers"),
        (["--grid", "cap=1..2"], "--grid cap: expected true or false"),
        (["--grid", "Q=1"], "--grid Q: test.counter has no such setting"),
        (["--grid", "N"], "--grid expects NAME=V1,V2"),
        (["--grid", "N=1,"], "--grid N: an empty value"),
        (["--grid", "N=1..2", "--set", "N=3"], "--grid N: N is already given"),
        (["--grid", "N=1..2", "--grid", "N=3"], "--grid N: N is already given"),
        (["--grid", "N=1..5000"], "a grid has at most 1,000 points"),
        (["--grid", "N=1..40", "--grid", "M=1..40"], "more than 1,000 points"),
        (["--grid", "N=1", "--boundary", "nope"], "--boundary nope: nope is not a property of the model"),
        (["--grid", "N=1", "--boundary", "total"], "--boundary total: total is a measure"),
        (["--boundary", "safe"], "--boundary safe reports where it flips over a grid of settings: give --grid too"),
        (["--grid", "N=1", "--assume-monotone"], "give --boundary PROP too"),
        (["--variant", "nope"], "no variant 'nope'"),
        (["--grid", "N=1", "--store", "fingerprint"], "--store is an option of the batch engine"),
    ],
)
def test_a_bad_grid_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str], counter: str, argv: list[str],
                                           fragment: str) -> None:
    code, out, err = run(capsys, "sweep", counter, *argv, "-q")
    assert code == 2, out + err
    assert_one_line_error(err)
    assert fragment in err


@pytest.mark.parametrize("argv", [["--grid", "N=1"], ["a.py", "b.py", "--set", "N=1"], ["--boundary", "safe"]])
def test_a_grid_sweeps_one_model(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = run(capsys, "sweep", *argv)
    assert code == 2 and "sweep one model: name exactly one" in err
