"""The batch engine's second core: a forked process that evaluates chunks on request.

Owns: `MemoryFile` (an anonymous in-memory file, `os.memfd_create`, that forked processes
share: arrays go in and out with one kernel copy, `pwrite`/`preadv`, with no pickling and
no pipe), `LevelFile` (one BFS level's packed keys in a `MemoryFile`: the coordinator
appends each chunk's new states, anyone reads a chunk's rows by range), `Summary` (what
evaluating a chunk yields when nothing in it needs a closer look: its successors,
deduplicated within the chunk in discovery order, and its tallies), and `EvaluationWorker`
(the process: it is forked with a copy of the search, reads chunks from the level files,
evaluates and deduplicates them, and hands back summaries through result files, one per
request in flight), and what happens when that process dies, stops or outlives its
coordinator (`StopWaiting`, `WorkerLost`, the silence limit and the heartbeat).

Must not import: z3, hypothesis, `replicheck.cli`, `models`; nothing of checker but
`replicheck.errors`, `replicheck.explore.traces` (its error type) and `replicheck.explore.memory`.

The division of labour, and why results equal one process's: evaluation is a pure function
of a chunk's rows and of the properties still being checked, so it can run anywhere and in
any order. Everything that depends on order (store lookups and inserts, parent links, the
events of a chunk with a violation, a deadlock or a run-time error) stays with the
coordinator, which takes the chunks' summaries strictly in chunk order. A chunk evaluated
against an older (larger) set of pending properties can only look *more* unusual, never
less; a summary that is not `usual` is discarded and the coordinator re-evaluates that chunk
itself with the full event handling, as the one-process engine does.

When the worker goes wrong: every send and receive is guarded, and a worker that died (any
signal, or an exit) raises `WorkerLost`, which the engine turns into an incomplete run. The
coordinator never blocks on the pipe: it polls in slices of `WAIT_SLICE` seconds, checking
the run's limits between them (`--max-seconds`, and Ctrl-C is seen at once), and a worker
that is silent for the silence limit (`SILENCE_SECONDS`, or `REPLICHECK_WORKER_SILENCE`) is
killed and reported as lost. A busy worker sends a heartbeat every `BEAT_SECONDS` (from a
thread, so a chunk may take as long as it needs), so silence means a stopped, starved or
hung process, never a long chunk. The worker dies with its coordinator: `PR_SET_PDEATHSIG`
(Linux), and as a fallback its heartbeat thread checks the parent pid and its loop sees the
pipe's end (the worker closes its copy of the coordinator's end at once).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from replicheck.errors import UsageProblem

from .memory import peak_resident_bytes, resident_bytes
from .traces import InternalCheckerError

Array = Any
Summarize = Callable[[Array, bool, Sequence[int], Sequence[int], Sequence[int]], "Summary"]


def _libc_fallocate() -> Any:
    try:
        fn = ctypes.CDLL(None, use_errno=True).fallocate
    except (OSError, AttributeError):  # pragma: no cover - not glibc/Linux
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
    return fn


_fallocate = _libc_fallocate() if sys.platform.startswith("linux") else None
_PUNCH_HOLE_KEEP_SIZE = 0x02 | 0x01  # FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE


SILENCE_SECONDS = 60.0
"""How long the coordinator waits without a word from the worker before it gives the worker
up. A busy worker beats every `BEAT_SECONDS` whatever its chunk costs (a chunk of 32,768
states takes 0.1-1 s on the shipped models; a user's chunk may take far longer), so this
only has to outlast scheduling delays on a loaded machine: sixty missed beats."""
SILENCE_ENV = "REPLICHECK_WORKER_SILENCE"  # seconds; overrides SILENCE_SECONDS (tests set it low)
BEAT_SECONDS = 1.0  # a busy worker's heartbeat (at most a quarter of the silence limit)
WAIT_SLICE = 0.1  # the coordinator's poll: Ctrl-C and the run's limits are seen this often
LATE_SLICE = 2.0  # a poll this much later than asked: the coordinator itself was stopped
BYE_SECONDS = 10.0  # closing: how long a worker with nothing to do may take to say goodbye
_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
PROCESS_NAME = b"replicheck-work"  # the worker's name in ps and top (15 bytes at most)
PARENT_DEATH_SIGNAL = True  # PR_SET_PDEATHSIG; a test turns it off to exercise the fallbacks


class WorkerSettingError(UsageProblem, ValueError):
    """A bad `REPLICHECK_WORKER_SILENCE` (exit 2)."""


def silence_limit() -> float:
    """The silence limit in seconds: `REPLICHECK_WORKER_SILENCE` if set, else SILENCE_SECONDS."""
    text = os.environ.get(SILENCE_ENV, "").strip()
    if not text:
        return SILENCE_SECONDS
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise WorkerSettingError(f"{SILENCE_ENV}={text!r}: write a positive number of seconds, e.g. {SILENCE_ENV}=60")
    return value


class StopWaiting(Exception):
    """The coordinator stopped waiting for the worker: a limit of the run (`reason`: the
    run's stop reason, e.g. "max_seconds") or the worker itself (`WorkerLost`). The worker
    is `broken`; the engine stops the search as for any other limit."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WorkerLost(StopWaiting):
    """The worker process died, or was silent too long and was killed: the run is incomplete."""

    def __init__(self, pid: int, what: str, reason: str) -> None:
        super().__init__(reason)
        self.pid = pid
        self.what = what  # "died (SIGKILL)", "died (exit code 1)", "was silent for 60 s ..."

    def __str__(self) -> str:
        return f"the worker process (pid {self.pid}) {self.what}"

    def message(self, level: int) -> str:
        """The one line a user reads: which process, what happened, where."""
        return f"{self} at level {level}; the run is incomplete"


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is None:
        return "closed its pipe"
    if exitcode < 0:
        try:
            return f"died ({signal.Signals(-exitcode).name})"
        except ValueError:
            return f"died (signal {-exitcode})"
    return f"died (exit code {exitcode})"


def _process_state(pid: int) -> str:
    """'stopped', 'a zombie', ... from /proc (Linux), or '' when unknown."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""
    return {"T": "stopped", "t": "stopped by a debugger", "D": "in uninterruptible sleep",
            "Z": "a zombie", "R": "running", "S": "sleeping"}.get(state, "")


def fork_available() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class MemoryFile:
    """An anonymous file in memory (a memfd on Linux, else an unlinked temporary file),
    shared by processes forked after it was made."""

    def __init__(self, name: str) -> None:
        memfd = getattr(os, "memfd_create", None)
        if memfd is not None:
            self.fd = memfd(name, getattr(os, "MFD_CLOEXEC", 0))
        else:  # pragma: no cover - not Linux
            fh = tempfile.TemporaryFile(prefix=name)
            self.fd = os.dup(fh.fileno())
            fh.close()
        self.size = 0  # bytes written (the writer's view)

    def write(self, arrays: Sequence[Array], offset: int = 0) -> int:
        """Write the arrays back to back from `offset`; returns the offset after them."""
        for a in arrays:
            if a.size == 0:
                continue
            flat: Any = np.ascontiguousarray(a)
            view = memoryview(flat).cast("B")
            while view.nbytes:
                done = os.pwrite(self.fd, view, offset)
                view = view[done:]
                offset += done
        self.size = max(self.size, offset)
        return offset

    def read_into(self, out: Array, offset: int) -> int:
        if out.size == 0:
            return offset
        view = memoryview(out).cast("B")
        while view.nbytes:
            done = os.preadv(self.fd, [view], offset)
            if done <= 0:
                raise InternalCheckerError("batch engine: a shared memory file ended early")
            view = view[done:]
            offset += done
        return offset

    def release(self, offset: int, length: int) -> None:
        """Give the memory of bytes [offset, offset + length) back (Linux: punch a hole;
        reads there then see zeros). Elsewhere nothing happens."""
        if _fallocate is None or length <= 0:
            return
        _fallocate(self.fd, _PUNCH_HOLE_KEEP_SIZE, ctypes.c_long(offset), ctypes.c_long(length))

    def allocated(self) -> int:
        """Bytes of memory the file holds now (released holes not counted)."""
        try:
            return int(os.fstat(self.fd).st_blocks) * 512
        except OSError:
            return self.size

    def truncate(self) -> None:
        os.ftruncate(self.fd, 0)
        self.size = 0

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


class LevelFile:
    """The packed keys (rows of `words` int64) of one BFS level, in order of discovery."""

    def __init__(self, words: int, name: str) -> None:
        self.words = words
        self.file = MemoryFile(name)
        self.rows = 0

    def append(self, keys: Array) -> None:
        self.file.write([keys], self.rows * self.words * 8)
        self.rows += keys.shape[0]

    def read(self, lo: int, hi: int) -> Array:
        out = np.empty((hi - lo, self.words), dtype=np.int64)
        self.file.read_into(out, lo * self.words * 8)
        return out

    def release(self, lo: int, hi: int) -> None:
        """Rows [lo, hi) will not be read again: give their memory back."""
        self.file.release(lo * self.words * 8, (hi - lo) * self.words * 8)

    def clear(self) -> None:
        self.file.truncate()
        self.rows = 0

    @property
    def nbytes(self) -> int:
        return self.file.allocated()


@dataclass
class Summary:
    """A chunk's evaluation when it is `usual` (no invariant or action property fails, no
    target is reached, no deadlock, no successor outside its domain, no run-time error):
    its successors deduplicated within the chunk (keys, ranks = parent row * actions +
    action, fingerprints; in rank order), the transitions it fired, the states a
    @constraint excluded, and the actions it found enabled. A summary that is not usual
    carries nothing else: the coordinator handles that chunk itself."""

    usual: bool
    transitions: int = 0
    pruned: int = 0
    ever: list[int] = field(default_factory=list)
    keys: Array = None
    rank: Array = None
    fps: Array = None
    extra: list[Array] = field(default_factory=list)  # what a recorded graph needs (batch_graph)
    pruned_orbits: int = 0  # with symmetry and --unreduced: the states those excluded orbits stand for


def _private_peak() -> int:
    """An upper bound of this forked process's own memory at its peak: its peak resident
    memory less the pages it still shares with the coordinator (from `smaps_rollup`: Rss
    minus the private pages). A page shared now was shared all along (copy-on-write only
    ever unshares), so it was resident and shared at the peak too, and the coordinator's
    own peak counts it. Without smaps_rollup (not Linux), the whole peak."""
    peak = peak_resident_bytes()
    try:
        with open("/proc/self/smaps_rollup") as fh:
            kb = {k: int(v.split()[0]) for k, v in (ln.split(":", 1) for ln in fh if ln.strip().endswith("kB"))}
        shared = (kb["Rss"] - kb["Private_Clean"] - kb["Private_Dirty"]) * 1024
    except (OSError, KeyError, ValueError):
        shared = 0
    return max(0, peak - shared)


def _die_with_parent(parent: int) -> None:
    """In the worker, right after the fork: be killed when the coordinator dies (Linux's
    PR_SET_PDEATHSIG; the heartbeat thread's parent check is the fallback elsewhere), take a
    name ps shows, and leave now if the coordinator died before that was set."""
    if sys.platform.startswith("linux"):
        try:
            prctl = ctypes.CDLL(None, use_errno=True).prctl
            if PARENT_DEATH_SIGNAL:
                prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL), ctypes.c_ulong(0), ctypes.c_ulong(0),
                      ctypes.c_ulong(0))
            prctl(_PR_SET_NAME, ctypes.c_char_p(PROCESS_NAME), ctypes.c_ulong(0), ctypes.c_ulong(0),
                  ctypes.c_ulong(0))
        except (OSError, AttributeError):  # pragma: no cover - no prctl
            pass
    if os.getppid() != parent:
        os._exit(0)


def _heartbeat(send: Callable[[Any], None], busy: threading.Event, parent: int, every: float) -> None:
    """The worker's second thread: while a chunk is being evaluated, tell the coordinator so
    every `every` seconds; whenever the coordinator is gone (another parent, or a broken
    pipe), end the process."""
    while True:
        time.sleep(every)
        if os.getppid() != parent:
            os._exit(0)
        if busy.is_set():
            try:
                send(("beat",))
            except OSError:
                os._exit(0)


def _serve(conn: Any, theirs: Any, parent: int, beat: float, levels: list[LevelFile], results: list[MemoryFile],
           words: int, summarize: Summarize) -> None:
    """The worker's loop: ("chunk", seq, level file, lo, hi, at_bound, invs, aprops, pending)
    -> ("done", seq, usual, transitions, pruned, ever, m, shapes) with the m successors' keys,
    ranks and fingerprints, then the summary's `extra` arrays (their dtypes and lengths in
    `shapes`), in result file seq % len(results), and ("beat",) every `beat` seconds
    while evaluating; ("stop",) -> ("bye", its own memory at its peak, `_private_peak`).
    `theirs` is the coordinator's end of the pipe, inherited through the fork: closed at once,
    so that the coordinator's death reads as the pipe's end here."""
    _die_with_parent(parent)
    theirs.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    # the coordinator's SIGTERM handler (an interrupt with a partial summary) is not the
    # worker's: a worker told to terminate terminates, and the coordinator reports its death
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    lock = threading.Lock()
    busy = threading.Event()

    def send(msg: Any) -> None:
        with lock:
            conn.send(msg)

    threading.Thread(target=_heartbeat, args=(send, busy, parent, beat), daemon=True,
                     name="replicheck-heartbeat").start()
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return  # the coordinator is gone (or closed the pipe): nobody to answer
        if msg[0] == "stop":
            reply: Any = ("bye", _private_peak())
        else:
            _, seq, li, lo, hi, at_bound, invs, aprops, pending = msg
            busy.set()
            try:
                s = summarize(levels[li].read(lo, hi), at_bound, invs, aprops, pending)
                if s.usual:
                    results[seq % len(results)].write([s.keys, s.rank, s.fps, *s.extra])
                    shapes = [(a.dtype.str, int(a.shape[0])) for a in s.extra]
                    reply = ("done", seq, True, s.transitions, (s.pruned, s.pruned_orbits), s.ever,
                             int(s.keys.shape[0]), shapes)
                else:
                    reply = ("done", seq, False, 0, (0, 0), [], 0, [])
            except BaseException:  # noqa: BLE001 - reported to the coordinator, which raises it
                reply = ("error", traceback.format_exc())
            finally:
                busy.clear()
        try:
            send(reply)
        except OSError:
            return
        if reply[0] != "done":
            return


class EvaluationWorker:
    """A forked process evaluating chunks of the level files for the coordinator, at most
    `depth` requests in flight; summaries come back in request order. `limits`, called
    while waiting for the worker, returns the run's reason to stop ("" to go on); `silence`
    is the silence limit (default `silence_limit()`). Every send and receive may raise
    `StopWaiting` (a limit) or `WorkerLost`; the worker is then `broken`."""

    def __init__(self, words: int, summarize: Summarize, depth: int = 2,
                 limits: Callable[[], str] | None = None, silence: float | None = None) -> None:
        if not fork_available():
            raise ValueError("--workers 2 needs the 'fork' start method (Linux or macOS)")
        self.silence = silence_limit() if silence is None else float(silence)
        self.limits = limits
        self.words = words
        self.depth = depth
        self.levels = [LevelFile(words, "replicheck-level-a"), LevelFile(words, "replicheck-level-b")]
        self.results = [MemoryFile(f"replicheck-result-{k}") for k in range(depth)]
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        beat = min(BEAT_SECONDS, self.silence / 4)
        self.proc = ctx.Process(target=_serve, args=(child, self.conn, os.getpid(), beat, self.levels, self.results,
                                                     words, summarize),
                                daemon=True, name="replicheck-batch-worker")
        self.proc.start()
        child.close()
        self.pid = int(self.proc.pid or 0)
        self.seq = 0
        self.in_flight: deque[int] = deque()  # chunk numbers, in request order
        self.worker_peak = 0
        self.files_peak = 0
        self.summaries = 0  # chunks the worker evaluated (summaries received)
        self.broken = False  # the conversation failed midway: stop the process, do not talk
        self._next: Any = None  # a reply `ready` has read ahead

    # -- requests ---------------------------------------------------------------------------
    def submit(self, chunk: int, level: int, lo: int, hi: int, at_bound: bool, invs: Sequence[int],
               aprops: Sequence[int], pending: Sequence[int]) -> None:
        self._send(("chunk", self.seq, level, lo, hi, at_bound, list(invs), list(aprops), list(pending)))
        self.seq += 1
        self.in_flight.append(chunk)

    def can_take(self) -> bool:
        return len(self.in_flight) < self.depth

    def ready(self) -> bool:
        """Whether the oldest request's reply has come (heartbeats are read and dropped)."""
        if self._next is not None:
            return True
        try:
            while self.conn.poll():
                msg = self.conn.recv()
                if msg[0] != "beat":
                    self._next = msg
                    return True
        except (EOFError, OSError) as err:
            raise self._lost() from err
        return False

    def receive(self) -> tuple[int, Summary]:
        """The oldest request's chunk number and summary (waits for it)."""
        msg = self._recv()
        if msg[0] != "done":
            raise InternalCheckerError(f"batch worker: unexpected reply {msg[0]!r}")
        _, seq, usual, transitions, (pruned, pruned_orbits), ever, m, shapes = msg
        chunk = self.in_flight.popleft()
        self.summaries += 1
        if not usual:
            return chunk, Summary(False)
        keys = np.empty((m, self.words), dtype=np.int64)
        rank = np.empty(m, dtype=np.int64)
        fps = np.empty(m, dtype=np.int64)
        f = self.results[seq % len(self.results)]
        off = f.read_into(keys, 0)
        off = f.read_into(rank, off)
        off = f.read_into(fps, off)
        extra = []
        for dtype, length in shapes:
            a = np.empty(length, dtype=np.dtype(dtype))
            off = f.read_into(a, off)
            extra.append(a)
        self._note_files()
        return chunk, Summary(True, transitions, pruned, ever, keys, rank, fps, extra, pruned_orbits)

    def drain(self) -> None:
        """Receive and drop every summary still in flight (after the coordinator stopped);
        the run's limits are not checked (the run is stopping already)."""
        limits, self.limits = self.limits, None
        try:
            while self.in_flight:
                self.receive()
        finally:
            self.limits = limits

    def _send(self, msg: Any) -> None:
        try:
            self.conn.send(msg)
        except (EOFError, OSError) as err:  # BrokenPipeError, ConnectionResetError, a closed pipe
            raise self._lost() from err

    def _recv(self, silence: float | None = None) -> Any:
        """The worker's next message but heartbeats, polling in slices of WAIT_SLICE: between
        them the run's limits are checked, and after `silence` seconds (default: the silence
        limit) without a word the worker is killed and lost."""
        msg, self._next = self._next, None
        limit = self.silence if silence is None else silence
        quiet = 0.0  # seconds of silence, counted while this process runs
        before = time.monotonic()
        while msg is None:
            try:
                if self.conn.poll(WAIT_SLICE):
                    msg = self.conn.recv()
                    if msg[0] == "beat":
                        msg, quiet, before = None, 0.0, time.monotonic()
                    continue
            except (EOFError, OSError) as err:
                raise self._lost() from err
            now = time.monotonic()
            # a slice far longer than asked means this process was stopped (Ctrl-Z stops
            # both, and fg continues both) or starved: that is not the worker's silence
            quiet += now - before if now - before < WAIT_SLICE + LATE_SLICE else WAIT_SLICE
            before = now
            if quiet >= limit:
                raise self._silent(quiet)
            if self.limits is not None:
                reason = self.limits()
                if reason:
                    self.broken = True
                    raise StopWaiting(reason)
        if msg[0] == "error":
            self.broken = True
            raise InternalCheckerError("batch engine: the worker process failed:\n" + msg[1])
        return msg

    def _lost(self) -> WorkerLost:
        """The pipe broke: the worker died (or closed it). Reap it to say how it ended. If it
        failed and said why before it ended, that is the error (an internal one), whatever
        this process was doing when it noticed."""
        self.broken = True
        try:
            while self.conn.poll():
                msg = self.conn.recv()
                if msg[0] == "error":
                    raise InternalCheckerError("batch engine: the worker process failed:\n" + msg[1])
        except (EOFError, OSError):
            pass
        self.proc.join(timeout=5)
        if self.proc.is_alive():  # pragma: no cover - alive with its pipe closed
            self._kill()
        return WorkerLost(self.pid, _how_it_ended(self.proc.exitcode), "worker died")

    def _silent(self, quiet: float) -> WorkerLost:
        """The worker said nothing for `quiet` seconds: kill it (SIGKILL ends a stopped
        process too)."""
        self.broken = True
        state = _process_state(self.pid)
        self._kill()
        what = f"was silent for {quiet:.0f} s" + (f" ({state})" if state else "") + " and was killed"
        return WorkerLost(self.pid, what, "worker unresponsive")

    def _kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:  # pragma: no cover - already reaped
            pass
        self.proc.join(timeout=10)

    # -- memory -----------------------------------------------------------------------------
    def _note_files(self) -> None:
        self.files_peak = max(self.files_peak, self.files_bytes())

    def files_bytes(self) -> int:
        return sum(lv.nbytes for lv in self.levels) + sum(f.allocated() for f in self.results)

    def rss_bytes(self) -> int:
        """The worker's resident memory now plus the shared files (Linux; else 0)."""
        return resident_bytes(self.proc.pid) + self.files_bytes()

    def close(self) -> None:
        """Stop the worker (it reports its peak memory) and free the shared files. A broken
        worker is killed without a word; a worker that does not say goodbye within
        BYE_SECONDS (or the silence limit, if shorter) is killed too."""
        try:
            if self.proc.is_alive() and not self.broken:
                self.drain()
                self._send(("stop",))
                msg = self._recv(silence=min(self.silence, BYE_SECONDS))
                if msg[0] == "bye":
                    self.worker_peak = int(msg[1])
        except Exception:  # noqa: BLE001 - closing must not hide the error that ended the search
            pass
        except BaseException:  # Ctrl-C while closing: kill the worker at once, then go on
            self.broken = True
            raise
        finally:
            self.proc.join(timeout=0 if self.broken else 5)
            if self.proc.is_alive():
                self._kill()
            self.conn.close()
            self._note_files()
            for lv in self.levels:
                lv.file.close()
            for f in self.results:
                f.close()

    def peak_bytes(self) -> int:
        """What the worker adds to the coordinator's peak memory, at most: its own pages at
        its peak (`_private_peak`: the pages it shares with the coordinator are the
        coordinator's) plus the peak size of the shared files."""
        return self.worker_peak + self.files_peak


__all__ = [
    "BEAT_SECONDS", "SILENCE_ENV", "SILENCE_SECONDS", "EvaluationWorker", "LevelFile", "MemoryFile", "StopWaiting",
    "Summary", "WorkerLost", "WorkerSettingError", "fork_available", "silence_limit",
]
