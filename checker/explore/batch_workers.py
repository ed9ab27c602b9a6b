"""The batch engine's second core: a forked process that evaluates chunks on request.

Owns: `MemoryFile` (an anonymous in-memory file, `os.memfd_create`, that forked processes
share: arrays go in and out with one kernel copy, `pwrite`/`preadv`, with no pickling and
no pipe), `LevelFile` (one BFS level's packed keys in a `MemoryFile`: the coordinator
appends each chunk's new states, anyone reads a chunk's rows by range), `Summary` (what
evaluating a chunk yields when nothing in it needs a closer look: its successors,
deduplicated within the chunk in discovery order, and its tallies), and `EvaluationWorker`
(the process: it is forked with a copy of the search, reads chunks from the level files,
evaluates and deduplicates them, and hands back summaries through result files, one per
request in flight).

Must not import: z3, hypothesis, `replicheck.cli`, `models`; nothing of checker but
`replicheck.explore.traces` (its error type) and `replicheck.explore.memory`.

The division of labour, and why results equal one process's: evaluation is a pure function
of a chunk's rows and of the properties still being checked, so it can run anywhere and in
any order. Everything that depends on order (store lookups and inserts, parent links, the
events of a chunk with a violation, a deadlock or a run-time error) stays with the
coordinator, which takes the chunks' summaries strictly in chunk order. A chunk evaluated
against an older (larger) set of pending properties can only look *more* unusual, never
less; a summary that is not `usual` is discarded and the coordinator re-evaluates that chunk
itself with the full event handling, as the one-process engine does.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import tempfile
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

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


def _serve(conn: Any, levels: list[LevelFile], results: list[MemoryFile], words: int,
           summarize: Summarize) -> None:
    """The worker's loop: ("chunk", seq, level file, lo, hi, at_bound, invs, aprops, pending)
    -> ("done", seq, usual, transitions, pruned, ever, m) with the m successors' keys, ranks
    and fingerprints in result file seq % len(results); ("stop",) -> ("bye", its own memory
    at its peak, `_private_peak`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    try:
        while True:
            msg = conn.recv()
            if msg[0] == "stop":
                conn.send(("bye", _private_peak()))
                return
            _, seq, li, lo, hi, at_bound, invs, aprops, pending = msg
            s = summarize(levels[li].read(lo, hi), at_bound, invs, aprops, pending)
            if not s.usual:
                conn.send(("done", seq, False, 0, 0, [], 0))
                continue
            m = int(s.keys.shape[0])
            results[seq % len(results)].write([s.keys, s.rank, s.fps])
            conn.send(("done", seq, True, s.transitions, s.pruned, s.ever, m))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        return
    except BaseException:  # noqa: BLE001 - reported to the coordinator, which raises it
        try:
            conn.send(("error", traceback.format_exc()))
        except OSError:
            pass


class EvaluationWorker:
    """A forked process evaluating chunks of the level files for the coordinator, at most
    `depth` requests in flight; summaries come back in request order."""

    def __init__(self, words: int, summarize: Summarize, depth: int = 2) -> None:
        if not fork_available():
            raise ValueError("--workers 2 needs the 'fork' start method (Linux or macOS)")
        self.words = words
        self.depth = depth
        self.levels = [LevelFile(words, "replicheck-level-a"), LevelFile(words, "replicheck-level-b")]
        self.results = [MemoryFile(f"replicheck-result-{k}") for k in range(depth)]
        ctx = multiprocessing.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, self.levels, self.results, words, summarize),
                                daemon=True, name="replicheck-batch-worker")
        self.proc.start()
        child.close()
        self.seq = 0
        self.in_flight: deque[int] = deque()  # chunk numbers, in request order
        self.worker_peak = 0
        self.files_peak = 0
        self.summaries = 0  # chunks the worker evaluated (summaries received)
        self.broken = False  # the conversation failed midway: stop the process, do not talk

    # -- requests ---------------------------------------------------------------------------
    def submit(self, chunk: int, level: int, lo: int, hi: int, at_bound: bool, invs: Sequence[int],
               aprops: Sequence[int], pending: Sequence[int]) -> None:
        self.conn.send(("chunk", self.seq, level, lo, hi, at_bound, list(invs), list(aprops), list(pending)))
        self.seq += 1
        self.in_flight.append(chunk)

    def can_take(self) -> bool:
        return len(self.in_flight) < self.depth

    def ready(self) -> bool:
        return self.conn.poll()

    def receive(self) -> tuple[int, Summary]:
        """The oldest request's chunk number and summary (waits for it)."""
        msg = self._recv()
        if msg[0] != "done":
            raise InternalCheckerError(f"batch worker: unexpected reply {msg[0]!r}")
        _, seq, usual, transitions, pruned, ever, m = msg
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
        f.read_into(fps, off)
        self._note_files()
        return chunk, Summary(True, transitions, pruned, ever, keys, rank, fps)

    def drain(self) -> None:
        """Receive and drop every summary still in flight (after the coordinator stopped)."""
        while self.in_flight:
            self.receive()

    def _recv(self) -> Any:
        try:
            msg = self.conn.recv()
        except (EOFError, OSError) as err:
            raise InternalCheckerError(
                f"batch engine: the worker process ended unexpectedly (exit code {self.proc.exitcode})"
            ) from err
        if msg[0] == "error":
            raise InternalCheckerError("batch engine: the worker process failed:\n" + msg[1])
        return msg

    # -- memory -----------------------------------------------------------------------------
    def _note_files(self) -> None:
        self.files_peak = max(self.files_peak, self.files_bytes())

    def files_bytes(self) -> int:
        return sum(lv.nbytes for lv in self.levels) + sum(f.allocated() for f in self.results)

    def rss_bytes(self) -> int:
        """The worker's resident memory now plus the shared files (Linux; else 0)."""
        return resident_bytes(self.proc.pid) + self.files_bytes()

    def close(self) -> None:
        """Stop the worker (it reports its peak memory) and free the shared files."""
        try:
            if self.proc.is_alive() and not self.broken:
                self.drain()
                self.conn.send(("stop",))
                msg = self._recv()
                if msg[0] == "bye":
                    self.worker_peak = int(msg[1])
        except Exception:  # noqa: BLE001 - closing must not hide the error that ended the search
            pass
        finally:
            self.proc.join(timeout=0 if self.broken else 5)
            if self.proc.is_alive():
                self.proc.terminate()
                self.proc.join()
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


__all__ = ["EvaluationWorker", "LevelFile", "MemoryFile", "Summary", "fork_available"]
