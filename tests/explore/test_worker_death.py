"""The batch engine's two-process run when a process dies or stops (issue 13, item 4): a dead
worker ends the run as incomplete with a message naming it, a stopped worker is given up
after the silence limit (and Ctrl-C and --max-seconds still work while waiting for it), and a
dead coordinator takes its worker with it.

The end-to-end tests run `replicheck check` in a subprocess on a model that takes tens of
seconds (ebs.election with Volume=2: 11 million states, 17-30 s with two processes, and no
@measure, whose second exploration would follow an incomplete search), find the worker as
the coordinator's child in /proc, and signal one of them mid-run; every wait is generous and
polled, for a loaded 2-core machine. Linux only (/proc).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import Any, Callable

import numpy as np
import pytest

from replicheck.explore import batch_workers as W
from replicheck.explore.batch import BatchSearch
from replicheck.explore.batch_workers import EvaluationWorker, StopWaiting, Summary, WorkerLost
from replicheck.explore.options import CheckOptions
from replicheck.explore.traces import InternalCheckerError
from replicheck.report.results import INCOMPLETE

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")

BIG = ["ebs.election", "--set", "Node=3", "--set", "Volume=2", "--engine", "batch", "--store", "fingerprint",
       "--workers", "2", "--no-liveness"]
PATIENCE = 90.0  # seconds: the most any step below may take on a loaded machine


# -- processes, from /proc ---------------------------------------------------------------------
def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) of a process, or None if there is none."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            rest = fh.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return rest[0], int(rest[1]), int(rest[19])


def _alive(proc: tuple[int, int]) -> bool:
    """Whether the process (pid, start time) still runs (a zombie holds no memory or files)."""
    st = _stat(proc[0])
    return st is not None and st[2] == proc[1] and st[0] != "Z"


def _children(pid: int) -> list[int]:
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st is not None and st[1] == pid:
                out.append(int(name))
    return out


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip()
    except OSError:
        return ""


def _memfds(pid: int) -> set[str]:
    """The replicheck in-memory files a process holds open (its shared levels and results)."""
    out = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("/memfd:replicheck-"):
                out.add(target.split(" ")[0])
    except OSError:
        pass
    return out


def _shm() -> set[str]:
    """replicheck's entries in /dev/shm (there should never be any: its files are memfds)."""
    try:
        return {name for name in os.listdir("/dev/shm") if "replicheck" in name}
    except OSError:
        return set()


def _wait_until(cond: Callable[[], bool], seconds: float = PATIENCE) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def _start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`replicheck check ARGS`, in a process group of its own (as a shell's job is)."""
    return subprocess.Popen([sys.executable, "-m", "replicheck", "check", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})},
                            start_new_session=True)


def _worker_of(coordinator: subprocess.Popen[str]) -> tuple[int, int]:
    """The coordinator's worker process (pid, start time), once it runs and is named (it
    names itself right after the fork); fails if it does not appear."""
    found: list[int] = []

    def named() -> bool:
        assert coordinator.poll() is None, f"the run ended before its worker was seen: {coordinator.communicate()}"
        found[:] = [p for p in _children(coordinator.pid) if _comm(p) == W.PROCESS_NAME.decode()]
        return bool(found)

    assert _wait_until(named), "no worker process appeared"
    st = _stat(found[0])
    assert st is not None
    time.sleep(1.0)  # mid-run: the worker has chunks in hand
    # the shared memory is in-memory files, which end with the last process holding them
    assert {"/memfd:replicheck-level-a", "/memfd:replicheck-result-0"} <= _memfds(found[0])
    return found[0], st[2]


def _finish(coordinator: subprocess.Popen[str]) -> tuple[int, str, str]:
    try:
        out, err = coordinator.communicate(timeout=PATIENCE)
    except subprocess.TimeoutExpired:
        coordinator.kill()
        out, err = coordinator.communicate()
        pytest.fail(f"the run did not end: {out[-2000:]} {err[-2000:]}")
    return coordinator.returncode, out, err


@pytest.fixture
def cleanup() -> Any:
    """Processes a test started: killed at the end whatever happened (by pid, only these)."""
    started: list[tuple[int, int]] = []
    yield started
    for proc in started:
        if _alive(proc):
            os.kill(proc[0], signal.SIGKILL)


# -- end to end --------------------------------------------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_worker_ends_the_run_as_incomplete_naming_it(sig: signal.Signals,
                                                              cleanup: list[tuple[int, int]]) -> None:
    run = _start(*BIG, "--max-seconds", "300")
    worker = _worker_of(run)
    cleanup.append(worker)
    os.kill(worker[0], sig)
    code, out, err = _finish(run)
    text = out + err
    assert code == 3, text
    assert f"the worker process (pid {worker[0]}) died ({sig.name}) at level " in text
    assert "; the run is incomplete" in text
    assert "the run stopped early (worker died)" in out  # the partial summary
    assert "distinct states" in out and "Traceback" not in text
    assert not _alive(worker) and not _shm()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_a_dead_coordinator_takes_its_worker_with_it(sig: signal.Signals, cleanup: list[tuple[int, int]]) -> None:
    run = _start(*BIG, "--max-seconds", "300")
    worker = _worker_of(run)
    cleanup.append(worker)
    run.send_signal(sig)
    code, out, err = _finish(run)
    if sig == signal.SIGTERM:  # an interrupt (replicheck.interrupts): the partial summary, and the worker ended
        assert code == 3 and "the run stopped early (interrupted)" in out and "Traceback" not in out + err
    else:
        assert code == -signal.SIGKILL
    assert _wait_until(lambda: not _alive(worker), 15.0), f"worker {worker[0]} outlived its coordinator"
    assert not _shm()


@pytest.mark.slow
def test_a_stopped_worker_is_given_up_after_the_silence_limit(cleanup: list[tuple[int, int]]) -> None:
    run = _start(*BIG, "--max-seconds", "300", env={W.SILENCE_ENV: "3"})
    worker = _worker_of(run)
    cleanup.append(worker)
    os.kill(worker[0], signal.SIGSTOP)
    stopped = time.monotonic()
    code, out, err = _finish(run)
    text = out + err
    assert code == 3, text
    assert f"the worker process (pid {worker[0]}) was silent for 3 s (stopped) and was killed at level" in text
    assert "the run stopped early (worker unresponsive)" in out and "Traceback" not in text
    assert time.monotonic() - stopped < 40  # the limit (3 s), not the default 60 s, nor forever
    assert not _alive(worker)


def test_ctrl_c_while_waiting_for_a_stopped_worker_gives_the_partial_summary(cleanup: list[tuple[int, int]]) -> None:
    run = _start(*BIG, "--max-seconds", "300")  # the default silence limit: 60 s
    worker = _worker_of(run)
    cleanup.append(worker)
    os.kill(worker[0], signal.SIGSTOP)
    time.sleep(2.0)  # the coordinator runs out of chunks it can take and waits
    begun = time.monotonic()
    run.send_signal(signal.SIGINT)
    code, out, err = _finish(run)
    assert code == 3, out + err
    assert "the run stopped early (interrupted)" in out and "Traceback" not in out + err
    assert time.monotonic() - begun < 30
    assert not _alive(worker)


@pytest.mark.slow
def test_ctrl_z_and_fg_past_the_silence_limit_do_not_lose_the_worker(cleanup: list[tuple[int, int]]) -> None:
    """Both processes stopped (a job stopped with Ctrl-Z) longer than the silence limit, then
    continued: the coordinator's own pause is not the worker's silence. The worker is stopped
    a moment first, so that the coordinator is surely waiting for it when it stops too."""
    run = _start(*BIG, "--max-seconds", "300", env={W.SILENCE_ENV: "5"})
    worker = _worker_of(run)
    cleanup.append(worker)
    os.kill(worker[0], signal.SIGSTOP)
    time.sleep(1.0)
    os.killpg(run.pid, signal.SIGSTOP)
    time.sleep(8.0)
    os.killpg(run.pid, signal.SIGCONT)
    time.sleep(2.0)
    run.send_signal(signal.SIGINT)
    code, out, err = _finish(run)
    assert code == 3, out + err
    assert "the run stopped early (interrupted)" in out and "worker process" not in out + err
    assert not _alive(worker)


@pytest.mark.slow
def test_max_seconds_stops_a_run_waiting_for_a_stopped_worker(cleanup: list[tuple[int, int]]) -> None:
    run = _start(*BIG, "--max-seconds", "8")
    worker = _worker_of(run)
    cleanup.append(worker)
    os.kill(worker[0], signal.SIGSTOP)
    code, out, err = _finish(run)  # ends at about 8 s: neither the 60 s silence limit nor never
    assert code == 3, out + err
    assert "the run stopped early (max_seconds)" in out and "Traceback" not in out + err
    assert not _alive(worker)


def test_a_bad_silence_limit_is_one_line_and_exit_2() -> None:
    run = _start("classic.die_hard", "--engine", "batch", "--workers", "2", env={W.SILENCE_ENV: "soon"})
    code, out, err = _finish(run)
    assert code == 2
    assert err.strip().splitlines() == [
        "replicheck: error: REPLICHECK_WORKER_SILENCE='soon': write a positive number of seconds, "
        "e.g. REPLICHECK_WORKER_SILENCE=60"
    ]


# -- the worker object, in this process ----------------------------------------------------------
def _summary(keys: Any, *_: Any) -> Summary:
    """A chunk's successors: its own rows, ranked in order."""
    n = keys.shape[0]
    return Summary(True, n, 0, [0], keys, np.arange(n, dtype=np.int64), keys[:, 0].copy())


def _worker(summarize: Callable[..., Summary] = _summary, **kw: Any) -> EvaluationWorker:
    w = EvaluationWorker(1, summarize, **kw)
    w.levels[0].append(np.arange(10, dtype=np.int64).reshape(10, 1))
    return w


def test_every_send_to_a_dead_worker_is_guarded() -> None:
    w = _worker()
    try:
        w.submit(0, 0, 0, 5, False, [], [], [])
        assert w.receive()[1].keys.shape == (5, 1)  # it works while alive
        w.proc.kill()
        w.proc.join()
        with pytest.raises(WorkerLost) as lost:  # not a BrokenPipeError
            for _ in range(10):  # the first sends may still fill the socket's buffer
                w.submit(1, 0, 0, 5, False, [], [], [])
        assert lost.value.reason == "worker died" and w.broken
        assert lost.value.message(4) == f"the worker process (pid {w.pid}) died (SIGKILL) at level 4; the run is incomplete"
    finally:
        w.close()
    assert not w.proc.is_alive()


def test_a_send_after_the_worker_failed_reports_its_failure_not_a_broken_pipe() -> None:
    """The worker sends its traceback and ends; the coordinator, sending its next request
    before it reads that, used to meet a raw BrokenPipeError (an intermittent failure of
    tests/explore/test_batch.py)."""
    def fail(keys: Any, *_: Any) -> Summary:
        raise RuntimeError("boom in the worker")

    w = _worker(fail)
    try:
        w.submit(0, 0, 0, 5, False, [], [], [])
        w.proc.join(timeout=PATIENCE)  # it has replied and ended
        assert w.proc.exitcode == 0
        with pytest.raises(InternalCheckerError, match="(?s)worker process failed.*boom in the worker"):
            for _ in range(10):  # the first sends may still fill the socket's buffer
                w.submit(1, 0, 0, 5, False, [], [], [])
        assert w.broken
    finally:
        w.close()


def test_a_worker_dying_while_the_coordinator_waits_is_lost_at_once() -> None:
    def die(keys: Any, *_: Any) -> Summary:
        os._exit(7)

    w = _worker(die)
    try:
        w.submit(0, 0, 0, 5, False, [], [], [])
        begun = time.monotonic()
        with pytest.raises(WorkerLost, match=r"died \(exit code 7\)"):
            w.receive()
        assert time.monotonic() - begun < 30  # the pipe's end, not the silence limit (60 s)
    finally:
        w.close()


def test_a_stopped_worker_is_killed_after_the_silence_limit() -> None:
    def stop(keys: Any, *_: Any) -> Summary:
        os.kill(os.getpid(), signal.SIGSTOP)
        return _summary(keys)

    w = _worker(stop, silence=1.0)
    try:
        w.submit(0, 0, 0, 5, False, [], [], [])
        with pytest.raises(WorkerLost) as lost:
            w.receive()
        assert lost.value.reason == "worker unresponsive"
        assert lost.value.what == "was silent for 1 s (stopped) and was killed"
        assert not w.proc.is_alive() and w.proc.exitcode == -signal.SIGKILL
    finally:
        w.close()


def test_a_long_chunk_is_not_silence_the_worker_beats() -> None:
    def slow(keys: Any, *_: Any) -> Summary:
        time.sleep(4.5)  # three times the silence limit; the heartbeat thread speaks meanwhile
        return _summary(keys)

    w = _worker(slow, silence=1.5)
    try:
        w.submit(0, 0, 2, 9, False, [], [], [])
        chunk, s = w.receive()
        assert chunk == 0 and s.keys[:, 0].tolist() == [2, 3, 4, 5, 6, 7, 8]
    finally:
        w.close()
    assert w.worker_peak > 0  # it said goodbye


def test_a_limit_of_the_run_ends_the_wait_and_closing_kills_a_stopped_worker() -> None:
    calls = 0

    def limits() -> str:
        nonlocal calls
        calls += 1
        return "max_seconds" if calls >= 3 else ""

    def stop(keys: Any, *_: Any) -> Summary:
        os.kill(os.getpid(), signal.SIGSTOP)
        return _summary(keys)

    w = _worker(stop, limits=limits)
    try:
        w.submit(0, 0, 0, 5, False, [], [], [])
        with pytest.raises(StopWaiting) as why:
            w.receive()
        assert why.value.reason == "max_seconds" and not isinstance(why.value, WorkerLost) and w.broken
    finally:
        begun = time.monotonic()
        w.close()  # it used to wait forever: SIGTERM does not end a stopped process
    assert time.monotonic() - begun < 20 and not w.proc.is_alive()


def test_the_search_ends_incomplete_when_its_worker_exits(monkeypatch: pytest.MonkeyPatch) -> None:
    from replicheck.models.classic.two_phase import TwoPhase

    here = os.getpid()
    real = BatchSearch.summarize
    count = 0

    def summarize(self: BatchSearch, *args: Any) -> Any:
        nonlocal count
        if os.getpid() != here:
            count += 1
            if count == 5:
                os._exit(3)
        return real(self, *args)

    monkeypatch.setattr(BatchSearch, "summarize", summarize)
    search = BatchSearch(TwoPhase(RM=5).compile(), CheckOptions(engine="batch", workers=2, chunk_rows=20))
    r = search.search()
    assert r.status == INCOMPLETE and r.exit_code == 3 and r.stats.stop_reason == "worker died"
    assert search.worker is not None and not search.worker.proc.is_alive()
    assert r.warnings[0].startswith(f"the worker process (pid {search.worker.pid}) died (exit code 3) at level ")
    assert 0 < r.stats.distinct_states < 8_832  # two_phase RM=5 has 8,832 states


# -- the fallbacks, without PR_SET_PDEATHSIG -------------------------------------------------------
COORDINATOR = """
import sys, time
import numpy as np
from replicheck.explore import batch_workers as W

W.PARENT_DEATH_SIGNAL = False
if sys.argv[1] == "idle":  # no heartbeat thread to speak of: only the pipe's end can tell
    W.BEAT_SECONDS = 100_000.0

def summarize(keys, *_):
    time.sleep(600)

w = W.EvaluationWorker(1, summarize, silence=1_000_000.0)
w.levels[0].append(np.arange(4, dtype=np.int64).reshape(4, 1))
if sys.argv[1] == "busy":
    w.submit(0, 0, 0, 4, False, [], [], [])
print(w.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("busy", ["idle", "busy"])
def test_without_the_parent_death_signal_the_worker_still_ends_with_its_coordinator(
    busy: str, cleanup: list[tuple[int, int]]
) -> None:
    """Idle (and with its heartbeat thread asleep), the worker sees its pipe end: it closed
    its copy of the coordinator's end; busy in a chunk, its heartbeat thread sees another
    parent (or a broken pipe)."""
    coordinator = subprocess.Popen([sys.executable, "-c", textwrap.dedent(COORDINATOR), busy],
                                   stdout=subprocess.PIPE, text=True)
    try:
        assert coordinator.stdout is not None
        pid = int(coordinator.stdout.readline())
        st = _stat(pid)
        assert st is not None
        worker = (pid, st[2])
        cleanup.append(worker)
        time.sleep(0.5)
        assert _alive(worker)
    finally:
        coordinator.kill()
        coordinator.wait()
    assert _wait_until(lambda: not _alive(worker), 15.0), f"worker {pid} outlived its coordinator"
