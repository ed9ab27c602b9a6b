"""The batch engine (`engine="batch"`) against the scalar engine: same distinct states,
depth, transitions, verdicts and counterexample lengths on every model in the repository
(every variant, default sizes), on random IR programs, and under the options (limits,
constraints, continue mode, fingerprints, two workers)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replicheck.explore import CheckOptions, check
from replicheck.explore.batch import BatchSearch
from replicheck.ir import Program
from replicheck.registry import discover
from replicheck.report.results import INCOMPLETE, CheckResult
from replicheck.sweep import variants_of
from tests.explore.fixtures import Counter, NoneRead, Overflow
from tests.ir_strategies import programs
from tests.sizes import at_test_size

# (model, variant) pairs whose default size takes more than a few seconds per engine
SLOW = {"ebs.remirror", "ebs.control_plane"}


def summary(r: CheckResult) -> dict[str, object]:
    st_ = r.stats
    return {
        "status": r.status,
        "distinct": st_.distinct_states,
        "depth": st_.depth,
        "transitions": st_.transitions,
        "complete": st_.complete,
        "stop": st_.stop_reason,
        "initial": st_.initial_states,
        "constrained": st_.constrained_states,
        "verdicts": [
            (v.property, v.status, v.message, None if v.trace is None else len(v.trace),
             None if v.trace is None else v.trace.steps[-1].state)
            for v in r.verdicts
        ],
        "warnings": r.warnings,
    }


def both(program: Program, **kw: object) -> tuple[dict[str, object], dict[str, object]]:
    scalar = check(program, CheckOptions(engine="scalar", **kw))  # type: ignore[arg-type]
    batch = check(program, CheckOptions(engine="batch", **kw))  # type: ignore[arg-type]
    assert batch.stats.engine == "batch"
    return summary(scalar), summary(batch)


def model_cases() -> list[Any]:
    cases: list[Any] = []
    for name, info in discover().items():
        for variant in variants_of(info.cls):
            marks = [pytest.mark.slow] if name in SLOW else []
            cases.append(pytest.param(name, variant, marks=marks, id=f"{name}[{variant}]"))
    return cases


@pytest.mark.parametrize("name,variant", model_cases())
def test_every_model_and_variant_gives_the_same_result_in_both_engines_and_with_two_processes(
    name: str, variant: str | None
) -> None:
    info = discover()[name]
    model = at_test_size(name, info.cls, variant)
    program = model.compile()
    deadlock = bool(info.cls.check_deadlock)
    for keep_going in (False, True):
        s, b = both(program, deadlock=deadlock, stop_at_first=not keep_going, max_seconds=120)
        assert b == s
        # two processes, with chunks small enough that the worker evaluates many of them
        two = check(program, CheckOptions(engine="batch", workers=2, chunk_rows=777, deadlock=deadlock,
                                          stop_at_first=not keep_going, max_seconds=120))
        assert summary(two) == s


@pytest.mark.parametrize("model", [Counter(), Overflow(), NoneRead()], ids=lambda m: m.name)
@pytest.mark.parametrize("keep_going", [False, True])
def test_deadlock_domain_and_run_time_errors_are_reported_alike(model: Any, keep_going: bool) -> None:
    s, b = both(model.compile(), stop_at_first=not keep_going)
    assert b == s


@pytest.mark.parametrize("depth", [1, 2, 5])
def test_depth_bound(depth: int) -> None:
    from replicheck.models.classic.two_phase import TwoPhase

    s, b = both(TwoPhase(RM=3).compile(), max_depth=depth)
    assert b == s


def test_two_workers_and_fingerprints_give_the_same_result() -> None:
    from replicheck.models.ebs.election import Election

    program = Election(variant="authority", Node=4).compile()  # 81-bit states: two words
    base = summary(check(program, CheckOptions(engine="batch", deadlock=False)))
    for kw in ({"workers": 2}, {"store": "fingerprint"}, {"store": "fingerprint", "workers": 2},
               {"workers": 2, "chunk_rows": 1000}):
        r = check(program, CheckOptions(engine="batch", deadlock=False, **kw))  # type: ignore[arg-type]
        assert summary(r) == base
    r = check(program, CheckOptions(engine="batch", deadlock=False, store="fingerprint"))
    assert r.stats.store == "fingerprint"
    p = r.stats.fingerprint_collision_probability
    assert p is not None and 0 < p < 1e-6
    assert r.stats.bytes_per_state is not None and r.stats.bytes_per_state < 40


def test_the_worker_process_evaluates_chunks_and_the_result_equals_one_process() -> None:
    from replicheck.models.classic.two_phase import TwoPhase

    program = TwoPhase(RM=5).compile()
    one = BatchSearch(program, CheckOptions(engine="batch", chunk_rows=50))
    base = summary(one.search())
    two = BatchSearch(program, CheckOptions(engine="batch", workers=2, chunk_rows=50))
    assert summary(two.search()) == base
    assert two.worker is not None and two.worker.summaries > 10  # the second process did work
    assert not two.worker.proc.is_alive()


@pytest.mark.parametrize("name,variant", [("rds.multi_az", "naive_failover"), ("ebs.election", "no_fencing"),
                                          ("classic.die_hard", None)])
@pytest.mark.parametrize("keep_going", [False, True])
def test_violations_found_with_a_worker_process_are_those_of_the_scalar_engine(
    name: str, variant: str | None, keep_going: bool
) -> None:
    info = discover()[name]
    program = at_test_size(name, info.cls, variant).compile()
    kw: dict[str, Any] = {"deadlock": bool(info.cls.check_deadlock), "stop_at_first": not keep_going}
    scalar = summary(check(program, CheckOptions(engine="scalar", **kw)))
    for rows in (3, 64):
        batch = summary(check(program, CheckOptions(engine="batch", workers=2, chunk_rows=rows, **kw)))
        assert batch == scalar


def test_one_word_states_are_stored_exactly_even_when_fingerprints_are_asked_for() -> None:
    from replicheck.models.classic.two_phase import TwoPhase

    r = check(TwoPhase(RM=3).compile(), CheckOptions(engine="batch", store="fingerprint"))
    assert r.stats.store.startswith("fingerprint (exact")
    assert r.stats.fingerprint_collision_probability == 0.0


def test_limits_stop_cleanly() -> None:
    from replicheck.models.classic.two_phase import TwoPhase

    program = TwoPhase(RM=5).compile()
    r = check(program, CheckOptions(engine="batch", max_states=100))
    assert r.status == INCOMPLETE and r.stats.stop_reason == "max_states"
    r = check(program, CheckOptions(engine="batch", max_memory=1 << 20))
    assert r.status == INCOMPLETE and r.stats.stop_reason == "max_memory"
    assert r.exit_code == 3


def test_limits_stop_cleanly_with_a_worker_process_and_the_process_ends() -> None:
    from replicheck.models.classic.two_phase import TwoPhase

    program = TwoPhase(RM=5).compile()
    for limit, reason in (({"max_states": 100}, "max_states"), ({"max_memory": 1 << 20}, "max_memory")):
        search = BatchSearch(program, CheckOptions(engine="batch", workers=2, chunk_rows=20, **limit))  # type: ignore[arg-type]
        r = search.search()
        assert r.status == INCOMPLETE and r.stats.stop_reason == reason and r.exit_code == 3
        assert search.worker is not None and not search.worker.proc.is_alive()


def test_an_interrupt_with_a_worker_process_gives_a_partial_result_and_ends_the_process() -> None:
    from replicheck.models.classic.two_phase import TwoPhase

    search = BatchSearch(TwoPhase(RM=5).compile(), CheckOptions(engine="batch", workers=2, chunk_rows=20))
    ticks = 0

    def tick(stored: int) -> str:
        nonlocal ticks
        ticks += 1
        if ticks == 30:
            raise KeyboardInterrupt
        return ""

    search.run.tick = tick  # type: ignore[method-assign]
    r = search.search()
    assert r.status == INCOMPLETE and r.stats.stop_reason == "interrupted"
    assert 0 < r.stats.distinct_states < 8_000  # two_phase RM=5 has 8,832 states
    assert search.worker is not None and not search.worker.proc.is_alive()


def test_a_failure_inside_the_worker_process_is_reported_with_its_traceback(monkeypatch: Any) -> None:
    import os

    from replicheck.explore.traces import InternalCheckerError
    from replicheck.models.classic.two_phase import TwoPhase

    here = os.getpid()
    real = BatchSearch.summarize

    def summarize(self: BatchSearch, *args: Any) -> Any:
        if os.getpid() != here:
            raise RuntimeError("boom in the worker")
        return real(self, *args)

    monkeypatch.setattr(BatchSearch, "summarize", summarize)
    search = BatchSearch(TwoPhase(RM=4).compile(), CheckOptions(engine="batch", workers=2, chunk_rows=10))
    with pytest.raises(InternalCheckerError, match="(?s)worker process failed.*boom in the worker"):
        search.search()
    assert search.worker is not None and not search.worker.proc.is_alive()


@pytest.mark.parametrize("workers", [1, 2])
def test_progress_reports_the_level_being_explored(workers: int) -> None:
    from replicheck.models.classic.two_phase import TwoPhase

    seen: list[tuple[int, int]] = []
    options = CheckOptions(engine="batch", workers=workers, chunk_rows=100, progress_interval=0.0,
                           progress=lambda st_: seen.append((st_.depth, st_.distinct_states)))
    r = check(TwoPhase(RM=4).compile(), options)
    depths = [d for d, _ in seen]
    assert depths == sorted(depths) and depths[0] >= 1 and depths[-1] == r.stats.depth
    assert [n for _, n in seen] == sorted(n for _, n in seen)


def test_depth_first_search_is_refused_with_a_reason() -> None:
    from replicheck.models.ebs.election import Election

    with pytest.raises(ValueError, match="breadth-first"):
        check(Election().compile(), CheckOptions(engine="batch", strategy="dfs"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.booleans(), st.booleans())
def test_random_programs_agree(program: Program, keep_going: bool, deadlock: bool) -> None:
    s, b = both(program, deadlock=deadlock, stop_at_first=not keep_going)
    assert b == s


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(max_slots=8, max_actions=6), st.booleans(), st.integers(1, 6))
def test_random_programs_agree_with_two_workers_fingerprints_and_a_depth_bound(
    program: Program, keep_going: bool, depth: int
) -> None:
    kw: dict[str, Any] = {"deadlock": True, "stop_at_first": not keep_going, "max_depth": depth}
    scalar = summary(check(program, CheckOptions(engine="scalar", **kw)))
    batch = summary(check(program, CheckOptions(engine="batch", store="fingerprint", workers=2, **kw)))
    assert batch == scalar
    # chunks of a few states: the worker process evaluates most of them
    batch = summary(check(program, CheckOptions(engine="batch", workers=2, chunk_rows=3, **kw)))
    assert batch == scalar
