"""Checkpoint and resume, for the batch engine and the ray engine's protocol (partitions in
this process): a run stopped by a limit and resumed from its checkpoint ends with the counts,
verdicts and traces of an uninterrupted run; a checkpoint of one engine (or one number of
partitions) resumes with another; directories that hold no checkpoint of this run are refused
with one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from replicheck.errors import CheckpointError
from replicheck.explore import CheckOptions, check
from replicheck.explore.ray_engine import InProcess, ray_bfs
from replicheck.registry import load
from tests.cli.helpers import assert_one_line_error, run
from tests.distributed.helpers import summary


def program(name: str = "classic.two_phase", **settings: Any) -> tuple[Any, Any]:
    info = load(name)
    return info.cls(**settings).compile(), info.cls


def search(prog: Any, engine: str, parts: int = 2, **kw: Any) -> Any:
    opts = CheckOptions(engine=engine, **kw)
    if engine == "ray":
        return ray_bfs(prog, opts, InProcess(prog, opts, parts))
    return check(prog, opts)


def counts(r: Any) -> tuple[int, int, int, bool]:
    return r.stats.distinct_states, r.stats.transitions, r.stats.depth, r.stats.complete


@pytest.mark.parametrize(("first", "then"), [
    ({"engine": "batch"}, {"engine": "batch"}),
    ({"engine": "batch", "workers": 2}, {"engine": "batch", "workers": 2}),
    ({"engine": "ray", "parts": 3}, {"engine": "ray", "parts": 3}),
    ({"engine": "ray", "parts": 3}, {"engine": "ray", "parts": 2}),  # re-partitioned on resume
    ({"engine": "batch"}, {"engine": "ray", "parts": 2}),
    ({"engine": "ray", "parts": 2}, {"engine": "batch"}),
], ids=["batch", "batch-2-workers", "ray-3", "ray-3-then-2", "batch-then-ray", "ray-then-batch"])
def test_a_stopped_run_resumes_to_the_uninterrupted_counts(tmp_path: Path, first: dict[str, Any],
                                                          then: dict[str, Any]) -> None:
    prog, _ = program(RM=4)  # 1,568 states, 14 levels
    whole = search(prog, "batch")
    stopped = search(prog, **first, max_states=600, checkpoint=str(tmp_path))
    assert not stopped.stats.complete and stopped.stats.stop_reason == "max_states"
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert 1 < manifest["levels"] < 14
    resumed = search(prog, **then, resume=str(tmp_path))
    assert counts(resumed) == counts(whole)
    assert summary(resumed) == summary(whole)


def test_a_violation_found_after_resuming_has_the_uninterrupted_trace(tmp_path: Path) -> None:
    prog, cls = program("classic.die_hard")
    whole = search(prog, "batch", deadlock=cls.check_deadlock)
    search(prog, "ray", parts=2, max_depth=3, checkpoint=str(tmp_path), deadlock=cls.check_deadlock)
    resumed = search(prog, "ray", parts=3, resume=str(tmp_path), deadlock=cls.check_deadlock)
    assert summary(resumed) == summary(whole)
    assert any("resumed from the checkpoint" in w for w in resumed.warnings)


def test_continue_mode_keeps_the_violations_found_before_the_checkpoint(tmp_path: Path) -> None:
    prog, cls = program("rds.multi_az")
    info = load("rds.multi_az")
    prog = info.cls(variant="naive_failover").compile()
    whole = search(prog, "batch", stop_at_first=False, deadlock=cls.check_deadlock)
    assert any(v.status == "violated" for v in whole.verdicts)
    stopped = search(prog, "batch", stop_at_first=False, max_states=200, checkpoint=str(tmp_path),
                     deadlock=cls.check_deadlock)
    assert not stopped.stats.complete
    resumed = search(prog, "ray", parts=2, stop_at_first=False, resume=str(tmp_path), deadlock=cls.check_deadlock)
    assert summary(resumed) == summary(whole)


def test_resume_refuses_a_directory_without_a_checkpoint(tmp_path: Path) -> None:
    prog, _ = program(RM=3)
    with pytest.raises(CheckpointError, match="holds no checkpoint"):
        search(prog, "batch", resume=str(tmp_path))


def test_resume_refuses_another_runs_checkpoint(tmp_path: Path) -> None:
    prog, _ = program(RM=3)
    search(prog, "batch", checkpoint=str(tmp_path))
    other, _ = program(RM=4)
    with pytest.raises(CheckpointError, match="of another run"):
        search(other, "batch", resume=str(tmp_path))


def test_checkpoint_refuses_a_directory_holding_one(tmp_path: Path) -> None:
    prog, _ = program(RM=3)
    search(prog, "batch", checkpoint=str(tmp_path))
    with pytest.raises(CheckpointError, match="already holds a checkpoint"):
        search(prog, "batch", checkpoint=str(tmp_path))


def test_cli_checkpoint_errors_are_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", "classic.two_phase", "--engine", "batch", "--resume", str(tmp_path / "none"))
    assert code == 2
    assert_one_line_error(err)
    assert "holds no checkpoint" in err


def test_cli_checkpoint_then_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = str(tmp_path / "ck")
    code, out, _ = run(capsys, "check", "classic.two_phase", "--set", "RM=4", "--engine", "batch", "--checkpoint", d,
                       "--max-states", "700", "--json")
    assert code == 3 and json.loads(out)["stats"]["stop_reason"] == "max_states"
    code, out, _ = run(capsys, "check", "classic.two_phase", "--set", "RM=4", "--engine", "batch", "--resume", d, "--json")
    assert code == 0
    assert json.loads(out)["stats"]["distinct_states"] == 1568  # TLC and Spin count 1,568 for RM=4 (tests/export/test_peers.py)
