"""One JSON schema for `--json` on every command (docs/json.md): the envelope, the exit code
the JSON states is the process's, errors as JSON, and one verdict shape everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replicheck.report.json_result import SCHEMA_VERSION
from tests.cli.helpers import run

VERDICT_KEYS = {"property", "kind", "status", "message"}


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code, out, _ = run(capsys, *argv, "--json")
    data = json.loads(out)  # the whole of stdout is one JSON document
    assert list(data)[:4] == ["schema", "command", "status", "exit_code"]
    assert data["schema"] == SCHEMA_VERSION
    assert data["command"] == argv[0]
    assert data["exit_code"] == code
    return code, data


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(capsys, "list")
    assert code == 0 and data["status"] == "ok"
    assert {"classic.two_phase", "ebs.election"} <= {m["name"] for m in data["models"]}


def test_check_that_holds(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(capsys, "check", "classic.two_phase")
    assert code == 0 and data["status"] == "holds"
    assert data["stats"]["distinct_states"] == 288  # TLC's count for TwoPhase with 3 RMs
    assert all(VERDICT_KEYS <= set(v) for v in data["verdicts"])


def test_check_that_is_violated_carries_the_trace(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(capsys, "check", "classic.die_hard")
    assert code == 1 and data["status"] == "violated"
    (bad,) = [v for v in data["verdicts"] if v["status"] == "violated"]
    assert bad["property"] == "big_is_not_4" and bad["trace_length"] == 6
    assert bad["trace"]["#meta"]["format"] == "ITF"


def test_check_cut_short_is_incomplete(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(capsys, "check", "classic.two_phase", "--max-states", "20")
    assert code == 3 and data["status"] == "incomplete"


def test_prove(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(capsys, "prove", "classic.two_phase", "--inductive")
    assert data["prove"]["engine"] == "inductive"
    assert code == {"holds": 0, "violated": 1, "incomplete": 3}[data["status"]]


def test_simulate_that_finds_nothing_exits_0_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(capsys, "simulate", "classic.two_phase", "--runs", "10")
    assert code == 0 and data["exit_code"] == 0
    assert data["status"] == "incomplete"  # ten random runs prove nothing
    assert data["simulation"]["runs"] == 10


def test_simulate_that_finds_a_violation(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(capsys, "simulate", "classic.die_hard", "--runs", "300", "--seed", "3")
    assert code == 1 and data["status"] == "violated"


def test_sweep_rows_share_checks_verdict_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = run_json(capsys, "sweep", "rds.multi_az", "--quiet")
    assert data["status"] in ("as expected", "unexpected", "incomplete")
    assert {r["variant"] for r in data["rows"]} == {"naive_failover", "stale_view", "as_2011", "witness_unchecked", "fixed",
                                                   "false_detection", "false_detection_fixed"}
    for row in data["rows"]:
        assert all(VERDICT_KEYS <= set(v) for v in row["verdicts"])
        assert set(row["expected"]) and row["mismatches"] == []
    assert code == 0 and data["status"] == "as expected"


def test_sweep_format_json_is_the_same_document(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "sweep", "classic.die_hard", "--quiet", "--format", "json")
    data = json.loads(out)
    assert data["schema"] == SCHEMA_VERSION and data["command"] == "sweep" and data["exit_code"] == code


def test_report(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    trace = tmp_path / "t.itf.json"
    run(capsys, "check", "classic.die_hard", "--trace-out", str(trace))
    code, data = run_json(capsys, "report", str(trace))
    assert code == 0 and data["status"] == "ok"
    assert data["verdict"]["property"] == "big_is_not_4" and data["verdict"]["status"] == "violated"
    assert data["trace_length"] == 6 and len(data["trace"]["states"]) == 7


def test_export_to_stdout_and_to_a_folder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, data = run_json(capsys, "export", "classic.die_hard", "--format", "tla")
    assert code == 0 and {f["name"] for f in data["files"]} == {"classic_die_hard.tla", "classic_die_hard.cfg"}
    assert all(f["text"] for f in data["files"])
    code, data = run_json(capsys, "export", "classic.die_hard", "--format", "tla", "-o", str(tmp_path))
    assert all(Path(f["path"]).is_file() for f in data["files"])


@pytest.mark.parametrize(
    ("argv", "kind"),
    [
        (["check", "no.such_model"], "usage"),
        (["check", "classic.die_hard", "--only", "nope"], "usage"),
        (["check", "classic.die_hard", "--workers", "2"], "usage"),
        (["check"], "usage"),
        (["prove", "classic.die_hard", "--set", "Q=1"], "usage"),
        (["simulate", "classic.die_hard", "--runs", "0"], "usage"),
        (["report", "/no/such/trace.json"], "trace file"),
        (["export", "classic.die_hard", "--format", "tla", "-o", "x.pml"], "usage"),
        (["sweep", "no.such_model"], "usage"),
    ],
)
def test_errors_are_json_too(capsys: pytest.CaptureFixture[str], argv: list[str], kind: str) -> None:
    code, out, err = run(capsys, *argv, "--json")
    data = json.loads(out)
    assert code == 2 and data["exit_code"] == 2 and data["status"] == "error"
    assert data["schema"] == SCHEMA_VERSION and data["command"] == argv[0]
    assert data["error"]["kind"] == kind and data["error"]["message"]
    assert err.startswith("replicheck: error:")  # the line on stderr stays
