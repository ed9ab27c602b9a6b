"""BMC against the explicit checker on every classic model and every variant of the incident
models (at small sizes): BMC finds each violation at exactly the depth where breadth-first
search finds its shortest one, and finds none within the explicit checker's full depth where
the explicit checker says the property holds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from replicheck.explore import CheckOptions, check
from replicheck.ir import Program
from replicheck.registry import load
from replicheck.report.results import HOLDS, VACUOUS, VIOLATED, CheckResult
from replicheck.symbolic import bmc

# Small settings for the election, so that BMC reaches the explicit checker's full depth fast.
SMALL_ELECTION = {"Node": 2, "fault_budget": 1, "max_epoch": 2, "max_writes": 1}


@dataclass(frozen=True)
class Case:
    model: str
    variant: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    slow: bool = False

    @property
    def id(self) -> str:
        return f"{self.model}-{self.variant or 'default'}"


CASES = [
    Case("classic.die_hard"),
    Case("classic.tcommit"),
    Case("classic.two_phase", settings={"RM": 2}),
    Case("classic.paxos_voting"),
    Case("rds.multi_az", "naive_failover"),
    Case("rds.multi_az", "as_2011"),
    Case("rds.multi_az", "fixed"),
    Case("ebs.election", "authority", SMALL_ELECTION),
    Case("ebs.election", "self_promote", SMALL_ELECTION),
    Case("ebs.election", "stale_promotion", SMALL_ELECTION),
    Case("ebs.election", "no_fencing", SMALL_ELECTION),
    Case("ebs.election", "cp_unreachable", SMALL_ELECTION),
]


def _program(case: Case) -> Program:
    info = load(case.model)
    return info.cls(variant=case.variant, **case.settings).compile()


def _checked(program: Program) -> list[str]:
    return [p.name for p in program.properties if p.kind in ("invariant", "action", "reachable")]


def compare(explicit: CheckResult, symbolic: CheckResult, names: list[str]) -> list[str]:
    """Every disagreement between the two engines, as text (empty when they agree)."""
    bfs = {v.property: v for v in explicit.verdicts}
    sym = {v.property: v for v in symbolic.verdicts}
    problems: list[str] = []
    for name in names:
        b, s = bfs[name], sym[name]
        if b.status == VIOLATED or (b.kind == "reachable" and b.status == HOLDS):
            # a violation (or a reached target): same shortest length
            assert b.trace is not None
            want = len(b.trace)
            if s.status != b.status or s.trace is None:
                problems.append(f"{name}: BFS {b.status} after {want} steps, BMC {s.status}")
            elif len(s.trace) != want:
                problems.append(f"{name}: BFS shortest trace has {want} steps, BMC's {len(s.trace)}")
        elif b.status in (HOLDS, VACUOUS):
            if s.status == VIOLATED or (b.status == VACUOUS and s.status == HOLDS):
                problems.append(f"{name}: BFS says {b.status}, BMC says {s.status}")
        else:
            problems.append(f"{name}: the explicit check is {b.status}")
    return problems


def run_both(program: Program) -> tuple[CheckResult, CheckResult, list[str]]:
    explicit = check(program, CheckOptions(stop_at_first=False, deadlock=False))
    assert explicit.stats.complete, explicit.stats.stop_reason
    names = _checked(program)
    # the explicit checker's depth counts state levels (the initial states are 1): its full
    # depth in steps is one less
    symbolic = bmc(program, explicit.stats.depth - 1, names)
    return explicit, symbolic, names


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.id, marks=[pytest.mark.slow] if c.slow else []) for c in CASES]
)
def test_bmc_agrees_with_breadth_first_search(case: Case) -> None:
    program = _program(case)
    explicit, symbolic, names = run_both(program)
    assert compare(explicit, symbolic, names) == []
    # and BMC is honest about its bound: a property it did not refute is never a HOLDS
    # unless it exhausted the state space
    for v in symbolic.verdicts:
        if v.status == HOLDS and v.kind != "reachable":
            assert symbolic.stats.complete and symbolic.stats.stop_reason == "exhausted"


def test_the_cases_include_violations_and_properties_that_hold() -> None:
    """The cross-check is not vacuous: the fast cases contain both kinds of verdicts."""
    violated, held = 0, 0
    for case in CASES:
        if case.slow or case.model == "ebs.election":
            continue
        explicit = check(_program(case), CheckOptions(stop_at_first=False, deadlock=False))
        violated += sum(v.status == VIOLATED for v in explicit.verdicts)
        held += sum(v.status == HOLDS and v.kind == "invariant" for v in explicit.verdicts)
    assert violated >= 2 and held >= 5


def test_compare_reports_a_wrong_depth() -> None:
    """The comparison itself can fail: a BMC run cut one step short of the shortest
    violation, or one that 'finds' a violation the explicit checker says is impossible."""
    program = _program(Case("classic.die_hard"))
    explicit = check(program, CheckOptions(stop_at_first=False, deadlock=False))
    short = bmc(program, 5)
    problems = compare(explicit, short, ["big_is_not_4"])
    assert problems and "BMC incomplete" in problems[0]
    fake = CheckResult(explicit.model, explicit.settings, explicit.variant,
                       [v if v.property != "type_ok" else type(v)("type_ok", "invariant", VIOLATED)
                        for v in short.verdicts])
    assert compare(explicit, fake, ["type_ok"]) == ["type_ok: BFS says holds, BMC says violated"]
