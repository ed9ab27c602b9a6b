"""Ctrl-C and SIGTERM in every phase: the partial summary, with every verdict already known,
and exit 3 (incomplete); never a traceback, never exit 130 or silence.

Each test starts the CLI as its own process on a model (a file written here) whose phase of
interest takes long enough to be caught in, waits for the line that says the phase began,
sends the signal and reads what the process printed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SLOW_COMPILE = '''
import time
from replicheck import Model, Range, action, invariant

class SlowToTrace(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        time.sleep(60)  # runs while the model is traced
        s.x = 1

    @invariant
    def small(self, s):
        return s.x < 3
'''

# A 1,000,000-state grid whose safety search is quick and whose liveness graph is not; `at_origin`
# is violated at once, so the summary has a verdict the interrupt must not lose.
BIG_LIVE = '''
from replicheck import Model, Range, action, invariant, liveness, eventually

class Grid(Model):
    check_deadlock = False
    x = Range(0, 999, init=0)
    y = Range(0, 999, init=0)

    @action(fair="weak")
    def right(self, s):
        s.x = (s.x + 1) % 1000

    @action(fair="weak")
    def up(self, s):
        s.y = (s.y + 1) % 1000

    @invariant
    def in_range(self, s):
        return s.x + s.y >= 0

    @liveness
    def reaches_corner(self, s):
        return eventually((s.x == 999) & (s.y == 999))
'''


def start(argv: list[str], tmp_path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
    return subprocess.Popen([sys.executable, "-m", "replicheck", *argv], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(proc: subprocess.Popen[str], marker: str, timeout: float = 120.0) -> str:
    """Read stderr until a line containing `marker` (the phase has begun)."""
    assert proc.stderr is not None
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    proc.kill()
    raise AssertionError(f"never saw {marker!r}; stderr was:\n{''.join(seen)}")


def stop(proc: subprocess.Popen[str], sig: int, after: float = 0.5) -> tuple[int, str, str]:
    time.sleep(after)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_the_search_prints_the_partial_summary_and_exits_3(sig: int, tmp_path: Path) -> None:
    proc = start(["check", "ebs.election", "--set", "Node=3", "--set", "Volume=2", "--no-liveness"], tmp_path)
    wait_for(proc, "distinct states")  # the first progress line
    code, out, err = stop(proc, sig)
    assert code == 3, (out, err)
    assert "interrupted" in out and "incomplete" in out
    assert "Traceback" not in out + err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_during_the_liveness_graph_keeps_the_safety_verdicts(sig: int, tmp_path: Path) -> None:
    (tmp_path / "grid.py").write_text(BIG_LIVE)
    proc = start(["check", "grid.py"], tmp_path)
    wait_for(proc, "liveness: building the state graph")
    code, out, err = stop(proc, sig)
    assert code == 3, (out, err)
    assert "in_range" in out and "holds" in out  # the safety search finished: its verdict stands
    assert "reaches_corner" in out and "interrupted" in out
    assert "Traceback" not in out + err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_model_is_traced_says_no_verdict_was_known(sig: int, tmp_path: Path) -> None:
    (tmp_path / "slow.py").write_text(SLOW_COMPILE)
    proc = start(["check", "slow.py"], tmp_path)
    time.sleep(3)  # importing replicheck and the model, then tracing `step`, which sleeps
    code, out, err = stop(proc, sig, after=0)
    assert code == 3, (out, err)
    name = signal.Signals(sig).name
    assert f"interrupted ({name}) before any verdict was known" in err
    assert "Traceback" not in out + err


def test_a_signal_during_simulate_reports_the_runs_done(tmp_path: Path) -> None:
    (tmp_path / "grid.py").write_text(BIG_LIVE)
    proc = start(["simulate", "grid.py", "--runs", "100000000", "--depth", "1000"], tmp_path)
    time.sleep(4)
    code, out, err = stop(proc, signal.SIGTERM, after=0)
    assert code == 3, (out, err)
    assert "in_range" in out and "interrupted (SIGTERM)" in out
    assert "Traceback" not in out + err


def test_a_signal_during_sweep_stops_it_and_prints_the_rows_so_far(tmp_path: Path) -> None:
    proc = start(["sweep"], tmp_path)
    wait_for(proc, "ebs.election")  # the first row is done
    code, out, err = stop(proc, signal.SIGINT, after=0)
    assert code == 3, (out, err)
    assert "variant(s) checked" in err
    assert "ebs.election" in out
    assert "Traceback" not in out + err


def test_ctrl_c_during_prove_is_an_interrupt_not_a_timeout(tmp_path: Path) -> None:
    proc = start(["prove", "ebs.election", "--set", "Node=3", "--set", "Volume=2", "--bmc", "40"], tmp_path)
    time.sleep(8)  # the solver is working on a deep unrolling by now
    code, out, err = stop(proc, signal.SIGINT, after=0)
    assert code == 3, (out, err)
    assert "interrupted (SIGINT)" in out and "timeout" not in out
    assert "Traceback" not in out + err
