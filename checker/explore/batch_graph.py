"""The labelled state graph the batch engine records while it searches: one exploration for
safety, measures and liveness.

Owns: `GraphRecorder` (what `replicheck.explore.batch` hands it, chunk by chunk: the truth of
each liveness predicate and the value of each measure on the chunk's states, whether they lie
outside the @constraint, and the chunk's state-changing steps as (source number, action) with
the successor's number; states are numbered in the order the store first holds them, which is
breadth-first discovery order, the scalar engine's) and `RecordedGraph` (the finished graph:
`replicheck.explore.liveness.StateGraph` over the states inside the constraint, steps to the
states outside it as blocked steps, the predicates' masks, the measures' extremes, and a path
to any state rebuilt from the search's parent links through the reference evaluator).

Memory: per step a successor number (int32 while there are fewer than 2**31 states) and an
action index (uint16); sources are implicit (each chunk's steps are kept in source order, so
a count per state gives them); per state one byte per predicate and, with a constraint, one
for "outside". Chunks are appended to lists and joined once, chunk by chunk, at the end.

Must not import: z3, hypothesis, `replicheck.cli`, `replicheck.report` renderers.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from replicheck.errors import UsageProblem
from replicheck.ir import Program, Property, State

from .liveness import StateGraph, small_pages

Array = Any
PathTo = Callable[[int], list[State]]


@dataclass
class MeasureRange:
    """The running extremes of one measure, with the first state (in discovery order, so a
    shortest path) that attains each."""

    lo: int | None = None
    lo_id: int = -1
    hi: int | None = None
    hi_id: int = -1

    def update(self, values: Array, ids: Array) -> None:
        if not len(values):
            return
        i, j = int(np.argmin(values)), int(np.argmax(values))  # argmin/argmax: the first of equals
        lo, hi = int(values[i]), int(values[j])
        if self.lo is None or lo < self.lo:
            self.lo, self.lo_id = lo, int(ids[i])
        if self.hi is None or hi > self.hi:
            self.hi, self.hi_id = hi, int(ids[j])


class Column:
    """One per-step or per-state column of the recorded graph: chunks in memory, or, once
    `spill` is called, one unnamed temporary file they are appended to (deleted by the
    system when it is closed, even if the run dies) and read back memory-mapped."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype)
        self.chunks: list[Array] = []
        self.file: Any = None
        self.length = 0

    def append(self, a: Array) -> None:
        a = np.asarray(a, dtype=self.dtype)
        self.length += len(a)
        if self.file is not None:
            a.tofile(self.file)
        else:
            self.chunks.append(a)

    @property
    def nbytes(self) -> int:
        return self.length * self.dtype.itemsize

    def spill(self, directory: str | None) -> None:
        """From now on keep the column in a file (in `directory`, or the system's)."""
        if self.file is not None:
            return
        self.file = tempfile.TemporaryFile(dir=directory)
        for c in self.chunks:
            c.tofile(self.file)
        self.chunks = []

    def join(self, dtype: Any) -> Array:
        """The whole column: joined in memory, or the file mapped read-only."""
        if self.file is None:
            return _join(self.chunks, dtype)
        self.file.flush()
        if self.length == 0:
            return np.zeros(0, dtype=dtype)
        mapped = np.memmap(self.file, dtype=self.dtype, mode="r", shape=(self.length,))
        return mapped if self.dtype == np.dtype(dtype) else mapped.astype(dtype)


def spill_threshold(max_memory: int | None) -> int | None:
    """Recorded bytes past which the graph's step columns go to memory-mapped files: a
    quarter of --max-memory, a third of the memory the system has available, or
    REPLICHECK_GRAPH_SPILL_BYTES (the smallest that applies; None: never)."""
    limits = []
    forced = os.environ.get("REPLICHECK_GRAPH_SPILL_BYTES")
    if forced is not None and forced.strip().isdigit():
        limits.append(int(forced))
    if max_memory is not None:
        limits.append(max_memory // 4)
    available = available_bytes()
    if available is not None:
        limits.append(available // 3)
    return min(limits) if limits else None


def available_bytes() -> int | None:
    """The system's available memory (MemAvailable of /proc/meminfo), or None."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


@dataclass
class GraphRecorder:
    """Collects the labelled graph during a batch search (see the module docstring).
    `predicates`: the liveness properties' state predicates, in order (expr, then expr2 for
    leads_to); `measures`: the @measure properties."""

    program: Program
    predicates: list[tuple[Property, int]]  # (property, 1 or 2: which of its predicates)
    measures: list[Property]
    constraint: bool
    n_actions: int
    masks: list[list[Array]] = field(default_factory=list)
    outside: list[Array] = field(default_factory=list)
    spill_after: int | None = None  # recorded bytes past which the step columns go to files
    spill_dir: str | None = None  # where (None: the system's temporary directory)
    ranges: list[MeasureRange] = field(default_factory=list)
    states: int = 0  # states labelled so far (numbers 0 .. states-1)
    finished: RecordedGraph | None = None  # left here by the search when it ends

    def __post_init__(self) -> None:
        index = {id(p): k for k, p in enumerate(self.program.properties)}
        self.predicate_ids = [(index[id(p)], which) for p, which in self.predicates]
        self.measure_ids = [index[id(m)] for m in self.measures]
        self.masks = [[] for _ in self.predicates]
        self.ranges = [MeasureRange() for _ in self.measures]
        self.adtype = np.uint16 if self.n_actions < (1 << 16) else np.uint32
        self.dst = Column(np.int32)  # successors' numbers (more than 2**31 states are refused)
        self.act = Column(self.adtype)
        self.degree = Column(np.int32)
        self.spilled = False

    @property
    def wanted(self) -> bool:
        return bool(self.predicates or self.measures)

    def label(self, first: int, n: int, truths: Sequence[Array], values: Sequence[Array],
              outside: Array | None) -> None:
        """The labels of states first .. first+n-1 (a chunk of a level, in order), from the
        first n rows of the arrays given."""
        truths, values = [t[:n] for t in truths], [v[:n] for v in values]
        outside = None if outside is None else outside[:n]
        if first != self.states:
            raise AssertionError(f"batch graph: chunk labels states from {first}, expected {self.states}")
        for store, t in zip(self.masks, truths):
            store.append(np.asarray(t, dtype=np.bool_))
        if self.constraint:
            self.outside.append(np.zeros(n, dtype=np.bool_) if outside is None else np.asarray(outside, dtype=np.bool_))
        inside = None if outside is None else np.flatnonzero(~outside)
        ids = np.arange(first, first + n, dtype=np.int64)
        for rng, v in zip(self.ranges, values):
            v = np.asarray(v)
            if inside is not None:
                rng.update(v[inside], ids[inside])
            else:
                rng.update(v, ids)
        self.states += n

    def steps(self, n_rows: int, rank: Array, dst_ids: Array) -> None:
        """The state-changing steps of a chunk of `n_rows` source states: `rank` is
        row * actions + action (as the engine ranks successors), `dst_ids` the successors'
        numbers. Kept by source, then target, then action (the order of
        `liveness.StateGraph`: parallel edges side by side)."""
        rows, action = np.divmod(rank, self.n_actions)
        span = int(dst_ids.max()) + 1 if len(dst_ids) else 1
        if n_rows * span * self.n_actions < (1 << 62):  # one sort key: (row, target, action)
            key = rows * span
            key += dst_ids
            key *= self.n_actions
            key += action
            order = np.argsort(key)
            del key
        else:
            order = np.lexsort((action, dst_ids, rows))
        if self.states >= (1 << 31) - 1:
            raise GraphTooLarge("liveness and measures with the batch engine handle fewer than 2**31 states; "
                                "add --no-liveness and --skip the measures")
        self.degree.append(np.bincount(rows, minlength=n_rows))
        self.dst.append(dst_ids[order])
        self.act.append(action[order])
        if not self.spilled and self.spill_after is not None and self.nbytes > self.spill_after:
            for column in (self.dst, self.act, self.degree):
                column.spill(self.spill_dir)
            self.spilled = True

    def no_steps(self, n_rows: int) -> None:
        """A chunk whose states were not expanded (at the depth bound, or all outside)."""
        self.degree.append(np.zeros(n_rows, dtype=np.int32))

    @property
    def nbytes(self) -> int:
        parts = [a for group in (self.outside, *self.masks) for a in group]
        return self.dst.nbytes + self.act.nbytes + self.degree.nbytes + sum(int(a.nbytes) for a in parts)

    def finish(self, initial: int, path_to: PathTo, complete: bool, stop_reason: str) -> RecordedGraph:
        """The graph over the states inside the constraint (renumbered in order), the steps
        into the states outside it as blocked steps. Frees the chunks as it joins them."""
        with small_pages():
            graph = self._finish(initial, path_to, complete, stop_reason)
        give_back_freed_memory()
        return graph

    def _finish(self, initial: int, path_to: PathTo, complete: bool, stop_reason: str) -> RecordedGraph:
        if not complete:  # the measures' extremes so far stand; the steps are of no use
            empty = np.zeros(0, dtype=np.int64)
            self.dst, self.act, self.degree = Column(np.int32), Column(self.adtype), Column(np.int32)
            self.outside = []
            self.masks = [[] for _ in self.predicates]
            return RecordedGraph(StateGraph(0, empty, empty, empty, empty), [], self.predicates, self.measures,
                                 self.ranges, path_to, None, False, stop_reason)
        n_all = self.states
        vtype = np.int32 if n_all < (1 << 31) - 1 else np.int64  # vertex numbers: 4 bytes while they fit
        degree = self.degree.join(vtype)
        if len(degree) < n_all:  # the last level's states were labelled but not expanded
            degree = np.concatenate([degree, np.zeros(n_all - len(degree), dtype=vtype)])
        dst = self.dst.join(vtype)
        act = self.act.join(self.adtype)
        etype = np.int32 if max(n_all, len(dst)) < (1 << 31) - 1 else np.int64
        indptr = np.zeros(n_all + 1, dtype=etype)
        np.cumsum(degree, out=indptr[1:])
        del degree
        masks = [_join(m, np.bool_) for m in self.masks]
        inits = np.arange(initial, dtype=np.int64)
        if not self.constraint:
            graph = StateGraph.from_rows(n_all, inits, indptr, dst, act, no_self_loops=True)
            return RecordedGraph(graph, masks, self.predicates, self.measures, self.ranges, path_to, None,
                                 complete, stop_reason)
        outside = _join(self.outside, np.bool_)
        inside = ~outside
        number = (np.cumsum(inside) - 1).astype(vtype)  # old number -> new number (inside states)
        src = np.repeat(np.arange(n_all, dtype=vtype), np.diff(indptr))
        to_out = outside[dst]
        blocked_src, blocked_act = number[src[to_out]], act[to_out]
        keep = inside[src] & inside[dst]
        src, dst, act = number[src[keep]], number[dst[keep]], act[keep]  # renumbering keeps the order
        masks = [m[inside] for m in masks]
        n = int(inside.sum())
        inits = number[inits[~outside[:initial]]]
        indptr = np.zeros(n + 1, dtype=etype)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        del src
        graph = StateGraph.from_rows(n, inits, indptr, dst, act, blocked_src, blocked_act, no_self_loops=True)
        old_of = np.flatnonzero(~outside)
        return RecordedGraph(graph, masks, self.predicates, self.measures, self.ranges, path_to, old_of,
                             complete, stop_reason)


class GraphTooLarge(UsageProblem):
    """A graph the recorder cannot number (exit 2, with what to do instead)."""


def give_back_freed_memory() -> None:
    """Return the heap the recorded chunks occupied to the system (glibc keeps freed small
    blocks for reuse; after the join there are hundreds of megabytes of them, counted in the
    run's resident memory while the analysis runs). A no-op where there is no `malloc_trim`."""
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def _join(chunks: list[Array], dtype: Any) -> Array:
    """One array from the chunks, freeing each as it is copied and giving the freed heap back
    every so often (peak: the result, the chunks not yet copied, and a few more)."""
    total = sum(len(c) for c in chunks)
    out = np.empty(total, dtype=dtype)
    at = 0
    freed = 0
    chunks.reverse()
    while chunks:
        c = chunks.pop()
        out[at:at + len(c)] = c
        at += len(c)
        freed += c.nbytes
        del c
        if freed > TRIM_EVERY:
            give_back_freed_memory()
            freed = 0
    return out


TRIM_EVERY = 64 << 20  # bytes of chunks copied between two returns of the freed heap


@dataclass
class RecordedGraph:
    """The batch engine's labelled graph (see the module docstring); the interface
    `replicheck.explore.live` and `replicheck.explore.measures` read, as they read a
    `replicheck.explore.graph.BuiltGraph`."""

    graph: StateGraph
    masks: list[Array]
    predicates: list[tuple[Property, int]]
    measures: list[Property]
    ranges: list[MeasureRange]
    search_path_to: PathTo
    old_of: Array | None  # new number -> the search's number (None: the same)
    complete: bool
    stop_reason: str = ""

    def mask(self, prop: Property, which: int = 1) -> Array:
        for (p, w), m in zip(self.predicates, self.masks):
            if p is prop and w == which:
                return m
        raise KeyError(f"the batch graph recorded no predicate {which} of {prop.name}")

    def path_to(self, i: int) -> list[State]:
        """A shortest path from an initial state to state i (rebuilt by replaying actions)."""
        return self.search_path_to(i if self.old_of is None else int(self.old_of[i]))

    def state(self, i: int) -> State:
        return self.path_to(i)[-1]

    def measure_range(self, m: Property) -> tuple[int, list[State], int, list[State]]:
        """(minimum, a shortest path to it, maximum, a shortest path to it) of a measure."""
        rng = self.ranges[self.measures.index(m)]
        if rng.lo is None or rng.hi is None:
            raise ValueError(f"measure {m.name}: no state inside the constraint")
        return rng.lo, self.search_path_to(rng.lo_id), rng.hi, self.search_path_to(rng.hi_id)


__all__ = ["GraphRecorder", "MeasureRange", "RecordedGraph"]
