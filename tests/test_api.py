"""The public API (`import replicheck`): the same runs as the CLI, a result people can read.

The CLI is the reference here: `replicheck check --json` on the same model and variant must
give the same verdicts as `replicheck.check`, because the API promises to run what the CLI
runs (safety, measures, liveness, the model's own deadlock setting).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis.reporting import with_reporter

import replicheck as r
from replicheck.models.classic.die_hard import DieHard
from replicheck.models.rds.multi_az import MultiAZ
from replicheck.registry import discover
from tests.cli.helpers import run


class Countdown(r.Model):
    """Counts x down to 0, where the run ends: a deadlock, unless the model says it terminates."""

    name = "test.countdown"
    check_deadlock = False
    x = r.Range(0, 2, init=2)

    @r.action
    def tick(self, s):
        r.require(s.x > 0)
        s.x = s.x - 1

    @r.invariant
    def in_range(self, s):
        return s.x >= 0


def test_the_top_package_exports_the_language_and_the_runs() -> None:
    for name in ("Model", "Sort", "Enum", "Map", "action", "invariant", "liveness", "check", "prove", "simulate",
                 "assert_holds", "Result"):
        assert name in r.__all__ and hasattr(r, name)
    assert set(r.__all__) >= set(__import__("replicheck.lang", fromlist=["__all__"]).__all__)


def test_check_reports_the_liveness_violation_the_cli_reports(capsys: pytest.CaptureFixture[str]) -> None:
    res = r.check(MultiAZ, variant="as_2011")
    code, out, _ = run(capsys, "check", "rds.multi_az", "--variant", "as_2011", "--json")
    cli = {v["property"]: v["status"] for v in json.loads(out)["verdicts"]}
    liveness = [p.name for p in MultiAZ(variant="as_2011").compile().liveness()]
    assert liveness and all(res.verdicts[name] == "violated" for name in liveness)
    assert res.verdicts == cli
    assert not res.ok and res.exit_code == code == 1
    assert res.traces[liveness[0]].loop_start is not None  # a lasso


def test_a_model_can_be_named_as_the_cli_names_it() -> None:
    by_name = r.check("rds.multi_az", variant="as_2011")
    by_class = r.check(MultiAZ, variant="as_2011")
    by_instance = r.check(MultiAZ(variant="as_2011"))
    assert by_name.verdicts == by_class.verdicts == by_instance.verdicts
    assert by_name.stats.distinct_states == by_instance.stats.distinct_states


def test_check_honours_the_models_own_deadlock_setting() -> None:
    assert r.check(Countdown).ok  # x == 0 ends the run: the model says runs may end
    forced = r.check(Countdown, deadlock=True)
    assert forced.verdicts["deadlock"] == "violated"
    assert len(forced.traces["deadlock"]) == 2  # tick, tick: x = 2 -> 1 -> 0


def test_assert_holds_raises_with_the_rendered_counterexample() -> None:
    with pytest.raises(AssertionError) as failure:
        r.assert_holds(DieHard)
    message = str(failure.value)
    assert "Counterexample to big_is_not_4 (6 steps)" in message
    assert "Violated: big_is_not_4" in message
    assert r.assert_holds(Countdown).ok


def test_a_result_prints_in_one_short_line() -> None:
    res = r.check(DieHard)
    text = repr(res)
    assert "\n" not in text and len(text) < 200
    assert "classic.die_hard" in text and "violated" in text and "big_is_not_4" in text
    verdict = res.details.first_violation()
    assert verdict is not None and len(repr(verdict)) < 300
    trace = res.counterexample
    assert trace is not None and len(repr(trace)) < 400
    assert repr(trace).count("big_to_small") == 3  # the six steps of the published solution


def test_a_failing_hypothesis_example_prints_a_short_trace() -> None:
    from replicheck.stateful import traces

    @settings(max_examples=200, database=None, derandomize=True)
    @given(traces(DieHard(), max_steps=6))
    def big_never_full_after_two_steps(t: r.Trace) -> None:
        assert t.decoded(len(t.steps) - 1)["big"] != 5 or len(t) < 2

    printed: list[str] = []
    with with_reporter(printed.append), pytest.raises(AssertionError) as failure:
        big_never_full_after_two_steps()
    shown = "\n".join(printed + list(getattr(failure.value, "__notes__", [])))
    assert "<Trace classic.die_hard" in shown and "big=5" in shown
    assert len(shown.splitlines()) <= 12, shown


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"engine": "batch", "strategy": "dfs"}, "breadth-first"),
        ({"workers": 2}, "--engine batch"),
        ({"engine": "gpu"}, "engine is one of"),
        ({"only": ["nope"]}, "no property 'nope'"),
        ({"unreduced": True}, "--symmetry"),
    ],
)
def test_options_that_do_not_go_together_are_refused(options: dict[str, object], fragment: str) -> None:
    with pytest.raises(r.OptionError, match=fragment):
        r.check(DieHard, **options)


def test_an_instance_cannot_be_given_a_variant_again() -> None:
    with pytest.raises(r.OptionError, match="instantiated"):
        r.check(MultiAZ(), variant="as_2011")


def test_prove_runs_the_engine_the_cli_would_choose(capsys: pytest.CaptureFixture[str]) -> None:
    res = r.prove(DieHard, bmc=6)
    assert res.proof is not None and res.proof.engine == "bmc" and res.proof.bound == 6
    assert res.verdicts["big_is_not_4"] == "violated" and len(res.traces["big_is_not_4"]) == 6
    code, out, _ = run(capsys, "prove", "classic.die_hard", "--bmc", "6", "--json")
    assert res.exit_code == code == json.loads(out)["exit_code"] == 1


def test_simulate_exit_code_is_the_one_its_json_states(capsys: pytest.CaptureFixture[str]) -> None:
    found = r.simulate(DieHard, runs=200, depth=20, seed=4)  # a seed that finds it (in run 17)
    assert found.verdicts["big_is_not_4"] == "violated" and found.exit_code == 1
    quiet = r.simulate(Countdown, runs=5, depth=5)
    assert quiet.exit_code == 0 and quiet.status == "incomplete"  # nothing found is not a proof
    code, out, _ = run(capsys, "simulate", "classic.tcommit", "--runs", "20", "--json")
    assert code == json.loads(out)["exit_code"] == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in discover() if not n.startswith("ebs.")] + ["ebs.election"])
def test_every_variant_gives_the_clis_verdicts(capsys: pytest.CaptureFixture[str], name: str) -> None:
    info = discover()[name]
    for variant in [None, *info.cls.variants]:
        res = r.check(name, variant=variant)
        argv = ["check", name, "--json"] + (["--variant", variant] if variant else [])
        code, out, _ = run(capsys, *argv)
        data = json.loads(out)
        assert res.verdicts == {v["property"]: v["status"] for v in data["verdicts"]}, (name, variant)
        assert res.stats.distinct_states == data["stats"]["distinct_states"]
        assert res.exit_code == code


def test_no_submodule_shadows_a_run_of_the_same_name() -> None:
    import importlib
    import pkgutil

    import replicheck

    submodules = {m.name for m in pkgutil.iter_modules(replicheck.__path__)}
    assert not submodules & set(r.__all__)
    importlib.import_module("replicheck.simulation")
    assert callable(r.simulate) and callable(r.check) and callable(r.prove)
