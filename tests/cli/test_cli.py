"""The command line as a user meets it: exit codes, one-line errors, published counts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import assert_one_line_error, run

# -- list ---------------------------------------------------------------------------------


def test_list_names_every_classic_model_with_its_sorts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    for name in ("classic.die_hard", "classic.tcommit", "classic.two_phase"):
        assert name in out
    assert "RM=3 (symmetric)" in out


def test_list_json_is_machine_readable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)["models"]}
    assert rows["classic.two_phase"]["sorts"]["RM"]["default"] == 3


# -- check: published TLC numbers ---------------------------------------------------------


def test_two_phase_commit_with_three_managers_has_288_states(capsys: pytest.CaptureFixture[str]) -> None:
    # TLC on the TwoPhase spec of the TLA+ examples, RM = {r1, r2, r3}: 288 distinct states.
    code, out, _ = run(capsys, "check", "classic.two_phase", "--set", "RM=3", "-q")
    assert code == 0
    assert "288" in out


def test_check_json_gives_the_same_figures(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "classic.two_phase", "--set", "RM=3", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["stats"]["distinct_states"] == 288
    assert data["stats"]["depth"] == 11  # TLC's depth, the initial state counted as 1
    assert data["status"] == "holds"


def test_die_hard_is_violated_by_a_six_step_trace(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    trace_file = tmp_path / "diehard.itf.json"
    code, out, _ = run(capsys, "check", "classic.die_hard", "--trace-out", str(trace_file), "-q")
    assert code == 1
    assert "big_is_not_4" in out
    assert "Step 6" in out and "Step 7" not in out
    # The ITF file holds the initial state plus six steps, and ends with big = 4.
    data = json.loads(trace_file.read_text())
    assert len(data["states"]) == 7
    assert data["states"][-1]["big"] == {"#bigint": "4"}


def test_a_trace_shows_only_what_changed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "classic.die_hard", "-q")
    assert code == 1
    step1 = out.split("Step 1")[1].split("Step 2")[0]
    # Every shortest solution starts by filling one jug: exactly one variable changes.
    assert ("big" in step1) != ("small" in step1), step1


def test_a_saved_trace_replays(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    trace_file = tmp_path / "t.itf.json"
    run(capsys, "check", "classic.die_hard", "--trace-out", str(trace_file), "-q")
    code, out, err = run(capsys, "report", str(trace_file))
    assert code == 0, err
    assert "Step 6" in out
    code, out, _ = run(capsys, "report", str(trace_file), "--format", "md")
    assert code == 0 and "|" in out


def test_skipping_the_puzzle_invariant_leaves_sixteen_states(capsys: pytest.CaptureFixture[str]) -> None:
    # TLC: DieHard without the NotSolved invariant has 16 distinct states.
    code, out, _ = run(capsys, "check", "classic.die_hard", "--skip", "big_is_not_4", "--json")
    assert code == 0
    assert json.loads(out)["stats"]["distinct_states"] == 16


def test_a_state_limit_gives_incomplete_and_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "classic.two_phase", "--max-states", "50", "--json")
    assert code == 3
    data = json.loads(out)
    assert data["status"] == "incomplete"
    assert data["stats"]["complete"] is False


def test_the_batch_engine_on_two_processes_reports_its_store_and_processes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "classic.two_phase", "--set", "RM=5", "--engine", "batch",
                       "--workers", "2", "--store", "fingerprint")
    assert code == 0
    assert "8,832" in out  # the scalar engine's count (tests/explore/test_batch.py compares them)
    assert "workers" in out and "2 processes" in out
    assert "peak memory" in out and "both processes" in out


def test_variants_can_be_named_with_dashes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "rds.multi_az", "--variant", "naive-failover", "-q")
    assert code == 1
    assert "no_committed_loss" in out


# -- bad input: one line, exit 2 ----------------------------------------------------------


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["check", "classic.no_such_model"], "unknown model"),
        (["check", "classic.die_hrd"], "did you mean classic.die_hard"),
        (["check", "classic.die_hard", "--variant", "nope"], "no variant 'nope'"),
        (["check", "classic.two_phase", "--set", "RM"], "NAME=VALUE"),
        (["check", "classic.two_phase", "--set", "RM=three"], "whole number"),
        (["check", "classic.two_phase", "--set", "RM=0"], "at least 1"),
        (["check", "classic.two_phase", "--set", "Nodes=3"], "no such setting"),
        (["check", "classic.die_hard", "--only", "nope"], "no property 'nope'"),
        (["check", "classic.die_hard", "--max-states", "-5"], "--max-states"),
        (["frobnicate"], "invalid choice"),
        (["check", "classic.two_phase", "--engine", "batch", "--workers", "3"], "at most 2 processes"),
        (["check", "classic.two_phase", "--workers", "2"], "add --engine batch"),
    ],
)
def test_bad_input_gets_one_clear_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert_one_line_error(err)
    assert fragment in err


def test_a_corrupt_trace_file_is_rejected_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.itf.json"
    bad.write_text("{ this is not json")
    code, _, err = run(capsys, "report", str(bad))
    assert code == 2
    assert_one_line_error(err)


def test_a_tampered_trace_is_rejected_with_the_reason(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    trace_file = tmp_path / "t.itf.json"
    run(capsys, "check", "classic.die_hard", "--trace-out", str(trace_file), "-q")
    data = json.loads(trace_file.read_text())
    data["states"][3]["big"] = {"#bigint": "1"} if data["states"][3]["big"] != {"#bigint": "1"} else {"#bigint": "2"}
    trace_file.write_text(json.dumps(data))
    code, _, err = run(capsys, "report", str(trace_file))
    assert code == 2
    assert_one_line_error(err)


def test_a_missing_trace_file_is_rejected(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "report", str(tmp_path / "nope.json"))
    assert code == 2
    assert_one_line_error(err)


BROKEN_MODEL = '''
from replicheck.lang import Model, Range, action, require

class Broken(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        if s.x < 3:
            s.x += 1
'''


def test_a_model_mistake_is_taught_not_a_traceback(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text(BROKEN_MODEL)
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert "Traceback" not in err
    assert "broken.py:9" in err  # the line of the `if`
    assert "require(" in err  # what to write instead


def test_a_users_model_file_can_be_checked(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "counter.py"
    path.write_text(BROKEN_MODEL.replace("if s.x < 3:\n            s.x += 1", "require(s.x < 3)\n        s.x += 1"))
    code, out, err = run(capsys, "check", str(path), "--no-deadlock", "--json")
    assert code == 0, err
    assert json.loads(out)["stats"]["distinct_states"] == 4  # x = 0, 1, 2, 3


def test_the_console_script_runs_as_a_separate_process() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "replicheck.cli", "check", "classic.tcommit", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)["stats"]
    assert (stats["distinct_states"], stats["depth"]) == (34, 7)  # TLC's TCommit figures


def test_a_saved_liveness_lasso_replays(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    trace_file = tmp_path / "lasso.itf.json"
    code, _, _ = run(capsys, "check", "rds.multi_az", "--variant", "as_2011", "--only", "eventually_available",
                     "--trace-out", str(trace_file), "-q")
    assert code == 1
    data = json.loads(trace_file.read_text())
    assert data["loop"] is not None and data["states"][-1]["#meta"]["action"] == "stutter"
    code, out, err = run(capsys, "report", str(trace_file))
    assert code == 0, err
    assert "loops back to step" in out
    # a stutter step that changes the state is rejected
    data["states"][-1]["acked"] = {"#bigint": "2"}
    trace_file.write_text(json.dumps(data))
    code, _, err = run(capsys, "report", str(trace_file))
    assert code == 2 and "stutter" in err
