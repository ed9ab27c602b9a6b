"""The pieces of the engine contract every engine shares: one `Limits`, one property
selection, one verdict writer (`replicheck.engines`, `replicheck.ir.selection`,
`replicheck.report.results.write_verdicts`).

Each rule is checked from every command that takes it, so a second copy of a rule that drifts
shows up here: the same refusal from `check`, `prove` and `simulate`, from Python and from
the CLI; the same verdict order and settling from every engine.
"""

from __future__ import annotations

import math

import pytest

import replicheck as r
from replicheck.cli import main
from replicheck.engines import Limits
from replicheck.errors import OptionError, UnknownProperty
from replicheck.ir.selection import select
from replicheck.lang import Model, Range, action, invariant, reachable, require
from replicheck.report.results import HOLDS, INCOMPLETE, VACUOUS, VIOLATED, Verdict, write_verdicts


class Count(Model):
    """x counts 0..3; `small` (x < 3) is violated after 3 steps; `four` is never reached."""

    check_deadlock = False
    x = Range(0, 3, init=0)

    @action
    def up(self, s):
        require(s.x < 3)
        s.x = s.x + 1

    @invariant
    def small(self, s):
        return s.x < 3

    @invariant
    def bounded(self, s):
        return s.x <= 3

    @reachable
    def two(self, s):
        return s.x == 2


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0, 0, True, "5"])
def test_a_seconds_limit_that_is_not_a_finite_positive_number_is_refused(bad: object) -> None:
    with pytest.raises(OptionError, match="max_seconds"):
        Limits(max_seconds=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["max_states", "max_depth", "max_memory"])
@pytest.mark.parametrize("bad", [0, -3, 2.5, True, math.inf])
def test_a_count_limit_must_be_a_whole_number_of_at_least_one(field: str, bad: object) -> None:
    with pytest.raises(OptionError, match=field):
        Limits(**{field: bad})  # type: ignore[arg-type]


def test_a_later_phase_gets_what_the_run_has_left() -> None:
    assert Limits(max_seconds=10).after(4).max_seconds == pytest.approx(6)
    assert 0 < Limits(max_seconds=10).after(25).max_seconds <= 1e-6  # spent: stops at once
    assert Limits(max_states=5).after(3) == Limits(max_states=5)


@pytest.mark.parametrize("run", [
    lambda: r.check(Count, max_seconds=math.nan),
    lambda: r.prove(Count, timeout=math.nan),
    lambda: r.simulate(Count, max_seconds=math.nan),
])
def test_every_run_refuses_nan_seconds_with_the_same_rule(run) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(OptionError, match="finite number of seconds"):
        run()


@pytest.mark.parametrize("argv", [
    ["check", "classic.two_phase", "--max-seconds", "nan"],
    ["check", "classic.two_phase", "--max-memory", "inf"],
    ["check", "classic.two_phase", "--max-seconds", "inf"],
    ["prove", "classic.two_phase", "--timeout", "nan"],
    ["simulate", "classic.two_phase", "--max-seconds", "-1"],
    ["sweep", "ebs.election", "--max-seconds", "nan"],
])
def test_the_cli_refuses_limits_that_are_not_finite_positive_numbers(argv: list[str], capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "finite" in err or ">= 0" in err or "above 0" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("run", [
    lambda: r.check(Count, only=["nope"]),
    lambda: r.check(Count, skip=["nope"]),
    lambda: r.prove(Count, only=["nope"]),
    lambda: r.simulate(Count, only=["nope"]),
])
def test_an_unknown_property_is_refused_by_every_run_listing_the_properties(run) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UnknownProperty, match=r"has no property 'nope'; its properties are: bounded, (deadlock, )?small, two"):
        run()


def test_the_selection_keeps_the_models_order_and_lets_skip_win() -> None:
    program = Count().compile()
    assert select(program).names == ["small", "bounded", "two"]
    assert select(program, only=["two", "small"]).names == ["small", "two"]
    assert select(program, only=["small"], skip=["small"]).names == []
    assert select(program, kinds=("invariant",), deadlock=True).deadlock
    assert not select(program, only=["small"], deadlock=True).deadlock  # only names no deadlock
    assert select(program, only=["deadlock"], deadlock=True).deadlock


def test_unsettled_properties_hold_when_complete_and_are_incomplete_otherwise() -> None:
    decided = {"small": Verdict("small", "invariant", VIOLATED, "x"), "domain": Verdict("domain", "domain", VIOLATED)}
    from replicheck.report.results import settled

    def run(complete: bool) -> list[tuple[str, str]]:
        out = write_verdicts([("small", "invariant"), ("bounded", "invariant"), ("two", "reachable")], decided,
                             lambda n, k: settled(n, k, complete, "cut short"), deadlock=True)
        return [(v.property, v.status) for v in out]

    assert run(True) == [("small", VIOLATED), ("bounded", HOLDS), ("two", VACUOUS), ("deadlock", HOLDS),
                         ("domain", VIOLATED)]
    assert run(False) == [("small", VIOLATED), ("bounded", INCOMPLETE), ("two", INCOMPLETE),
                          ("deadlock", INCOMPLETE), ("domain", VIOLATED)]


@pytest.mark.parametrize("run", [
    lambda: r.check(Count, stop_at_first=False),
    lambda: r.check(Count, stop_at_first=False, engine="batch"),
    lambda: r.check(Count, stop_at_first=False, strategy="dfs"),
    lambda: r.prove(Count, bmc=5),
    lambda: r.simulate(Count, runs=20),
])
def test_every_engine_reports_its_verdicts_in_the_models_order(run) -> None:  # type: ignore[no-untyped-def]
    res = run()
    names = [v.property for v in res.details.verdicts]
    order = ["small", "bounded", "two"]
    assert [n for n in names if n in order] == [n for n in order if n in names]
    assert res.verdicts["small"] == VIOLATED  # 3 steps: every engine (simulate walks 100 steps) finds it


def test_only_applies_to_every_phase_of_a_check() -> None:
    from replicheck.models.classic.async_termination import AsyncTerminationDetection  # has liveness

    res = r.check(AsyncTerminationDetection, only=["type_ok"])
    assert set(res.verdicts) == {"type_ok"}
