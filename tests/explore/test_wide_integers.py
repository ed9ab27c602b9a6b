"""Integers beyond 64 bits mean what they mean in Python in every engine.

Two audit findings, kept as regression models: the batch engine computed in int64 and wrapped
(`x * x` with x = 2**32 was 0, so an invariant held and a guard was false), and the range
analysis stood in for "unknown" with +/-2**62, which BFS and DFS trusted as a proof that an
update stays in a domain that wide (they skipped the domain check and stored a value outside
it). Each model runs through scalar BFS, DFS, the batch engine with one and two processes and
BMC, and all must agree with the hand-counted answer. Then random programs with wide domains
and big constants compare the batch engine with the scalar one and with a breadth-first
search over the reference evaluator.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replicheck.backends.numpy_batch import BatchProgram
from replicheck.backends.reference import ModelRuntimeError, evaluate, initial_states, successors
from replicheck.explore import CheckOptions, check
from replicheck.ir import Program, State, bounds
from replicheck.lang import Bool, Map, Model, Range, action, invariant, require
from replicheck.registry import discover
from replicheck.report.results import HOLDS, VIOLATED, CheckResult
from replicheck.symbolic import bmc
from tests.ir_strategies import counter_programs, programs

WIDE = st.one_of(counter_programs(), programs(max_slots=4, wide=True))

# -- the audit's models ---------------------------------------------------------------------


class Square(Model):
    """x*x with x = 2**32 is 2**64 (int64 wraps it to 0). x halves down to 0: 2**32, 2**31,
    ..., 1, 0 are 34 states, and x*x < 5 holds only for 0, 1 and 2."""

    name = "test.wide_square"
    x = Range(0, 2**40, init=2**32)

    @action
    def halve(self, s):
        require(s.x > 0)
        s.x = s.x // 2

    @invariant
    def small_square(self, s):
        return s.x * s.x < 5


class Sum(Model):
    """x + (2**63 - 2**32) with x >= 2**32 is at least 2**63 (int64 wraps it negative): the
    invariant holds. x doubles from 2**32 up to 2**40: 9 states."""

    name = "test.wide_sum"
    x = Range(0, 2**40, init=2**32)

    @action
    def double(self, s):
        require(s.x < 2**40)
        s.x = s.x * 2

    @invariant
    def positive(self, s):
        return s.x + (2**63 - 2**32) > 0


class GuardSquare(Model):
    """By hand: x starts at 2**32 and `shrink` divides it by 16 while x*x > 2**40. x*x is
    2**64, 2**56, 2**48 at x = 2**32, 2**28, 2**24 (all > 2**40), and exactly 2**40 at
    x = 2**20, where nothing is enabled: 4 states, 3 transitions, a deadlock after 3 steps,
    and `not_2_20` violated after 3 steps. (With int64, 2**64 wrapped to 0 and the batch
    engine found 1 state, deadlocked at once.)"""

    name = "test.wide_guard_square"
    x = Range(0, 2**40, init=2**32)

    @action
    def shrink(self, s):
        require(s.x * s.x > 2**40)
        s.x = s.x // 16

    @invariant
    def not_2_20(self, s):
        return s.x != 2**20


class NegDiv(Model):
    """(x - 1) // -1 is 1 - x: from -2**62 that is 2**62 + 1, outside the domain after one
    step. (The range analysis had no rule for a negative divisor and said +/-2**62, inside
    the domain, so BFS and DFS skipped the domain check.)"""

    name = "test.wide_neg_div"
    x = Range(-2**62, 2**62, init=-2**62)

    @action
    def flip(self, s):
        s.x = (s.x - 1) // -1

    @invariant
    def not_zero(self, s):
        return s.x != 0


class NegDivCycle(NegDiv):
    """The same step from 2**61: 1 - 2**61 and back, 2 states, always inside the domain."""

    name = "test.wide_neg_div_cycle"
    x = Range(-2**62, 2**62, init=2**61)


class Scaled(Model):
    """((8x - 1) // -1) // 4 from x = -2**60 is (2**63 + 1) // 4 = 2**61, outside -2**60..2**60
    after one step; the old analysis bounded it by 2**62 // 4 = 2**60, inside. The
    intermediate 2**63 + 1 does not fit int64 either."""

    name = "test.wide_scaled"
    x = Range(-2**60, 2**60, init=-2**60)

    @action
    def step(self, s):
        s.x = ((s.x * 8 - 1) // -1) // 4

    @invariant
    def not_zero(self, s):
        return s.x != 0


class Doubling(Model):
    """A slot of 100 bits (the batch engine packs it in two 63-bit fields): x doubles from 1
    while below 2**99, so 1, 2, 4, ..., 2**99 are 100 states and the last one deadlocks."""

    name = "test.wide_doubling"
    x = Range(0, 2**100, init=1)

    @action
    def double(self, s):
        require(s.x < 2**99)
        s.x = s.x * 2

    @invariant
    def not_top(self, s):
        return s.x < 2**99


K0 = 2**63  # map keys that do not fit int64


class BigKeys(Model):
    """A map keyed by 2**63 .. 2**63 + 2, written at k. With k = K0 + j, the entries below j
    are either set or not, entry j is set or not, the entries above are unset: 2**(j+1)
    states for j = 0, 1, 2, 14 in all."""

    name = "test.wide_big_keys"
    k = Range(K0, K0 + 2, init=K0)
    m = Map(Range(K0, K0 + 2), Bool, init=False)

    @action
    def mark(self, s):
        s.m[s.k] = True

    @action
    def step(self, s):
        require(s.k < K0 + 2)
        s.k = s.k + 1


def outcome(r: CheckResult) -> dict[str, Any]:
    return {
        "status": r.status,
        "distinct": r.stats.distinct_states,
        "transitions": r.stats.transitions,
        "complete": r.stats.complete,
        "verdicts": {v.property: (v.status, None if v.trace is None else len(v.trace)) for v in r.verdicts},
    }


def every_engine(program: Program, **kw: Any) -> dict[str, dict[str, Any]]:
    runs = {
        "bfs": CheckOptions(engine="scalar", **kw),
        "dfs": CheckOptions(engine="scalar", strategy="dfs", **kw),
        "batch": CheckOptions(engine="batch", **kw),
        "batch-2": CheckOptions(engine="batch", workers=2, **kw),
        "batch-2-small-chunks": CheckOptions(engine="batch", workers=2, chunk_rows=1, **kw),
    }
    return {name: outcome(check(program, opts)) for name, opts in runs.items()}


def assert_all(results: dict[str, dict[str, Any]], expected: dict[str, Any]) -> None:
    """Every engine gives `expected` (for a run that stops at a violation, give only status
    and verdicts: how much was explored before it differs between BFS and DFS)."""
    for name, got in results.items():
        got = {k: v for k, v in got.items() if k in expected}
        assert got == expected, f"{name}: {got} != {expected}"


def test_a_product_beyond_int64_violates_the_invariant_in_every_engine() -> None:
    p = Square().compile()
    assert BatchProgram(p).exact_nodes  # x * x is computed with Python ints
    # stop at the first violation: the initial state
    first = every_engine(p, deadlock=False)
    assert_all(first, {"status": VIOLATED, "verdicts": {"small_square": (VIOLATED, 0)}})
    # everything: 34 states (2**32 .. 1 by halving, and 0), 33 transitions
    every = every_engine(p, deadlock=False, stop_at_first=False)
    assert_all(every, {"status": VIOLATED, "distinct": 34, "transitions": 33, "complete": True,
                       "verdicts": {"small_square": (VIOLATED, 0)}})
    v = bmc(p, 3).verdicts
    assert [(x.property, x.status, len(x.trace) if x.trace else None) for x in v] == [("small_square", VIOLATED, 0)]


def test_a_sum_beyond_int64_keeps_the_invariant_in_every_engine() -> None:
    p = Sum().compile()
    results = every_engine(p, deadlock=False)
    assert_all(results, {"status": HOLDS, "distinct": 9, "transitions": 8, "complete": True,
                         "verdicts": {"positive": (HOLDS, None)}})
    assert [x.status for x in bmc(p, 9).verdicts] == [HOLDS]


def test_a_guard_beyond_int64_enables_the_action_in_every_engine() -> None:
    p = GuardSquare().compile()
    every = every_engine(p, deadlock=False, stop_at_first=False)
    assert_all(every, {"status": VIOLATED, "distinct": 4, "transitions": 3, "complete": True,
                       "verdicts": {"not_2_20": (VIOLATED, 3)}})
    dead = every_engine(p, deadlock=True, stop_at_first=False)
    assert_all(dead, {"status": VIOLATED, "distinct": 4, "transitions": 3, "complete": True,
                      "verdicts": {"not_2_20": (VIOLATED, 3), "deadlock": (VIOLATED, 3)}})
    v = bmc(p, 5).verdicts
    assert [(x.property, x.status, len(x.trace) if x.trace else None) for x in v] == [("not_2_20", VIOLATED, 3)]


@pytest.mark.parametrize("model", [NegDiv, Scaled])
def test_an_update_leaving_a_wide_domain_is_caught_in_every_engine(model: type[Model]) -> None:
    p = model().compile()
    results = every_engine(p, deadlock=False)
    assert_all(results, {"status": VIOLATED, "distinct": 1, "complete": False,
                         "verdicts": {"not_zero": ("incomplete", None), "domain": (VIOLATED, 1)}})
    v = {x.property: (x.status, len(x.trace) if x.trace else None) for x in bmc(p, 3).verdicts}
    assert v["domain"] == (VIOLATED, 1)


def test_the_same_step_inside_the_domain_holds_in_every_engine() -> None:
    p = NegDivCycle().compile()
    results = every_engine(p)
    assert_all(results, {"status": HOLDS, "distinct": 2, "transitions": 2, "complete": True,
                         "verdicts": {"not_zero": (HOLDS, None), "deadlock": (HOLDS, None)}})
    assert [x.status for x in bmc(p, 4).verdicts] == [HOLDS]


def test_a_slot_wider_than_64_bits() -> None:
    p = Doubling().compile()
    assert BatchProgram(p).layout.wide == {0}
    results = every_engine(p, stop_at_first=False)
    assert_all(results, {"status": VIOLATED, "distinct": 100, "transitions": 99, "complete": True,
                         "verdicts": {"not_top": (VIOLATED, 99), "deadlock": (VIOLATED, 99)}})


def test_map_keys_beyond_int64() -> None:
    # transitions: `mark` in each of the 14 states, `step` in the 2 + 4 with j < 2
    results = every_engine(BigKeys().compile())
    assert_all(results, {"status": HOLDS, "distinct": 14, "transitions": 14 + 6, "complete": True,
                         "verdicts": {"deadlock": (HOLDS, None)}})


def test_the_range_analysis_is_exact_or_unknown() -> None:
    p = NegDiv().compile()
    (_, e), = p.actions[0].updates
    assert bounds(e, p.slots) == (1 - 2**62, 1 + 2**62)  # exact: 1 - x over the domain
    p = Scaled().compile()
    (_, e), = p.actions[0].updates
    assert bounds(e, p.slots) == ((1 - 2**63) // 4, (1 + 2**63) // 4)


def test_shipped_models_need_no_python_int_arithmetic_in_the_batch_engine() -> None:
    """The common case keeps NumPy's machine integers: exact evaluation costs nothing there."""
    for name in ("ebs.election", "classic.two_phase", "classic.paxos_voting", "classic.die_hard"):
        info = discover()[name]
        bp = BatchProgram(info.cls().compile())
        assert bp.exact_nodes == [], name
        assert not bp.layout.wide, name


def test_the_cli_exit_code_of_the_audit_model(tmp_path: Any) -> None:
    from replicheck.cli import main

    f = tmp_path / "wide.py"
    f.write_text(
        "from replicheck.lang import Model, Range, invariant\n"
        "class Square(Model):\n"
        "    name = 'wide'\n"
        "    x = Range(0, 2**40, init=2**32)\n"
        "    check_deadlock = False\n"
        "    @invariant\n"
        "    def small(self, s):\n"
        "        return s.x * s.x < 5\n",
        encoding="utf-8",
    )
    for engine in (["--engine", "scalar"], ["--engine", "batch"], ["--engine", "batch", "--workers", "2"]):
        assert main(["check", f"{f}:Square", "-q", *engine]) == 1, engine


# -- random programs with wide domains and big constants --------------------------------------


def reference_bfs(program: Program, max_depth: int) -> dict[str, Any] | None:
    """Distinct states within `max_depth` levels and the violated invariants, action properties
    and domain, by the reference evaluator; None when it raises (a model run-time error)."""
    try:
        level: list[State] = list(dict.fromkeys(s for _, s in initial_states(program)))
        seen = set(level)
        bad: set[str] = set()
        invs = [q for q in program.properties if q.kind == "invariant"]
        acts = [q for q in program.properties if q.kind == "action"]
        for depth in range(1, max_depth + 1):
            nxt: list[State] = []
            for s in level:
                bad |= {q.name for q in invs if not evaluate(q.expr, s)}
                if depth == max_depth:
                    continue
                for _, t in successors(program, s):
                    if next(program.out_of_domain(t), None) is not None:
                        bad.add("domain")
                        continue
                    bad |= {q.name for q in acts if not evaluate(q.expr, s, t)}
                    if t not in seen:
                        seen.add(t)
                        nxt.append(t)
            level = nxt
        return {"distinct": len(seen), "violated": sorted(bad)}
    except ModelRuntimeError:
        return None


def full_summary(r: CheckResult) -> dict[str, Any]:
    st_ = r.stats
    return {
        "status": r.status, "distinct": st_.distinct_states, "depth": st_.depth,
        "transitions": st_.transitions, "complete": st_.complete, "stop": st_.stop_reason,
        "verdicts": [(v.property, v.status, v.message, None if v.trace is None else len(v.trace),
                      None if v.trace is None else v.trace.steps[-1].state) for v in r.verdicts],
        "warnings": r.warnings,
    }


def test_the_generator_makes_int64_overflow_and_long_runs() -> None:
    """The random programs below do reach what they are for: Python-int arithmetic, slots
    wider than 63 bits, and runs through several states with both."""
    seen = {"programs": 0, "python ints": 0, "wide slots": 0, "3+ states with python ints": 0}

    # derandomized: a fixed sample, so that the counts below are not a matter of luck
    @settings(max_examples=150, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(WIDE)
    def sample(program: Program) -> None:
        bp = BatchProgram(program)
        seen["programs"] += 1
        seen["python ints"] += bool(bp.exact_nodes)
        seen["wide slots"] += bool(bp.layout.wide)
        if bp.exact_nodes:
            r = check(program, CheckOptions(engine="batch", max_depth=5, stop_at_first=False))
            seen["3+ states with python ints"] += r.stats.distinct_states >= 3

    sample()
    n = seen["programs"]
    assert seen["python ints"] >= n // 4 and seen["wide slots"] >= n // 20, seen
    assert seen["3+ states with python ints"] >= 5, seen


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(WIDE, st.integers(1, 6), st.booleans(), st.booleans())
def test_wide_random_programs_agree_with_the_scalar_engine_and_the_reference(
    program: Program, depth: int, keep_going: bool, deadlock: bool
) -> None:
    kw: dict[str, Any] = {"deadlock": deadlock, "stop_at_first": not keep_going, "max_depth": depth}
    scalar = check(program, CheckOptions(engine="scalar", **kw))
    batch = check(program, CheckOptions(engine="batch", **kw))
    assert full_summary(batch) == full_summary(scalar)
    if not keep_going:
        return
    ref = reference_bfs(program, depth + 1)  # max_depth counts steps; the reference counts levels
    if ref is None or scalar.stats.stop_reason == "error":
        return  # a model run-time error: compared with the scalar engine above
    kinds = {q.name: q.kind for q in program.properties} | {"domain": "domain"}
    violated = sorted(v.property for v in scalar.verdicts
                      if v.status == VIOLATED and kinds.get(v.property) in ("invariant", "action", "domain"))
    assert {"distinct": scalar.stats.distinct_states, "violated": violated} == ref


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(WIDE, st.integers(1, 6))
def test_wide_random_programs_agree_with_two_workers(program: Program, depth: int) -> None:
    kw: dict[str, Any] = {"deadlock": True, "stop_at_first": False, "max_depth": depth}
    scalar = full_summary(check(program, CheckOptions(engine="scalar", **kw)))
    batch = full_summary(check(program, CheckOptions(engine="batch", workers=2, chunk_rows=2, **kw)))
    assert batch == scalar
