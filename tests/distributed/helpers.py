"""What the distributed tests compare: a run's counts, verdicts and counterexamples."""

from __future__ import annotations

from typing import Any

from replicheck.registry import discover
from replicheck.report.results import CheckResult
from tests.explore import fixtures
from tests.sizes import TEST_SIZES

FIXTURES = [fixtures.Counter, fixtures.Overflow, fixtures.NoneRead, fixtures.Steps]


def targets() -> list[tuple[str, Any, str | None, dict[str, Any]]]:
    out: list[tuple[str, Any, str | None, dict[str, Any]]] = [(f"fixture-{c.__name__}", c, None, {}) for c in FIXTURES]
    out += [(f"{n}-{v}", i.cls, v, TEST_SIZES.get(n, {})) for n, i in discover().items() for v in (list(i.cls.variants) or [None])]
    return out


def summary(r: CheckResult) -> tuple[Any, ...]:
    """Everything the ray engine must give as the batch engine does: the counts, the depth, why
    it stopped, and each verdict with its message and its trace, step by step."""
    st = r.stats
    return (st.distinct_states, st.transitions, st.depth, st.complete, st.stop_reason, st.constrained_states,
            [(v.property, v.status, v.message, v.trace.steps if v.trace is not None else None) for v in r.verdicts])
