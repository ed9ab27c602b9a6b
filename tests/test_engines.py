"""Every engine gives one meaning to one model.

Every exhaustive explicit-state engine the contract (`replicheck.engines`) allows for a model
runs it: scalar BFS, DFS, the batch engine with one and with two processes. They must agree
on the distinct states and on every verdict; BFS and the batch engine (both shortest) on the
length of every counterexample, and DFS on which properties are violated. Then the bounded
and random engines are checked against them: BMC to the BFS depth finds exactly the violated
invariants and action properties (none it calls violated holds), and every violation
simulate reports is one BFS reports. Models: the fixtures and every shipped model and
variant at its default size (ebs.remirror at tests/sizes.py's). The scalar BFS run both tests
compare with is made once (tests/reference_runs.py).
"""

from __future__ import annotations

from typing import Any

import pytest

import replicheck as r
from replicheck.engines import ENGINES, explicit_engine, refusals
from replicheck.lang import Model
from replicheck.registry import discover
from replicheck.symbolic import bmc
from tests.explore import fixtures
from tests.reference_runs import bfs_continue
from tests.sizes import TEST_SIZES

FIXTURES = [fixtures.Counter, fixtures.Overflow, fixtures.NoneRead, fixtures.Steps]
TARGETS = [pytest.param(cls, None, {}, id=f"fixture-{cls.__name__}") for cls in FIXTURES] + [
    pytest.param(info.cls, variant, TEST_SIZES.get(name, {}), id=f"{name}-{variant}")
    for name, info in discover().items()
    for variant in (list(info.cls.variants) or [None])
]

EXPLICIT: dict[str, dict[str, Any]] = {
    "bfs": {"engine": "scalar", "strategy": "bfs"},
    "dfs": {"engine": "scalar", "strategy": "dfs"},
    "batch": {"engine": "batch"},
    "batch-2": {"engine": "batch", "workers": 2},
}


def allowed(model: Model, options: dict[str, Any]) -> bool:
    program = model.compile()
    name = explicit_engine(options["engine"], options.get("strategy", "bfs"))
    assert ENGINES[name].exhaustive
    return not refusals(name, {"constraint": bool(program.of_kind("constraint")), "workers": options.get("workers", 1)})


def safety(res: r.Result) -> dict[str, str]:
    return {k: v for k, v in res.verdicts.items() if k in {v.property for v in res.details.verdicts if v.kind != "liveness"}}


@pytest.mark.slow
@pytest.mark.parametrize(("cls", "variant", "settings"), TARGETS)
def test_the_exhaustive_engines_agree(cls: type[Model], variant: str | None, settings: dict[str, Any]) -> None:
    model = cls(variant=variant, **settings)
    runs = {name: bfs_continue(cls, variant, settings) if name == "bfs" else
            r.check(cls, variant=variant, settings=settings, stop_at_first=False, liveness=False, **opts)
            for name, opts in EXPLICIT.items() if allowed(model, opts)}
    assert "bfs" in runs and "batch" in runs
    reference = runs["bfs"]
    for name, res in runs.items():
        if res.stats.complete and reference.stats.complete:  # a run a model error stopped counts what it saw
            assert res.stats.distinct_states == reference.stats.distinct_states, name
        assert safety(res) == safety(reference), name
        if ENGINES[explicit_engine(EXPLICIT[name]["engine"], EXPLICIT[name].get("strategy", "bfs"))].shortest:
            assert {k: len(t) for k, t in res.traces.items()} == {k: len(t) for k, t in reference.traces.items()}, name


@pytest.mark.slow
@pytest.mark.parametrize(("cls", "variant", "settings"), TARGETS)
def test_bmc_and_simulate_agree_with_bfs(cls: type[Model], variant: str | None, settings: dict[str, Any]) -> None:
    reference = bfs_continue(cls, variant, settings)  # the run the test above compares with
    violated = {v.property for v in reference.violations() if v.kind in ("invariant", "action")}
    program = cls(variant=variant, **settings).compile()
    if reference.stats.depth <= 8 and program.properties:  # BMC to the full depth, within seconds
        kinds = {p.name: p.kind for p in program.properties}
        names = [n for n, k in kinds.items() if k in ("invariant", "action")]
        if names:
            bounded = r.Result(bmc(program, reference.stats.depth, invariants=names, timeout=60))
            found = {v.property for v in bounded.violations() if v.property in kinds}
            if not any(v.kind in ("domain", "error") for v in reference.violations()):
                assert found == violated
            for name in found:  # shortest, as BFS's
                assert len(bounded.traces[name]) == len(reference.traces[name])
    walk = r.simulate(cls, variant=variant, settings=settings, runs=200, depth=30, seed=0)
    for v in walk.violations():
        assert v.property in reference.verdicts and reference.verdicts[v.property] == "violated", v.property


def test_docs_show_the_declared_capabilities() -> None:
    from pathlib import Path

    from replicheck.engines import capability_table

    doc = (Path(__file__).resolve().parent.parent / "docs" / "engines.md").read_text(encoding="utf-8")
    assert capability_table() in doc, "docs/engines.md: paste replicheck.engines.capability_table() again"
