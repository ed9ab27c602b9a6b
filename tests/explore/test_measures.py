"""Measures: ranges over the reachable states, with shortest witnesses."""

from __future__ import annotations

import pytest

from replicheck.backends.reference import evaluate
from replicheck.explore import CheckOptions
from replicheck.explore.full import check_model
from replicheck.lang import Bool, Map, Model, Range, Sort, action, count, invariant, measure, require


class Meter(Model):
    """x climbs 0..3 while y falls 3..0; `diff` = x - y ranges over -3, -1, 1, 3."""

    x = Range(0, 3, init=0)
    y = Range(0, 3, init=3)

    @action
    def inc(self, s):
        require(s.x < 3)
        s.x += 1
        s.y = 3 - s.x

    @measure
    def diff(self, s):
        return s.x - s.y


def test_the_range_of_a_measure_and_the_steps_to_each_end() -> None:
    result = check_model(Meter().compile(), CheckOptions(deadlock=False))
    (m,) = result.measurements
    assert (m.minimum, m.maximum) == (-3, 3)
    assert len(m.min_trace) == 0  # the initial state attains the minimum
    assert [step.action for step in m.max_trace.steps[1:]] == ["inc", "inc", "inc"]
    assert evaluate(result_program_measure(result), m.max_trace.steps[-1].state) == 3


def result_program_measure(result) -> object:  # the measure's expression, from the trace's program
    return next(p for p in result.measurements[0].max_trace.program.properties if p.name == "diff").expr


class Lamps(Model):
    """Three lamps switched on one at a time, and switched all off at once by `reset`.
    `lit` ranges over 0..3 and its maximum needs three steps, however the lamps are chosen."""

    Lamp = Sort("Lamp", default=3, symmetric=True)
    on = Map(Lamp, Bool, init=False)

    @action
    def switch_on(self, s, lamp: Lamp):
        require(~s.on[lamp])
        s.on[lamp] = True

    @action
    def reset(self, s):
        for lamp in self.Lamp:
            s.on[lamp] = False

    @measure
    def lit(self, s):
        return count(self.Lamp, lambda lamp: s.on[lamp])


def test_the_witness_for_the_maximum_is_a_shortest_one() -> None:
    result = check_model(Lamps().compile())
    (m,) = result.measurements
    assert (m.minimum, m.maximum) == (0, 3)
    assert len(m.max_trace) == 3
    assert all(step.action == "switch_on" for step in m.max_trace.steps[1:])


def test_a_state_limit_marks_measures_as_partial() -> None:
    result = check_model(Lamps().compile(), CheckOptions(max_states=3))
    (m,) = result.measurements
    assert not m.complete
    assert m.maximum < 3
    assert any("measures cover only" in w for w in result.warnings)


class DividesByZero(Model):
    """The second step divides by zero: the search reports a model error with its trace; the
    measures' graph would meet the same error, so the measures are left out, with a note."""

    x = Range(0, 3, init=0)

    @action
    def inc(self, s):
        require(s.x < 3)
        s.x = s.x + 1 // (1 - s.x)

    @measure
    def level(self, s):
        return s.x


def test_a_model_error_in_the_search_leaves_the_measures_out_with_a_note() -> None:
    result = check_model(DividesByZero().compile(), CheckOptions(deadlock=False))
    assert [v.property for v in result.verdicts if v.status == "violated"] == ["model error"]
    assert result.measurements == []
    assert any("measures not computed" in w for w in result.warnings)


class LampsWithAnEarlyViolation(Lamps):
    """Lamps whose invariant `not_two_lit` fails after two steps; `lit`'s maximum (3) lies past
    it, so a search that stops at the violation has not seen it: the measure is over every
    reachable state all the same (by hand: 0..3, three steps)."""

    @invariant
    def not_two_lit(self, s):
        return count(self.Lamp, lambda lamp: s.on[lamp]) != 2


@pytest.mark.parametrize("engine", ["scalar", "batch"])
@pytest.mark.parametrize("symmetry", [False, True])
def test_measures_after_a_run_stopped_at_a_violation_cover_every_reachable_state(engine: str,
                                                                                  symmetry: bool) -> None:
    result = check_model(LampsWithAnEarlyViolation().compile(),
                         CheckOptions(engine=engine, symmetry=symmetry, deadlock=False))
    assert result.first_violation() is not None and not result.stats.complete
    (m,) = result.measurements
    assert m.complete and (m.minimum, m.maximum) == (0, 3)
    assert len(m.max_trace) == 3
    assert not any("measures cover only" in w for w in result.warnings)


@pytest.mark.parametrize(("engine", "strategy"), [("scalar", "bfs"), ("scalar", "dfs"), ("batch", "bfs")])
def test_a_depth_bound_bounds_the_measures_too(engine: str, strategy: str) -> None:
    # one step from x = 0, y = 3: diff is -3 or -1, on every engine; the measures' graph must
    # not explore past the bound (on a model without a bound it would never end)
    options = CheckOptions(deadlock=False, max_depth=1, engine=engine, strategy=strategy)
    result = check_model(Meter().compile(), options)
    (m,) = result.measurements
    assert (m.minimum, m.maximum, m.complete) == (-3, -1, False)
    assert any("measures cover only" in w for w in result.warnings)


class Climbs(Model):
    """Two counters that climb without a practical end: a search stops only by a limit."""

    a = Range(0, 10**6, init=0)
    b = Range(0, 10**6, init=0)

    @action
    def up_a(self, s):
        s.a += 1

    @action
    def up_b(self, s):
        s.b += 1

    @measure
    def height(self, s):
        return s.a


def test_an_interrupted_search_does_not_start_the_measures_exploration() -> None:
    # Ctrl-C (or SIGTERM) during the search stops the run: the measures' second exploration,
    # unbounded here, must not begin
    calls = []

    def interrupt(stats: object) -> None:
        calls.append(stats)
        raise KeyboardInterrupt

    result = check_model(Climbs().compile(), CheckOptions(deadlock=False, progress=interrupt))
    assert calls and result.stats.stop_reason == "interrupted"
    assert result.measurements == []
    assert any("measures not computed: the run was interrupted" in w for w in result.warnings)
