"""One exploration: with the batch engine, liveness and measures are answered from the graph
the search recorded (`replicheck.explore.batch_graph`), not from a second, scalar exploration.

The reference is the scalar engine's second exploration (`explore.graph.build_graph` and the
same fair-SCC analysis), itself checked against TLC in tests/models: the verdicts, the length
of every lasso and every measure (its range and the length of each witness) must be equal,
with one process and with two, and the batch run must not build a graph of its own (the test
makes `build_graph` raise). Every lasso is verified by the reference evaluator either way.
"""

from __future__ import annotations

from typing import Any

import pytest

import replicheck as r
import replicheck.explore.full as full
from replicheck.lang import (
    Model,
    Range,
    action,
    constraint,
    eventually,
    invariant,
    leads_to,
    liveness,
    measure,
    require,
)
from replicheck.registry import discover
from tests.explore.test_constraints import Unbounded
from tests.explore.test_liveness import CounterStrong, MutexStrong, MutexWeak, StutteringStrongStep
from tests.sizes import TEST_SIZES


class Ring(Model):
    """A token goes round 0..5 (`step`, weakly fair); `reset` (not fair) may send it back to 0
    from 3. `x == 5` leads to `x == 0` (holds: the ring wraps); `eventually x == 4` is violated
    by the fair lasso 0, 1, 2, 3, reset to 0, ... (step is taken on the cycle)."""

    check_deadlock = False
    x = Range(0, 5, init=0)

    @action(fair="weak")
    def step(self, s):
        s.x = (s.x + 1) % 6

    @action
    def reset(self, s):
        require(s.x == 3)
        s.x = 0

    @invariant
    def in_range(self, s):
        return s.x <= 5

    @liveness
    def wraps(self, s):
        return leads_to(s.x == 5, s.x == 0)

    @liveness
    def reaches_four(self, s):
        return eventually(s.x == 4)

    @measure
    def position(self, s):
        return s.x


class BadPredicate(Model):
    """A liveness predicate that divides by zero in one state: the batch engine gives up its
    recording and the scalar graph reports the error as it always has."""

    check_deadlock = False
    x = Range(0, 3, init=0)

    @action(fair="weak")
    def up(self, s):
        require(s.x < 3)
        s.x = s.x + 1

    @constraint
    def below_four(self, s):
        return s.x <= 3

    @liveness
    def odd(self, s):
        return eventually(1 // (s.x - 2) == 1)


def shape(res: r.Result) -> tuple[dict[str, str], dict[str, int], list[tuple[Any, ...]]]:
    lengths = {name: len(t) for name, t in res.traces.items()}
    measures = [(m.name, m.minimum, m.maximum, len(m.min_trace), len(m.max_trace)) for m in res.measurements]
    return res.verdicts, lengths, measures


FIXTURES = [Ring, Unbounded, CounterStrong, MutexWeak, MutexStrong, StutteringStrongStep]
SHIPPED = [
    pytest.param(info.cls, variant, TEST_SIZES.get(name, {}), id=f"{name}-{variant}")
    for name, info in discover().items()
    for variant in (list(info.cls.variants) or [None])
    if info.cls(variant=variant).compile().liveness() or info.cls(variant=variant).compile().of_kind("measure")
]


def no_second_exploration(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the batch engine built a second graph")


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("cls", FIXTURES, ids=lambda c: c.__name__)
def test_the_batch_engine_answers_liveness_and_measures_from_its_own_search(
        cls: type[Model], workers: int, monkeypatch: pytest.MonkeyPatch) -> None:
    scalar = r.check(cls, stop_at_first=False)
    monkeypatch.setattr(full, "build_graph", no_second_exploration)
    batch = r.check(cls, stop_at_first=False, engine="batch", workers=workers)
    assert shape(batch) == shape(scalar)
    assert batch.stats.distinct_states == scalar.stats.distinct_states


@pytest.mark.slow
@pytest.mark.parametrize(("cls", "variant", "settings"), SHIPPED)
def test_every_shipped_model_gets_the_scalar_liveness_and_measures_from_one_batch_search(
        cls: type[Model], variant: str | None, settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    scalar = r.check(cls, variant=variant, settings=settings, stop_at_first=False)
    monkeypatch.setattr(full, "build_graph", no_second_exploration)
    for workers in (1, 2):
        batch = r.check(cls, variant=variant, settings=settings, stop_at_first=False, engine="batch", workers=workers)
        assert shape(batch) == shape(scalar), workers


def test_a_predicate_that_raises_falls_back_to_the_scalar_graph_and_its_report() -> None:
    scalar = r.check(BadPredicate, stop_at_first=False)
    batch = r.check(BadPredicate, stop_at_first=False, engine="batch")
    assert shape(batch) == shape(scalar)


def test_a_limit_leaves_liveness_incomplete_and_the_measures_over_the_states_explored() -> None:
    res = r.check(Ring, engine="batch", max_depth=2)
    assert res.verdicts["wraps"] == "incomplete" and res.verdicts["reaches_four"] == "incomplete"
    (m,) = res.measurements
    assert (m.minimum, m.maximum) == (0, 2)  # x = 0, 1, 2 within two steps
    assert any("only the states explored" in w for w in res.warnings)


def test_max_memory_stops_the_analysis_with_incomplete_liveness_naming_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The analysis's need is estimated before it allocates: an estimate past --max-memory
    leaves the liveness verdicts incomplete, naming the limit, and the safety verdicts stand."""
    import replicheck.explore.live as live
    from replicheck.explore.memory import resident_bytes

    monkeypatch.setattr(live, "ANALYSIS_BYTES_PER_STEP", 1 << 40)  # any graph "needs" terabytes
    res = r.check(Ring, engine="batch", max_memory=resident_bytes() + (1 << 30))
    assert res.verdicts["in_range"] == "holds"
    assert res.verdicts["wraps"] == "incomplete" and res.verdicts["reaches_four"] == "incomplete"
    assert "past --max-memory" in res.details.verdicts[-1].message
    assert res.exit_code == 3


def test_a_component_search_past_max_memory_leaves_that_property_incomplete(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ring has a cycle, so its analysis reaches scipy's search, which checks its own need
    before it starts: past the limit, the verdict is incomplete and names it."""
    import replicheck.explore.liveness as liveness
    from replicheck.explore.memory import resident_bytes

    monkeypatch.setattr(liveness, "SCC_BYTES_PER_STATE", 1 << 40)
    res = r.check(Ring, engine="batch", max_memory=resident_bytes() + (1 << 30))
    assert res.verdicts["in_range"] == "holds"
    assert res.verdicts["reaches_four"] == "incomplete"
    message = next(v.message for v in res.details.verdicts if v.property == "reaches_four")
    assert "strongly-connected-components search" in message and "past --max-memory" in message
    assert res.exit_code == 3


def test_a_lasso_search_past_max_memory_leaves_that_property_incomplete(monkeypatch: pytest.MonkeyPatch) -> None:
    """`reaches_four` is violated, so a shortest lasso is searched for; that search checks its
    need before it allocates (an outage run was killed by the kernel at 23.8 GB under
    --max-memory 18G before it did): past the limit, the verdict is incomplete and names it."""
    import replicheck.explore.liveness as liveness
    from replicheck.explore.memory import resident_bytes

    monkeypatch.setattr(liveness, "PATH_BYTES_PER_STATE", 1 << 40)
    res = r.check(Ring, engine="batch", max_memory=resident_bytes() + (1 << 30))
    assert res.verdicts["in_range"] == "holds" and res.verdicts["wraps"] == "holds"
    assert res.verdicts["reaches_four"] == "incomplete"
    message = next(v.message for v in res.details.verdicts if v.property == "reaches_four")
    assert "shortest-lasso search" in message and "past --max-memory" in message
    assert res.exit_code == 3


@pytest.mark.parametrize("cls", FIXTURES, ids=lambda c: c.__name__)
def test_a_graph_kept_in_memory_mapped_files_gives_the_same_answers(
        cls: type[Model], monkeypatch: pytest.MonkeyPatch) -> None:
    in_memory = r.check(cls, stop_at_first=False, engine="batch")
    spilled: list[bool] = []
    finish = full.GraphRecorder.finish

    def watched(self: Any, *args: Any, **kwargs: Any) -> Any:
        spilled.append(self.spilled)
        return finish(self, *args, **kwargs)

    monkeypatch.setattr(full.GraphRecorder, "finish", watched)
    monkeypatch.setenv("REPLICHECK_GRAPH_SPILL_BYTES", "0")  # to files after the first chunk
    monkeypatch.setattr(full, "build_graph", no_second_exploration)
    on_disk = r.check(cls, stop_at_first=False, engine="batch")
    assert spilled == [True]
    assert shape(on_disk) == shape(in_memory)


def test_the_spill_threshold_is_the_smallest_that_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    from replicheck.explore import batch_graph

    monkeypatch.setattr(batch_graph, "available_bytes", lambda: 12_000)
    monkeypatch.delenv("REPLICHECK_GRAPH_SPILL_BYTES", raising=False)
    assert batch_graph.spill_threshold(None) == 4_000  # a third of what is available
    assert batch_graph.spill_threshold(8_000) == 2_000  # a quarter of --max-memory
    monkeypatch.setenv("REPLICHECK_GRAPH_SPILL_BYTES", "100")
    assert batch_graph.spill_threshold(8_000) == 100
