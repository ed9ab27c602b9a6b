"""replicheck.simulation and `replicheck simulate`: determinism, shrinking, swarm, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replicheck.backends import reference as R
from replicheck.backends.compiled import compile_program
from replicheck.cli import main
from replicheck.explore.traces import replay_path
from replicheck.models.classic.die_hard import DieHard
from replicheck.models.ebs.election import Election
from replicheck.simulation import Found, Shrinker, SimulateOptions, Target, _Checks, simulate

NO_FENCING = Election(variant="no_fencing").compile()


def labels(sim: object) -> list[str]:
    v = sim.result.first_violation()  # type: ignore[attr-defined]
    assert v is not None and v.trace is not None
    return [s.label for s in v.trace.steps]


def test_finds_and_shrinks_the_no_fencing_violation() -> None:
    sim = simulate(NO_FENCING, SimulateOptions(runs=500, seed=0))  # a seed that finds it within 500 runs (in run 47)
    v = sim.result.first_violation()
    assert v is not None and v.trace is not None
    assert v.property in ("single_primary", "no_acked_write_lost")
    # BFS: 8 steps for single_primary, 9 for no_acked_write_lost
    assert len(v.trace) <= 9
    assert sim.shrunk_steps == len(v.trace) <= (sim.original_steps or 0)
    prop = next(p for p in NO_FENCING.properties if p.name == v.property)
    assert not R.holds(prop.expr, v.trace.steps[-1].state)
    replay_path(NO_FENCING, [s.state for s in v.trace.steps])


def test_same_seed_same_result_other_seed_other_walks() -> None:
    a = simulate(NO_FENCING, SimulateOptions(runs=300, seed=4, shrink=False))
    b = simulate(NO_FENCING, SimulateOptions(runs=300, seed=4, shrink=False))
    c = simulate(NO_FENCING, SimulateOptions(runs=300, seed=5, shrink=False))
    assert a.found_in_run == b.found_in_run and a.steps == b.steps
    if a.violated:
        assert labels(a) == labels(b)
    assert (a.found_in_run, a.steps) != (c.found_in_run, c.steps)


def test_shrinking_keeps_the_property_and_never_lengthens() -> None:
    program = NO_FENCING
    for seed in range(3):
        raw = simulate(program, SimulateOptions(runs=2000, seed=seed, shrink=False))
        if not raw.violated:
            continue
        v = raw.result.first_violation()
        assert v is not None and v.trace is not None
        compiled = compile_program(program)
        k = next(i for i, p in enumerate(program.properties) if p.name == v.property)
        checks = _Checks(program, compiled, [k], [])
        by_label = {a.label: i for i, a in enumerate(program.actions)}
        actions = [by_label[s.label] for s in v.trace.steps[1:]]
        found = Found(Target("invariant", v.property, k), v.trace.steps[0].state, actions, 0)
        shrunk = Shrinker(program, compiled, checks, found.target).shrink(found)
        assert len(shrunk.actions) <= len(actions)
        state = shrunk.init
        for ai in shrunk.actions:
            nxt = R.fire(program.actions[ai], state)
            assert nxt is not None
            state = nxt
        assert not R.holds(program.properties[k].expr, state)


def test_swarm_runs_and_reports_its_families() -> None:
    sim = simulate(DieHard().compile(), SimulateOptions(runs=300, seed=2, swarm=True))
    assert sim.violated
    v = sim.result.first_violation()
    assert v is not None and v.property == "big_is_not_4" and v.trace is not None
    assert len(v.trace) == 6  # TLC's shortest solution
    assert sim.families and set(sim.families[0]) >= {"fill_big", "big_to_small"}


def test_nothing_found_is_not_a_proof() -> None:
    sim = simulate(Election(variant="authority").compile(), SimulateOptions(runs=50, seed=0))
    assert not sim.violated
    assert "this is not a proof" in sim.summary()
    assert all(v.status == "incomplete" for v in sim.result.verdicts)


# -- the command line -----------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_violation_exit_1_and_trace_out(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "t.itf.json"
    code, out, _ = run(capsys, "simulate", "ebs.election", "--variant", "no_fencing", "--runs", "500",
                       "--seed", "7", "--trace-out", str(out_file), "-q")
    assert code == 1
    assert "Counterexample to" in out and "shrunk from" in out
    assert out_file.exists()
    code, out, _ = run(capsys, "report", str(out_file))
    assert code == 0 and "Step 1: create_volume" in out


def test_cli_nothing_found_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "simulate", "ebs.election", "--runs", "30", "-q")
    assert code == 0
    assert "no violation found in 30 runs" in out and "this is not a proof" in out


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "simulate", "classic.die_hard", "--runs", "300", "--seed", "3", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["simulation"]["shrunk_steps"] == 6
    assert data["simulation"]["seed"] == 3


def test_cli_unknown_property_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "simulate", "ebs.election", "--only", "nope")
    assert code == 2
    assert err.startswith("replicheck: error:") and len(err.strip().splitlines()) == 1
