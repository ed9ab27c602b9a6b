"""`replicheck prove`: engines, defaults, exit codes, renderers and one-line usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replicheck.explore import CheckOptions, check
from replicheck.registry import load
from replicheck.report.results import VIOLATED
from replicheck.symbolic import bmc, check_inductive

from .helpers import assert_one_line_error, run


def verdict_line(out: str, prop: str) -> str:
    return next(line for line in out.splitlines() if line.strip().startswith(prop + " "))


# -- inductive proofs of the incident models --------------------------------------------------


@pytest.mark.parametrize("variant", ["fixed", "as_2011"])
def test_multi_az_safety_is_proved_inductive(capsys: pytest.CaptureFixture[str], variant: str) -> None:
    code, out, _ = run(capsys, "prove", "rds.multi_az", "--variant", variant, "--inductive")
    assert code == 0, out
    for prop in ("no_committed_loss", "single_writer"):
        assert "holds" in verdict_line(out, prop)
    assert "proved in" in out


def test_election_authority_is_proved_inductive(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prove", "ebs.election", "--variant", "authority", "--inductive")
    assert code == 0, out
    assert "holds" in verdict_line(out, "single_primary")
    assert "holds" in verdict_line(out, "no_acked_write_lost")
    assert "proved in" in out and "s:" in out


@pytest.mark.slow
def test_election_proof_scales_past_the_explicit_checker(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prove", "ebs.election", "--variant", "authority", "--set", "Node=5",
                       "--set", "Volume=3", "--inductive")
    assert code == 0, out
    assert "Node=5, Volume=3" in out


def test_the_helpers_are_needed() -> None:
    """Without the strengthening invariants the safety properties are not inductive, so the
    proof above really rests on them."""
    for name, variant, props in (
        ("ebs.election", "authority", ["single_primary", "no_acked_write_lost"]),
        ("rds.multi_az", "fixed", ["no_committed_loss", "single_writer"]),
    ):
        program = load(name).cls(variant=variant).compile()
        assert not check_inductive(program, props).proved


@pytest.mark.parametrize(
    ("model", "variants"),
    [("ebs.election", ["authority", "self_promote", "stale_promotion", "no_fencing", "cp_unreachable"]),
     ("rds.multi_az", ["naive_failover", "as_2011", "fixed"])],
)
def test_every_helper_holds_wherever_the_real_properties_hold(model: str, variants: list[str]) -> None:
    """A helper must be true of the model: the explicit checker checks every helper in every
    variant whose real safety properties all hold."""
    cls = load(model).cls
    for variant in variants:
        program = cls(variant=variant).compile()
        result = check(program, CheckOptions(stop_at_first=False, deadlock=False))
        verdicts = {v.property: v for v in result.verdicts}
        real = [p.name for p in program.invariants() if not p.strengthening]
        helpers = [p.name for p in program.invariants() if p.strengthening]
        assert helpers
        if all(verdicts[n].status != VIOLATED for n in real):
            assert [h for h in helpers if verdicts[h].status == VIOLATED] == [], variant


# -- the lost-commit story --------------------------------------------------------------------


def test_naive_failover_bmc_tells_the_same_story_as_the_explicit_checker() -> None:
    program = load("rds.multi_az").cls(variant="naive_failover").compile()
    bfs = check(program, CheckOptions(deadlock=False, only=frozenset({"no_committed_loss"})))
    sym = bmc(program, 12, ["no_committed_loss"])
    b = next(v for v in bfs.verdicts if v.property == "no_committed_loss")
    s = next(v for v in sym.verdicts if v.property == "no_committed_loss")
    assert b.status == s.status == VIOLATED
    assert b.trace is not None and s.trace is not None
    # both shortest: the same length, the same actions in the same order
    assert len(s.trace) == len(b.trace) == 4
    families = [step.action for step in b.trace.steps]
    assert [step.action for step in s.trace.steps] == families
    assert families == ["init", "partition", "commit", "stick", "failover"]
    # several shortest traces exist (partition(a, b) and partition(b, a) cut the same link, and
    # the replicas are symmetric); when both start alike, they end in the same state
    if s.trace.steps[0] == b.trace.steps[0]:
        assert s.trace.steps[-1].state == b.trace.steps[-1].state
        assert [st.label for st in s.trace.steps[2:]] == [st.label for st in b.trace.steps[2:]]


def test_naive_failover_story_on_the_command_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "lost.itf.json"
    code, out, _ = run(capsys, "prove", "rds.multi_az", "--variant", "naive_failover", "--bmc", "12",
                       "--only", "no_committed_loss", "--trace-out", str(out_file))
    assert code == 1, out
    steps = [line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Step ")]
    assert [s.split("(")[0] for s in steps] == ["init", "partition", "commit", "stick", "failover"]
    assert "Violated: no_committed_loss" in out
    assert out_file.exists()
    code, out, _ = run(capsys, "report", str(out_file))
    assert code == 0 and "failover" in out


# -- engines and defaults ------------------------------------------------------------------------


def test_default_is_inductive_when_the_model_has_helpers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prove", "rds.multi_az", "--variant", "fixed")
    assert code == 0
    assert out.splitlines()[0].startswith("prove rds.multi_az: inductive invariant check (the default")


def test_default_is_bmc_10_without_helpers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prove", "classic.die_hard")
    assert code == 1
    assert "bounded model checking to depth 10 (the default" in out.splitlines()[0]
    assert "trace of 6 steps" in verdict_line(out, "big_is_not_4")
    assert "not a proof" in verdict_line(out, "type_ok")


def test_bounded_without_violation_is_incomplete(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prove", "classic.die_hard", "--bmc", "5")
    assert code == 3
    assert "no violation within 5 steps" in out


def test_not_inductive_shows_the_failing_actions(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prove", "classic.two_phase", "--inductive")
    assert code == 3
    assert "Counterexamples to induction" in out
    assert "rm_choose_to_abort(rm=r1) breaks tc_consistent" in out
    assert "pre-state" in out and "post-state" in out
    assert "rm_state[r1]: working -> aborted" in out
    assert "not proved (not inductive)" in out


def test_k_induction_proves_and_refutes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prove", "classic.die_hard", "--k-induction", "2", "--only", "type_ok")
    assert code == 0, out
    code, out, _ = run(capsys, "prove", "classic.die_hard", "--k-induction", "8", "--only", "big_is_not_4")
    assert code == 1
    assert "Counterexample to big_is_not_4 (6 steps)" in out


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prove", "classic.two_phase", "--inductive", "--json")
    assert code == 3
    data = json.loads(out)
    assert data["exit_code"] == 3
    assert data["prove"]["engine"] == "inductive" and data["prove"]["status"] == "unknown"
    failure = data["prove"]["failures"][0]
    assert failure["action"].startswith("rm_") and failure["pre"] and failure["post"]
    code, out, _ = run(capsys, "prove", "rds.multi_az", "--variant", "fixed", "--json")
    data = json.loads(out)
    assert code == 0 and data["prove"]["status"] == "proved" and data["prove"]["default"] is True
    assert "exactly_one_primary" in data["prove"]["helpers"]


def test_markdown_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prove", "rds.multi_az", "--variant", "fixed", "--format", "md")
    assert code == 0
    assert "| Property |" in out and "**proved in" in out


def test_timeout_is_incomplete(capsys: pytest.CaptureFixture[str]) -> None:
    # 0.001 s runs out while the model is traced (limits apply in every phase), which says so
    code, out, err = run(capsys, "prove", "ebs.election", "--variant", "authority", "--set", "Node=4",
                         "--inductive", "--timeout", "0.001")
    assert code == 3, out + err
    assert "prove --timeout) ran out while tracing" in err


# -- usage errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["prove", "no.such_model"],
        ["prove", "classic.die_hard", "--bmc", "3", "--inductive"],
        ["prove", "classic.die_hard", "--bmc", "-1"],
        ["prove", "classic.die_hard", "--k-induction", "0"],
        ["prove", "classic.die_hard", "--only", "nope"],
        ["prove", "ebs.election", "--only", "epochs_monotonic", "--inductive"],
        ["prove", "ebs.election", "--only", "eventually_writable", "--bmc", "3"],
        ["prove", "rds.multi_az", "--variant", "nope"],
        ["prove", "classic.two_phase", "--set", "RM=x"],
        ["prove", "classic.die_hard", "--timeout", "0"],
    ],
)
def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert_one_line_error(err)


def test_action_property_error_says_what_to_use(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = run(capsys, "prove", "ebs.election", "--only", "epochs_monotonic", "--inductive")
    assert "action property" in err and "--bmc" in err
