"""Liveness under fairness: fair strongly connected components and lasso counterexamples.

Owns: `find_violation` (given the reachable state graph as edge arrays, the fairness of each
action instance, and per-state truth masks of a property's predicates, find a fair lasso that
violates `eventually P`, `always eventually P`, `eventually always P` or `P leads to Q`) and
`verify_lasso` (an independent check, through the reference evaluator, that a lasso is made of
real steps, is fair, and violates the property).

Semantics are TLA+'s: behaviours are infinite, and any state may stutter (repeat) forever
unless that starves a fair action. Every state therefore carries an implicit stuttering
self-loop. A cycle through the states of a strongly connected component C is fair when
- for each weakly fair action instance a: a is taken on an edge inside C, or a is disabled in
  some state of C (so it is not continuously enabled);
- for each strongly fair instance a: a is taken inside C, or a is disabled in every state of
  C; otherwise the states of C where a is enabled are removed and what is left is split into
  components again (the standard Streett pruning).
Fairness is TLA+'s `WF_vars(A)` / `SF_vars(A)`, which speak of `<<A>>_vars` steps: steps of A
that change the state. A step of A that leaves the state as it is (a self-loop) is a
stuttering step: it neither counts as taking A nor makes A enabled. So "enabled" is judged
on the whole graph: an instance is enabled in a state when that state has an edge labelled
with it to another state (actions are deterministic), and "taken" means such an edge.

Lassos are short. The prefix is a shortest path, from any initial state, to the state where
the cycle starts (for `eventually P` one that avoids P; for `P leads to Q` one through a
trigger with Q false ever since, searched on a two-layer graph, unless the cycle itself holds
the trigger). The cycle is greedy: from its start, walk to the nearest state or edge that
settles a pending obligation (a weakly fair instance enabled at every state visited so far,
a strongly fair instance enabled at any, a state `must` asks for), then back; a few start
states per accepting component are tried, nearest first, each cycle is rotated to begin
where its prefix is shortest, and the shortest prefix + cycle wins. A shortest covering walk
is NP-hard, so the cycle is not always minimal (tests/explore/test_minimal_lassos.py compares
with a brute-force search). Every search is one scipy pass or one NumPy step per level.

Must not import: z3, hypothesis, `replicheck.cli`, `replicheck.report` renderers. Uses numpy and
scipy (strongly connected components and breadth-first searches of large graphs).
"""

from __future__ import annotations

import ctypes
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterator, Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from replicheck.backends.reference import evaluate, fire
from replicheck.errors import InternalError
from replicheck.ir import Program, Property, State

from .memory import resident_bytes

STUTTER = -1  # the action index of a stuttering step in a lasso

IntArray = NDArray[np.signedinteger[Any]]  # int32 while numbers fit, int64 past that
BoolArray = NDArray[np.bool_]


class StateGraph:
    """The reachable state graph: states 0..n-1, and one edge per (state, enabled action),
    kept by source and, within a source, by target (then action), so that the graph is a
    CSR matrix as it stands (`indptr`, `dst`) and parallel edges (two actions between the
    same two states) sit side by side. `blocked_src`/`blocked_act`: steps that lead outside
    the @constraint; they enable their action in their source state (fairness sees them, as
    TLC's does) but are not edges.

    Made from edge lists (`StateGraph(n, initial, src, dst, act)`, sorted here) or, without
    a source array, from rows already in that order (`StateGraph.from_rows`). The sources
    are not kept: `src` makes them (4 bytes an edge) when a search first asks."""

    def __init__(self, n: int, initial: IntArray, src: IntArray, dst: IntArray, act: IntArray,
                 blocked_src: IntArray | None = None, blocked_act: IntArray | None = None) -> None:
        src, dst, act = np.asarray(src), np.asarray(dst), np.asarray(act)
        if len(src) > 1 and not _rows_in_order(src, dst):
            order = np.lexsort((dst, src))  # stable: the actions of parallel edges keep their order
            src, dst, act = src[order], dst[order], act[order]
        vtype = _index_type(n, len(dst))
        indptr: IntArray = np.zeros(n + 1, dtype=vtype)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        self._set(n, initial, indptr, dst.astype(vtype, copy=False), act, blocked_src, blocked_act)
        self.no_self_loops = False

    @classmethod
    def from_rows(cls, n: int, initial: IntArray, indptr: IntArray, dst: IntArray, act: IntArray,
                  blocked_src: IntArray | None = None, blocked_act: IntArray | None = None,
                  no_self_loops: bool = False) -> StateGraph:
        """A graph whose edges are given by source (`indptr`, n + 1 offsets) and, within a
        source, by target: no source array is made. `no_self_loops`: the maker vouches that
        every edge changes the state."""
        self = cls.__new__(cls)
        self._set(n, initial, indptr, dst, act, blocked_src, blocked_act)
        self.no_self_loops = no_self_loops
        return self

    def _set(self, n: int, initial: IntArray, indptr: IntArray, dst: IntArray, act: IntArray,
             blocked_src: IntArray | None, blocked_act: IntArray | None) -> None:
        self.n = n
        self.initial = np.asarray(initial, dtype=np.int64)
        self.indptr = indptr
        self.dst = dst
        self.act = act
        empty = np.zeros(0, dtype=np.int64)
        self.blocked_src = empty if blocked_src is None else np.asarray(blocked_src)
        self.blocked_act = empty if blocked_act is None else np.asarray(blocked_act)
        self._src: IntArray | None = None

    @property
    def edges(self) -> int:
        return len(self.dst)

    @property
    def etype(self) -> type:
        """The integer type of edge numbers (and vertex numbers): 4 bytes while they fit."""
        return _index_type(self.n, len(self.dst))

    @property
    def degree(self) -> IntArray:
        return np.diff(self.indptr)

    def sources(self) -> IntArray:
        """The source of every edge, made now and not kept (4 bytes an edge while they fit)."""
        if self._src is not None:
            return self._src
        return np.repeat(np.arange(self.n, dtype=self.etype), self.degree)

    @property
    def src(self) -> IntArray:
        """The source of every edge, kept once made (the lasso searches index it often)."""
        if self._src is None:
            self._src = self.sources()
        return self._src

    def source_of(self, edges: IntArray) -> IntArray:
        """The sources of some edges, by binary search in `indptr` (no source array)."""
        return np.searchsorted(self.indptr, edges, side="right").astype(np.int64) - 1

    def per_edge(self, per_state: NDArray[Any]) -> NDArray[Any]:
        """`per_state[src]` for every edge, without a source array."""
        return np.repeat(per_state, self.degree)

    def blocks(self, edges: int = 1 << 22) -> Iterator[tuple[int, int, int, int]]:
        """(first row, end row, first edge, end edge) of consecutive blocks of rows of about
        `edges` edges each: per-edge work done a block at a time keeps its temporaries small."""
        r0 = 0
        while r0 < self.n:
            e0 = int(self.indptr[r0])
            key = self.indptr.dtype.type(min(e0 + edges, len(self.dst)))  # the array's own type: no converted copy
            r1 = int(np.searchsorted(self.indptr, key, side="right"))
            r1 = min(max(r1 - 1, r0 + 1), self.n)
            yield r0, r1, e0, int(self.indptr[r1])
            r0 = r1

    def row_counts(self, edge_mask: BoolArray) -> IntArray:
        """How many edges of each state `edge_mask` selects."""
        counts: IntArray = np.zeros(self.n, dtype=self.etype)
        for r0, r1, e0, e1 in self.blocks():
            starts = self.indptr[r0:r1]
            busy = np.flatnonzero(starts[1:] > starts[:-1]) if r1 - r0 > 1 else np.zeros(0, dtype=np.int64)
            busy = np.append(busy, r1 - r0 - 1) if e1 > int(starts[-1]) else busy
            if len(busy):
                counts[r0 + busy] = np.add.reduceat(edge_mask[e0:e1], starts[busy] - e0, dtype=self.etype)
        return counts

    def self_loops(self) -> BoolArray:
        """Whether each edge leads back to its source (a stuttering step)."""
        if self.no_self_loops:
            return np.zeros(len(self.dst), dtype=bool)
        loops = np.empty(len(self.dst), dtype=bool)
        for r0, r1, e0, e1 in self.blocks():
            own: IntArray = np.repeat(np.arange(r0, r1, dtype=self.etype), np.diff(self.indptr[r0 : r1 + 1]))
            np.equal(self.dst[e0:e1], own, out=loops[e0:e1])
        return loops

    def csr(self, keep: BoolArray | None = None) -> tuple[IntArray, IntArray, IntArray]:
        """(indptr, indices, edge ids) of the graph, optionally only edges inside `keep`."""
        if keep is None:
            return self.indptr, self.dst, np.arange(len(self.dst), dtype=self.etype)
        m = self.per_edge(keep)
        m &= keep[self.dst]
        indptr: IntArray = np.zeros(self.n + 1, dtype=self.etype)
        np.cumsum(self.row_counts(m), out=indptr[1:])
        eids: IntArray = np.flatnonzero(m).astype(self.etype)
        return indptr, self.dst[eids], eids


def _index_type(n: int, edges: int) -> type:
    return np.int32 if max(n, edges) < (1 << 31) - 1 else np.int64


def _rows_in_order(src: IntArray, dst: IntArray) -> bool:
    """Whether edges are listed by source and, within a source, by target."""
    ds = np.diff(src)
    if bool((ds < 0).any()):
        return False
    same = ds == 0
    return not bool((same & (dst[1:] < dst[:-1])).any())


@dataclass
class Lasso:
    """states[0] is initial; states[i+1] follows states[i] by actions[i] (STUTTER: repeat);
    the last step returns to states[loop_start]."""

    states: list[int]
    actions: list[int]
    loop_start: int


def _fair_tables(program: Program) -> tuple[IntArray, BoolArray]:
    """fair_index[action] = k (or -1), and strong[k] for the k-th fair action instance."""
    fair_index = np.full(len(program.actions), -1, dtype=np.int64)
    strong: list[bool] = []
    for i, a in enumerate(program.actions):
        if a.fairness in ("weak", "strong"):
            fair_index[i] = len(strong)
            strong.append(a.fairness == "strong")
    return fair_index, np.array(strong, dtype=bool)


def _expand(indptr: IntArray, indices: IntArray, front: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Every edge out of the nodes of `front`: (target, position in the CSR, source)."""
    starts = indptr[front]
    counts = indptr[front + 1] - starts
    total = int(counts.sum())
    offsets = np.cumsum(counts) - counts
    pos = np.arange(total, dtype=np.int64) + np.repeat(starts - offsets, counts)
    return indices[pos], pos, np.repeat(front, counts)


def _depths(order: IntArray, pred: IntArray) -> IntArray:
    """The depth of every node of a breadth-first search tree, from scipy's visit order (the
    root first) and parents (negative for the root and for nodes not reached, whose depth is
    -1). In a queue-driven search the parents' visit positions never decrease along the
    order, so each level is found with one binary search; pointer doubling otherwise."""
    depth = np.full(len(pred), -1, dtype=np.int64)
    pos = np.zeros(len(pred), dtype=np.int64)
    pos[order] = np.arange(len(order), dtype=np.int64)
    parent_pos = pos[pred[order[1:]]]
    if bool(np.all(parent_pos[1:] >= parent_pos[:-1])):
        bounds = [0, 1]
        while bounds[-1] < len(order):
            bounds.append(1 + int(np.searchsorted(parent_pos, bounds[-1], side="left")))
        depth[order] = np.repeat(np.arange(len(bounds) - 1, dtype=np.int64), np.diff(bounds))
        return depth
    root = int(order[0])
    up = np.where(pred >= 0, pred, root)
    hops = (pred >= 0).astype(np.int64)
    while True:
        nxt = up[up]
        if bool(np.all(nxt == up)):
            break
        hops = hops + hops[up]
        up = nxt
    depth[order] = hops[order]
    return depth


class _Paths:
    """A multi-source breadth-first search over a CSR graph, in scipy (a super-source feeds
    every source): distance (-1: not reached) and parent (-1 for a source or not reached)
    of every node, and the visit order (sources first, by distance). Linear in the graph,
    in C; depths come from the visit order and the parents (`_depths`)."""

    def __init__(
        self, indptr: IntArray, indices: IntArray, eids: IntArray, sources: IntArray, allowed: BoolArray | None = None
    ) -> None:
        n = len(indptr) - 1
        srcs = np.unique(np.asarray(sources, dtype=np.int64))
        if allowed is not None:
            srcs = srcs[allowed[srcs]]
            rows: IntArray = np.repeat(np.arange(n, dtype=_index_type(n, 0)), np.diff(indptr))
            keep = allowed[rows]
            keep &= allowed[indices]
            counts = np.bincount(rows[keep], minlength=n)
            del rows
            indptr = np.zeros(n + 1, dtype=indptr.dtype)
            np.cumsum(counts, out=indptr[1:])
            del counts
            indices, eids = indices[keep], eids[keep]
            del keep
        self.indptr, self.indices, self.eids = indptr, indices, eids
        ext_indptr = np.append(indptr, indptr[-1] + len(srcs))
        ext_indices = np.concatenate([indices, srcs.astype(indices.dtype)])
        mat = _search_matrix(n + 1, ext_indptr, ext_indices)
        del ext_indices
        order, pred = breadth_first_order(mat, n, directed=True, return_predecessors=True)
        del mat
        pred = pred.astype(np.int64)
        self.dist = (_depths(order.astype(np.int64), pred) - 1)[:n]
        self.dist[self.dist < 0] = -1
        self.pred = np.where((pred[:n] >= 0) & (pred[:n] != n), pred[:n], -1)
        self.order = order[1:].astype(np.int64)

    def path_to(self, v: int) -> tuple[list[int], list[int]]:
        """(nodes, edge ids) of a shortest path from a source to v."""
        nodes, edges = [v], []
        while self.pred[nodes[-1]] >= 0:
            u, w = int(self.pred[nodes[-1]]), nodes[-1]
            lo, hi = int(self.indptr[u]), int(self.indptr[u + 1])
            edges.append(int(self.eids[lo + int(np.flatnonzero(self.indices[lo:hi] == w)[0])]))
            nodes.append(u)
        return nodes[::-1], edges[::-1]


class _Prefix:
    """Shortest prefixes to the states where a cycle may start: `dist[v]` (-1: none), `order`
    (the states reached, nearest first) and `path(v)`. With `layer`, the search ran on the
    two-layer graph of `leads_to` (nodes 0..n-1: no trigger yet, which are the plain graph's
    shortest paths; n..2n-1: the trigger has happened) and only that layer counts."""

    def __init__(self, paths: _Paths, n: int, layer: int = 0) -> None:
        self.paths, self.n, self.offset = paths, n, layer * n
        in_layer = (paths.order >= self.offset) & (paths.order < self.offset + n)
        self.dist = paths.dist[self.offset : self.offset + n]
        self.order = paths.order[in_layer] - self.offset

    def path(self, v: int) -> tuple[list[int], list[int]]:
        nodes, edges = self.paths.path_to(v + self.offset)
        return [u % self.n for u in nodes], edges


def _search_matrix(n: int, indptr: IntArray, indices: IntArray) -> csr_matrix:
    """A CSR graph as scipy's graph routines take it, canonical: indices sorted within each
    row and no parallel edges. scipy 1.17's strongly-connected-components search loops
    forever or returns wrong components on a matrix with duplicate entries (a node with two
    edges to one node is enough; tests/explore/test_scipy_graphs.py shows it), so this is a
    matter of correctness. Rows already sorted by target (the graph's order) lose their
    repeated targets in one pass; others go through scipy's `sum_duplicates`. The weights
    are one float64 broadcast over every edge (scipy wants float64 and reads only the
    structure), not an array of them; indices are int32 while they fit."""
    itype = np.int32 if n < (1 << 31) - 1 and len(indices) < (1 << 31) - 1 else np.int64
    indptr = indptr.astype(itype, copy=False)
    indices = indices.astype(itype, copy=False)
    if len(indices) > 1:
        later = np.ones(len(indices), dtype=bool)  # not the first edge of its row
        later[indptr[:-1][indptr[:-1] < len(indices)]] = False
        later = later[1:]
        if bool((later & (indices[1:] < indices[:-1])).any()):
            mat = csr_matrix((np.ones(len(indices), dtype=np.float64), indices, indptr), shape=(n, n))
            mat.sum_duplicates()
            return mat
        later &= indices[1:] == indices[:-1]
        repeated = np.flatnonzero(later) + 1
        del later
        if len(repeated):
            keep = np.ones(len(indices), dtype=bool)
            keep[repeated] = False
            removed = np.bincount(np.searchsorted(indptr, repeated, side="right") - 1, minlength=n)
            indptr = indptr - np.concatenate([[0], np.cumsum(removed)]).astype(itype)
            indices = indices[keep]
    data = np.broadcast_to(np.float64(1.0), (len(indices),))
    mat = csr_matrix((data, indices, indptr), shape=(n, n), copy=False)
    mat.has_sorted_indices = True
    mat.has_canonical_format = True
    return mat


def _strong_components(n: int, indptr: IntArray, indices: IntArray) -> IntArray:
    """scipy's strongly connected components of a CSR graph (a label per vertex)."""
    _, labels = connected_components(_search_matrix(n, indptr, indices), directed=True, connection="strong")
    return np.asarray(labels)


def _region_components(g: StateGraph, reg: BoolArray, max_memory: int | None = None) -> IntArray | None:
    """A strongly-connected-component label for every state of the subgraph `reg` induces
    (states outside it get labels too; callers ignore them), or None when every state is a
    component of its own.

    First the states no cycle can pass through are peeled off, level by level (Kahn's
    topological sort: a state whose predecessors in the region are all peeled is on no
    cycle), a frontier at a time, for at most `TRIM_ROUNDS` levels; scipy is asked only about
    what is left, renumbered, and not at all when nothing is (a graph without cycles, as the
    graphs of bounded-fault models often are). scipy's search costs about 32 bytes per state
    it is given, the peeling 4."""
    n = g.n
    inside = g.per_edge(reg)
    inside &= reg[g.dst]
    indeg = np.zeros(n, dtype=np.int32)  # predecessors in the region not yet peeled
    for _, _, e0, e1 in g.blocks(PEEL_PIECE):
        targets = g.dst[e0:e1][inside[e0:e1]]
        if len(targets):
            lo, hi = int(targets.min()), int(targets.max())
            span = indeg[lo : hi + 1]
            np.add(span, np.bincount(targets - lo, minlength=hi - lo + 1), out=span, casting="unsafe")
    left = reg.copy()
    front = np.flatnonzero(reg & (indeg == 0))
    rounds = 0
    while len(front) and rounds < TRIM_ROUNDS:
        rounds += 1
        left[front] = False
        front = _peel(g, inside, indeg, front)
    del indeg
    if not left.any():
        return None
    # the states left, renumbered 0..m-1, and the region's edges between them
    m = int(left.sum())
    need = m * SCC_BYTES_PER_STATE + int(inside.sum()) * SCC_BYTES_PER_STEP
    if max_memory is not None and resident_bytes() + need > max_memory:
        raise AnalysisMemoryLimit(f"the strongly-connected-components search of {m:,} states needs about "
                                  f"{need / 2**20:,.0f} MiB more, past --max-memory {max_memory / 2**20:,.0f} MiB")
    number: IntArray = np.cumsum(left, dtype=g.etype) - 1
    keep = inside
    keep &= g.per_edge(left)
    keep &= left[g.dst]
    counts = g.row_counts(keep)[left]
    indptr: IntArray = np.zeros(m + 1, dtype=g.etype)
    np.cumsum(counts, out=indptr[1:])
    del counts
    indices = number[g.dst[keep]]  # renumbering keeps each row's order
    del keep, inside
    local = _strong_components(m, indptr, indices)
    del indptr, indices
    ltype = np.int32 if 2 * n < (1 << 31) - 1 else np.int64
    labels = np.arange(n, dtype=ltype)
    labels[left] = local + n  # above every label given to a peeled state
    return labels


# scipy's search: four intp arrays per state and our renumbered indices and offsets (measured
# growth on a 10-million-state graph: about 32 bytes per state), with a margin
SCC_BYTES_PER_STATE = 44
SCC_BYTES_PER_STEP = 5


class AnalysisMemoryLimit(Exception):
    """The analysis would pass --max-memory (live.py makes the verdicts incomplete)."""


TRIM_ROUNDS = 20_000  # levels peeled before scipy is given the rest as it stands
PEEL_PIECE = 1 << 20  # edges gathered at a time while peeling (temporaries below MMAP_THRESHOLD)


def _peel(g: StateGraph, inside: BoolArray, indeg: NDArray[np.int32], front: IntArray) -> IntArray:
    """One round of the peeling: take the front's region edges away from their targets'
    counts, and return the targets left with none (the next front). The edges are gathered a
    piece at a time; each piece's targets are counted over the span of numbers they fall in
    (breadth-first numbering keeps it narrow), or sorted when that span is wide."""
    starts, ends = g.indptr[front], g.indptr[front + 1]
    sizes = ends - starts
    cum = np.cumsum(sizes, dtype=np.int64)
    out: list[IntArray] = []
    i = 0
    while i < len(front):
        j = max(int(np.searchsorted(cum, (int(cum[i - 1]) if i else 0) + PEEL_PIECE, side="right")), i + 1)
        cnt = sizes[i:j]
        pos = np.repeat(starts[i:j].astype(np.int64) - (np.cumsum(cnt, dtype=np.int64) - cnt), cnt)
        pos += np.arange(len(pos), dtype=np.int64)
        targets = g.dst[pos[inside[pos]]]
        del pos
        i = j
        if not len(targets):
            continue
        lo, hi = int(targets.min()), int(targets.max())
        if hi - lo < 8 * len(targets):
            counts = np.bincount(targets - lo, minlength=hi - lo + 1)
            span = indeg[lo : hi + 1]
            np.subtract(span, counts, out=span, casting="unsafe")
            out.append(np.flatnonzero((counts > 0) & (span == 0)) + lo)
        else:
            hit, times = np.unique(targets, return_counts=True)
            indeg[hit] -= times.astype(np.int32)
            out.append(hit[indeg[hit] == 0])
    if not out:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(out)


def _count_keys(keys: IntArray, bound: int) -> tuple[IntArray, IntArray]:
    """The distinct keys (in 0..bound-1) in increasing order, with how often each occurs: a
    count table when it is small against the keys, a sort otherwise."""
    if bound <= 4 * len(keys) + 1024:
        counts = np.bincount(keys, minlength=bound)
        distinct = np.flatnonzero(counts).astype(np.int64)
        return distinct, counts[distinct]
    distinct, counts = np.unique(keys, return_counts=True)
    return distinct.astype(np.int64), counts


class _Analysis:
    def __init__(self, program: Program, graph: StateGraph, max_memory: int | None = None) -> None:
        self.program = program
        self.max_memory = max_memory
        self.g = graph
        self.fair_index, self.strong = _fair_tables(program)
        self.n_fair = len(self.strong)
        # (state, fair k) pairs where k is enabled in state: one per state-changing edge of a
        # fair action (actions are deterministic, so an instance has at most one edge per
        # state; a self-loop is a stuttering step, not <<A>>_vars), sorted by state
        # which edges change the state (None: all of them, as in the batch engine's graphs)
        self.changes: BoolArray | None = None if graph.no_self_loops else ~graph.self_loops()
        # the states that enable some fair instance (the pairs themselves are made when a
        # component of more than one state needs them: on large acyclic graphs, never)
        self.is_fair = self.fair_index >= 0
        if self.n_fair:
            m = self.is_fair[graph.act]
            if self.changes is not None:
                m &= self.changes
            self.enables = graph.row_counts(m) > 0
            del m
            if len(graph.blocked_act):
                self.enables[graph.blocked_src[self.is_fair[graph.blocked_act]]] = True
        else:
            self.enables = np.zeros(graph.n, dtype=bool)

    @cached_property
    def _pairs(self) -> tuple[IntArray, IntArray]:
        """(state, fair k) pairs where k is enabled in state, sorted by state."""
        graph = self.g
        vtype = graph.etype
        small_k: IntArray = self.fair_index.astype(np.int32)  # type: ignore[assignment]  # 4 bytes each
        en_state: IntArray
        en_k: IntArray
        if self.n_fair:
            fk = small_k[graph.act]
            m = fk >= 0
            if self.changes is not None:
                m &= self.changes
            en_state, en_k = graph.sources()[m].astype(vtype, copy=False), fk[m]
            del fk, m
        else:
            en_state, en_k = np.zeros(0, dtype=vtype), np.zeros(0, dtype=np.int32)
        if len(graph.blocked_act) and self.n_fair:
            bk = small_k[graph.blocked_act]
            bm = bk >= 0
            en_state = np.concatenate([en_state, graph.blocked_src[bm].astype(vtype)])
            en_k = np.concatenate([en_k, bk[bm]])
        if len(en_state) > 1 and not bool(np.all(en_state[1:] >= en_state[:-1])):
            order = np.argsort(en_state, kind="stable")
            en_state, en_k = en_state[order], en_k[order]
        return en_state, en_k

    @property
    def en_state(self) -> IntArray:
        return self._pairs[0]

    @property
    def en_k(self) -> IntArray:
        return self._pairs[1]

    @cached_property
    def full_csr(self) -> tuple[IntArray, IntArray, IntArray]:
        """The whole graph in CSR form, made when a shortest-path search first needs it."""
        return self.g.csr()

    def enabled(self, state: int) -> set[int]:
        lo, hi = np.searchsorted(self.en_state, [state, state + 1])
        return {int(k) for k in self.en_k[lo:hi]}

    def fair_states(self, region: BoolArray, must: BoolArray | None) -> tuple[BoolArray, IntArray]:
        """States of `region` that lie in a fair SCC (meeting `must`), and a component label
        for every state (-1 outside): one SCC pass, plus one per Streett pruning round.

        The fairness conditions are evaluated on the sparse (component, fair action) pairs
        that occur, never on a dense components-by-actions table."""
        g = self.g
        good = np.zeros(g.n, dtype=bool)
        # labels: 4 bytes while every round's labels fit (each round adds at most n)
        ltype = np.int32 if g.n < (1 << 28) else np.int64
        comp = np.full(g.n, -1, dtype=ltype)
        next_label = 0
        nf = max(self.n_fair, 1)
        # a component of one state is fair exactly when its state enables no fair instance
        # (stuttering there starves nothing; a step out leaves the component)
        enables = self.enables
        work: list[BoolArray] = [region]
        while work:
            reg = work.pop()
            if not reg.any():
                continue
            labels_all = _region_components(g, reg, self.max_memory)  # first: the largest arrays of the analysis
            idx: IntArray = np.flatnonzero(reg).astype(g.etype)
            if labels_all is None:  # no cycle: every state a component of its own
                fine_one = ~enables[idx]
                if must is not None:
                    fine_one &= must[idx]
                good[idx[fine_one]] = True
                comp[idx[fine_one]] = np.flatnonzero(fine_one).astype(ltype) + next_label
                next_label += len(idx)
                continue
            # number the components met in region 0.. in the order of their scipy labels
            present = np.zeros(int(labels_all.max()) + 1, dtype=bool)
            present[labels_all[idx]] = True
            renumber = np.cumsum(present, dtype=ltype) - 1
            labels = renumber[labels_all[idx]]
            del labels_all, present, renumber
            n_comp = int(labels.max()) + 1
            size = np.bincount(labels, minlength=n_comp)
            label_of = np.full(g.n, -1, dtype=np.int64 if n_comp * nf >= (1 << 31) else ltype)
            label_of[idx] = labels
            ok = np.ones(n_comp, dtype=bool)
            if must is not None:
                ok &= np.bincount(labels, weights=must[idx].astype(np.int64), minlength=n_comp) > 0
            single = size == 1
            ok[labels[single[labels] & enables[idx]]] = False  # one state enabling a fair instance
            sf_bad_keys = np.zeros(0, dtype=np.int64)
            if self.n_fair and not single.all():
                # (component, k) keys where k is enabled, with how many of its states enable
                # it, over the components of more than one state (the others are settled)
                big = ~single
                sel = reg[self.en_state]
                sel &= big[np.where(label_of[self.en_state] >= 0, label_of[self.en_state], 0)]
                sel &= label_of[self.en_state] >= 0
                keys, counts = _count_keys(label_of[self.en_state[sel]].astype(np.int64) * nf + self.en_k[sel], n_comp * nf)
                del sel
                # ... and where k is taken on an edge inside the component
                inside = g.per_edge(reg)
                inside &= reg[g.dst]
                eids = np.flatnonzero(inside)
                del inside
                ls, ld = label_of[g.source_of(eids)], label_of[g.dst[eids]]
                internal = ls == ld
                internal &= big[np.where(ls >= 0, ls, 0)]
                if self.changes is not None:
                    internal &= self.changes[eids]
                del ld
                e = eids[internal]
                fk = self.fair_index[g.act[e]]
                taken_keys = np.unique(ls[internal][fk >= 0].astype(np.int64) * nf + fk[fk >= 0])
                del ls, internal, e, fk
                taken = np.isin(keys, taken_keys, assume_unique=True)
                kc, kk = keys // nf, keys % nf
                # weak: enabled in every state of the component and never taken -> unfair
                weak_bad = ~self.strong[kk] & ~taken & (counts == size[kc])
                ok[kc[weak_bad]] = False
                # strong: enabled somewhere and never taken -> prune those states
                sf_bad = self.strong[kk] & ~taken & ok[kc]
                sf_bad_keys = keys[sf_bad]
            needs_pruning = np.zeros(n_comp, dtype=bool)
            needs_pruning[sf_bad_keys // nf] = True
            fine = ok & ~needs_pruning
            in_fine = fine[labels]
            good[idx[in_fine]] = True
            comp[idx[in_fine]] = labels[in_fine] + next_label
            next_label += n_comp
            if len(sf_bad_keys):
                # Streett pruning, all components at once: drop the states where one of their
                # unsatisfied strong-fair actions is enabled, and split what is left again
                members = needs_pruning[np.where(label_of >= 0, label_of, 0)] & (label_of >= 0)
                state_keys = label_of[self.en_state].astype(np.int64) * nf + self.en_k
                drop = self.en_state[np.isin(state_keys, sf_bad_keys) & members[self.en_state]]
                members[drop] = False
                work.append(members)
        return good, comp

# How far the search for a short lasso looks: start states tried for the greedy cycle (each
# costs a few breadth-first searches inside its component), in all, per component and per
# (component, prefix length). Starts are tried nearest first and the search stops as soon as
# no start can beat the best lasso found, so on most graphs far fewer are tried.
MAX_STARTS = 16
MAX_STARTS_PER_COMPONENT = 8
MAX_STARTS_PER_LEVEL = 2
CANDIDATES = 4096  # accepting states looked at, nearest first, when choosing the starts


class _Component:
    """One fair component as a graph of its own (local indices 0..m-1 for `members`, which
    are sorted): its state-changing internal edges in CSR form, and the fair instances each
    member enables. `cycle` builds a short fair closed walk inside it."""

    def __init__(self, a: _Analysis, members: IntArray, edges: IntArray) -> None:
        self.a = a
        self.members = members
        m = self.m = len(members)
        g = a.g
        lsrc = np.searchsorted(members, g.source_of(edges))
        ldst = np.searchsorted(members, g.dst[edges])
        order = np.argsort(lsrc, kind="stable")
        self.indptr = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(np.bincount(lsrc, minlength=m), out=self.indptr[1:])
        self.indices = ldst[order]
        self.eids = edges[order]
        self.pos_src = lsrc[order]
        self.edge_k = a.fair_index[g.act[self.eids]]  # the fair instance of each local edge, or -1
        lo = np.searchsorted(a.en_state, members, side="left")
        hi = np.searchsorted(a.en_state, members, side="right")
        self.en_ptr = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(hi - lo, out=self.en_ptr[1:])
        ranges = np.arange(int(self.en_ptr[-1]), dtype=np.int64) + np.repeat(lo - self.en_ptr[:-1], hi - lo)
        self.en_loc = np.repeat(np.arange(m, dtype=np.int64), hi - lo)  # member of each enabled pair
        self.en_loc_k = a.en_k[ranges]  # ... and its fair instance
        self.sf_pairs = a.strong[self.en_loc_k] if len(a.strong) else np.zeros(len(self.en_loc_k), dtype=bool)
        self._reverse: csr_matrix | None = None

    def local(self, state: int) -> int:
        return int(np.searchsorted(self.members, state))

    def enabled(self, v: int) -> set[int]:
        return {int(k) for k in self.en_loc_k[self.en_ptr[v] : self.en_ptr[v + 1]]}

    def _back(self, start: int) -> tuple[IntArray, IntArray]:
        """Shortest walks from every member back to `start`: (distance, the next member on
        the way; -1 for start), by one breadth-first search (scipy) on the reversed edges."""
        if self._reverse is None:
            ones = np.ones(len(self.indices), dtype=np.int8)
            self._reverse = csr_matrix((ones, (self.indices, self.pos_src)), shape=(self.m, self.m))
        order, pred = breadth_first_order(self._reverse, start, directed=True, return_predecessors=True)
        pred = pred.astype(np.int64)
        return _depths(order.astype(np.int64), pred), np.where(pred >= 0, pred, -1)

    def _walk(
        self, here: int, state_target: BoolArray, edge_target: BoolArray, score: IntArray, back: IntArray
    ) -> tuple[list[int], list[int]] | None:
        """A shortest walk from `here` that ends in a target state or with a target edge
        (positions in the local CSR): (local states after here, local edge positions).
        Level by level, stopping at the first level that reaches a target; of the targets at
        that distance, the one with the highest `score` (of the state it ends in; an edge
        scores one more), then the one nearest the start (`back`: distances to it), wins."""
        pred = np.full(self.m, -1, dtype=np.int64)
        via = np.full(self.m, -1, dtype=np.int64)
        seen = np.zeros(self.m, dtype=bool)
        seen[here] = True
        front = np.array([here], dtype=np.int64)
        while len(front):
            nb, pos, par = _expand(self.indptr, self.indices, front)
            keep = ~seen[nb]
            new, first = np.unique(nb[keep], return_index=True)
            seen[new] = True
            pred[new] = par[keep][first]
            via[new] = pos[keep][first]
            hit_edges = pos[edge_target[pos]]
            hit_states = new[state_target[new]]
            if len(hit_edges) or len(hit_states):
                ends = np.concatenate([self.indices[hit_edges], hit_states])
                scores = score[ends] + np.concatenate([np.ones(len(hit_edges), dtype=np.int64), np.zeros(len(hit_states), dtype=np.int64)])
                j = int(np.lexsort((-scores, back[ends] - scores))[0])
                if j < len(hit_edges):
                    last = int(hit_edges[j])
                    v = int(self.pos_src[last])
                else:
                    last, v = -1, int(hit_states[j - len(hit_edges)])
                break
            front = new
        else:
            return None
        states, edges = [], []
        while v != here:
            states.append(v)
            edges.append(int(via[v]))
            v = int(pred[v])
        states.reverse()
        edges.reverse()
        if last >= 0:
            states.append(int(self.indices[last]))
            edges.append(last)
        return states, edges

    def cycle(self, start: int, must: BoolArray | None) -> tuple[list[int], list[int]] | None:
        """A fair closed walk from local state `start` inside the component: (local states,
        global edge ids), states[i] --edges[i]--> states[i + 1], the last edge back to start.
        Empty lists: nothing is owed, so the behaviour may stutter at start.

        Fair on its own (TLA+'s <<A>>_vars fairness): a weakly fair instance enabled in every
        state it visits is taken on it; a strongly fair instance enabled in any state it
        visits is taken on it; `must` (a member mask) asks for one visit to a state of a set.
        Greedy: from where it is, walk to the nearest state or edge that settles a pending
        obligation (of those equally near, the one nearest the start), crediting every state
        and edge passed; then take a shortest walk back to start, and settle anything that
        walk made pending (a newly seen strongly fair instance). None if an obligation cannot
        be settled (never for a fair component)."""
        strong = self.a.strong
        taken: set[int] = set()
        en0 = self.enabled(start)
        weak = {k for k in en0 if not strong[k]}  # enabled at every state visited, not taken
        sf = {k for k in en0 if strong[k]}  # enabled at some state visited, not taken
        need_must = must is not None and not bool(must[start])
        states: list[int] = []
        edges: list[int] = []

        def walk(path: tuple[list[int], list[int]]) -> int:
            nonlocal need_must
            for v, p in zip(*path):
                states.append(v)
                edges.append(int(self.eids[p]))
                k = int(self.edge_k[p])
                if k >= 0:
                    taken.add(k)
                    weak.discard(k)
                    sf.discard(k)
                en = self.enabled(v)
                weak.intersection_update(en)
                sf.update(k for k in en if strong[k] and k not in taken)
                if need_must and must is not None and must[v]:
                    need_must = False
            return path[0][-1]

        if not (weak or sf or need_must):
            return [], []
        back, toward = self._back(start)
        if bool((back < 0).any()):
            return None  # not strongly connected
        here = start
        while True:
            while weak or sf or need_must:
                # what visiting each member would settle: pending weak instances it disables,
                # the visit `must` asks for; less the strongly fair instances it would add
                score = np.zeros(self.m, dtype=np.int64)
                if need_must and must is not None:
                    score += must
                if weak:
                    sel = np.isin(self.en_loc_k, list(weak))
                    score += len(weak) - np.bincount(self.en_loc[sel], minlength=self.m)
                state_target = score > 0
                fresh = self.sf_pairs & ~np.isin(self.en_loc_k, list(taken | sf))
                score -= np.bincount(self.en_loc[fresh], minlength=self.m)
                edge_target = np.isin(self.edge_k, list(weak | sf))
                path = self._walk(here, state_target, edge_target, score, back)
                if path is None:
                    return None
                here = walk(path)
            if here == start:
                break
            home: tuple[list[int], list[int]] = ([], [])
            while here != start:  # down the tree of shortest walks back
                lo, nxt = int(self.indptr[here]), int(toward[here])
                home[1].append(lo + int(np.flatnonzero(self.indices[lo : self.indptr[here + 1]] == nxt)[0]))
                here = nxt
                home[0].append(here)
            walk(home)
            if not (weak or sf or need_must):
                break
        return [start] + states[:-1], edges


def _best_lasso(
    a: _Analysis, options: list[tuple[_Prefix, BoolArray, IntArray, BoolArray | None]]
) -> tuple[_Prefix, list[int], list[int]] | None:
    """The shortest lasso this search finds: (prefix, cycle states, cycle edge ids), the
    cycle starting at the state the prefix reaches. Each option is a way to violate the
    property: shortest prefixes, the states of accepting fair components, their labels, and
    what a cycle must visit. Start states are tried nearest first (a few per component and
    prefix length); each cycle is rotated to start where the prefix to it is shortest, and
    the search stops when no start left can beat the best lasso (a cycle has a step, and two
    where a fair instance is enabled or `must` is not met)."""
    g = a.g
    starts: list[tuple[int, int, int]] = []  # (prefix length, option, state)
    for i, (prefix, good, _, _) in enumerate(options):
        cand = prefix.order[good[prefix.order]][:CANDIDATES]
        starts.extend(zip(prefix.dist[cand].tolist(), [i] * len(cand), cand.tolist()))
    starts.sort()
    components: dict[int, _Component] = {}
    tried: dict[tuple[int, int], int] = {}
    tried_level: dict[tuple[int, int, int], int] = {}
    best: tuple[int, int, list[int], list[int]] | None = None  # (length, option, states, edges)
    n_tried = 0
    for dist, i, s in starts:
        if best is not None and dist + 1 >= best[0]:
            break
        if n_tried >= MAX_STARTS:
            break
        prefix, good, comp, must = options[i]
        owes = bool(a.enabled(s)) or (must is not None and not must[s])
        if best is not None and owes and dist + 2 >= best[0]:
            continue  # a fair instance is enabled at s, or s is not what must be visited: no stutter
        label = int(comp[s])
        key = (i, label)
        if tried.get(key, 0) >= MAX_STARTS_PER_COMPONENT or tried_level.get((i, label, dist), 0) >= MAX_STARTS_PER_LEVEL:
            continue
        tried[key] = tried.get(key, 0) + 1
        tried_level[(i, label, dist)] = tried_level.get((i, label, dist), 0) + 1
        n_tried += 1
        component = components.get(label)
        if component is None:
            inside = g.per_edge(comp == label)
            inside &= comp[g.dst] == label
            if a.changes is not None:
                inside &= a.changes
            component = components[label] = _Component(a, np.flatnonzero(comp == label), np.flatnonzero(inside))
        local_must = None if must is None else must[component.members]
        found = component.cycle(component.local(s), local_must)
        if found is None:  # the fair-SCC analysis and the cycle search disagree
            raise InternalError(f"no fair cycle found from state {s} of a component the analysis calls fair")
        local_states, edges = found
        cyc = [int(v) for v in component.members[local_states]] if local_states else [s]
        j = int(np.argmin(prefix.dist[cyc]))  # rotate: start where the prefix is shortest
        cyc, edges = cyc[j:] + cyc[:j], edges[j:] + edges[:j]
        length = int(prefix.dist[cyc[0]]) + max(1, len(edges))
        if best is None or length < best[0]:
            best = (length, i, cyc, edges)
    if best is None:
        return None
    return options[best[1]][0], best[2], best[3]


@contextmanager
def small_pages() -> Iterator[None]:
    """NumPy asks the kernel for transparent huge pages on big arrays (madvise); where the
    kernel compacts memory to grant them (THP defrag "madvise", a common default), the
    analysis's many short-lived edge-sized arrays spent more time in the kernel than in NumPy
    (election Node=3 Volume=2: 9.2 s system time against 3.1 s user, measured). Off for the
    analysis, restored after. And glibc's malloc keeps freed blocks below its mmap threshold
    (which grows to 32 MiB as big blocks are freed) for reuse instead of giving them back,
    so the analysis's piecewise temporaries would pile up in the resident set: the threshold
    is fixed at `MMAP_THRESHOLD` (blocks above it are returned when freed)."""
    _fix_mmap_threshold()
    setter = getattr(getattr(np, "_core", None), "multiarray", None)
    toggle = getattr(setter, "_set_madvise_hugepage", None)
    if toggle is None:
        yield
        return
    previous = toggle(False)
    try:
        yield
    finally:
        toggle(previous)


MMAP_THRESHOLD = 1 << 23  # smaller blocks are reused from the heap (fewer page faults); larger ones given back


def _fix_mmap_threshold() -> None:
    """glibc's `mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)`; a no-op without glibc."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(ctypes.c_int(-3), ctypes.c_int(MMAP_THRESHOLD))  # -3: M_MMAP_THRESHOLD
    except (OSError, AttributeError):
        return


def find_violation(
    program: Program,
    graph: StateGraph,
    prop: Property,
    p_true: BoolArray,
    q_true: BoolArray | None = None,
    max_memory: int | None = None,
) -> Lasso | None:
    """A short fair lasso violating `prop`, or None if every fair behaviour satisfies it
    (see `_find_violation`). `max_memory`: raise `AnalysisMemoryLimit` rather than start a
    strongly-connected-components search that would take the process past it."""
    with small_pages():
        return _find_violation(program, graph, prop, p_true, q_true, max_memory)


def _find_violation(
    program: Program,
    graph: StateGraph,
    prop: Property,
    p_true: BoolArray,
    q_true: BoolArray | None = None,
    max_memory: int | None = None,
) -> Lasso | None:
    """A short fair lasso violating `prop`, or None if every fair behaviour satisfies it.

    The prefix is a shortest path (from any initial state) to the state where the cycle
    starts; among the accepting fair components, start states nearest the initial states are
    tried and the shortest prefix + cycle is kept (see `_best_lasso`, `_Component.cycle`)."""
    a = _Analysis(program, graph, max_memory)
    n = graph.n
    form = prop.temporal
    options: list[tuple[_Prefix, BoolArray, IntArray, BoolArray | None]] = []
    # First the fair components of the widest region a violating cycle may lie in: a fair
    # cycle inside a smaller region is one inside this one, so none here means the property
    # holds, and no shortest-path search (the largest arrays of the analysis) is needed.
    must = ~p_true if form == "eventually_always" else None
    if form == "leads_to":
        assert q_true is not None
        widest = ~q_true
    else:
        widest = np.ones(n, dtype=bool) if form == "eventually_always" else ~p_true
    good, comp = a.fair_states(widest, must)
    if not good.any():
        return None
    indptr, indices, eids = a.full_csr
    if form == "leads_to":
        assert q_true is not None
        _path_memory_check(max_memory, 2 * n, 2 * len(indices), "two layers")
    else:
        _path_memory_check(max_memory, n, len(indices), "the whole graph")
    if form == "eventually":
        # the prefix and the cycle both stay where P is false
        prefix = _Prefix(_Paths(indptr, indices, eids, graph.initial, ~p_true), n)
        region = ~p_true & (prefix.dist >= 0)
        if not np.array_equal(region, widest):
            good, comp = a.fair_states(region, None)
        options.append((prefix, good, comp, None))
    elif form in ("always_eventually", "eventually_always"):
        prefix = _Prefix(_Paths(indptr, indices, eids, graph.initial), n)
        reached = prefix.dist >= 0
        if not reached.all():
            good, comp = a.fair_states(widest & reached, must)
        # always_eventually: a cycle where P is false throughout; eventually_always: a cycle
        # that visits a state where P is false
        options.append((prefix, good, comp, must))
    elif form == "leads_to":
        assert q_true is not None
        trigger = p_true & ~q_true
        if not trigger.any():
            return None
        # a cycle where Q is false throughout, and either a trigger earlier, after which Q
        # stays false (the two-layer search: layer 1 once the trigger has happened), or a
        # trigger on the cycle itself
        both = _Paths(*_leads_to_layers(graph, indptr, indices, eids, trigger, ~q_true))
        layered = _Prefix(both, n, layer=1)
        good, comp = a.fair_states(~q_true & (layered.dist >= 0), None)
        options.append((layered, good, comp, None))
        labels = np.where(good, comp, 0)
        has_trigger = np.bincount(labels[good & p_true], minlength=int(labels.max()) + 1 if len(labels) else 1) > 0
        good_b = good & has_trigger[labels]
        if good_b.any():
            plain = _Prefix(both, n, layer=0)
            options.append((plain, good_b, comp, p_true))
    else:
        raise ValueError(f"unknown temporal form {form!r}")
    found = _best_lasso(a, options)
    if found is None:
        return None
    prefix, cyc_states, cyc_edges = found
    prefix_states, prefix_edges = prefix.path(cyc_states[0])
    states = prefix_states + cyc_states[1:]
    actions = [int(graph.act[e]) for e in prefix_edges + cyc_edges]
    if not cyc_edges:  # nothing fair to do: stutter forever at the entry
        # an action whose step changes nothing here is a stuttering step too; name it, so
        # the story reads "search_fails, forever" rather than a bare stutter
        entry = cyc_states[0]
        lo, hi = int(graph.indptr[entry]), int(graph.indptr[entry + 1])
        loops = lo + np.flatnonzero(graph.dst[lo:hi] == entry)
        actions.append(int(graph.act[loops[0]]) if len(loops) else STUTTER)
    return Lasso(states, actions, len(prefix_states) - 1)


def _leads_to_layers(
    graph: StateGraph, indptr: IntArray, indices: IntArray, eids: IntArray, trigger: BoolArray, no_q: BoolArray
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """The two-layer graph for `P leads to Q` as (indptr, indices, edge ids, sources): node v
    is state v before any trigger, node n + v is state v after a trigger (P and not Q) with Q
    false ever since. Layer 0 has every edge; an edge into a trigger also enters layer 1;
    layer 1 has the edges between states where Q is false. Initial triggers start in layer 1.
    Node numbers and edge ids are 32-bit while they fit, and per-edge positions are computed
    a block at a time (this graph is the largest array of a lasso search)."""
    n = graph.n
    edges = len(indices)
    deg = np.diff(indptr)
    itype = _index_type(2 * n, 2 * edges)
    rows: IntArray = np.repeat(np.arange(n, dtype=itype), deg)
    cross: IntArray = np.flatnonzero(trigger[indices]).astype(itype)
    inner_mask = no_q[rows]
    inner_mask &= no_q[indices]
    inner: IntArray = np.flatnonzero(inner_mask).astype(itype)
    del inner_mask
    # layer-0 row u: its own edges, then its edges into triggers (to layer 1); then the
    # layer-1 rows, whose edges keep the original order (already by row)
    cdeg = np.bincount(rows[cross], minlength=n)
    new_indptr = np.zeros(2 * n + 1, dtype=np.int64)
    np.cumsum(deg + cdeg, out=new_indptr[1 : n + 1])
    np.cumsum(np.bincount(rows[inner], minlength=n), out=new_indptr[n + 1 :])
    new_indptr[n + 1 :] += new_indptr[n]
    total = int(new_indptr[-1])
    new_indices: IntArray = np.empty(total, dtype=itype)
    new_eids = np.empty(total, dtype=eids.dtype)
    shift = new_indptr[:n] - indptr[:n]  # where row u's own edges move to
    for lo in range(0, edges, LAYER_PIECE):
        hi = min(edges, lo + LAYER_PIECE)
        own = np.arange(lo, hi, dtype=np.int64) + shift[rows[lo:hi]]
        new_indices[own], new_eids[own] = indices[lo:hi], eids[lo:hi]
    first = np.cumsum(cdeg) - cdeg  # index in `cross` of each row's first edge into a trigger
    into_base = new_indptr[:n] + deg - first  # + the edge's index in `cross`
    del first
    for lo in range(0, len(cross), LAYER_PIECE):
        hi = min(len(cross), lo + LAYER_PIECE)
        c = cross[lo:hi]
        into = np.arange(lo, hi, dtype=np.int64) + into_base[rows[c]]
        new_indices[into], new_eids[into] = indices[c] + n, eids[c]
    del rows, cross, into_base, shift
    after = int(new_indptr[n])
    for lo in range(0, len(inner), LAYER_PIECE):
        hi = min(len(inner), lo + LAYER_PIECE)
        c = inner[lo:hi]
        new_indices[after + lo : after + hi] = indices[c] + n
        new_eids[after + lo : after + hi] = eids[c]
    init = graph.initial
    sources = np.concatenate([init, init[trigger[init]] + n])
    return new_indptr.astype(itype), new_indices, new_eids, sources


LAYER_PIECE = 1 << 22  # edges placed at a time in the two-layer graph

# the shortest-path searches of a lasso: per step of the graph searched (its CSR copy with the
# super-source's edges, scipy's canonical matrix) and per state (distances, parents, order),
# measured on the re-mirroring model with a margin; leads-to searches a graph of two layers
PATH_BYTES_PER_STEP = 14
PATH_BYTES_PER_STATE = 80


def _path_memory_check(max_memory: int | None, states: int, steps: int, what: str) -> None:
    """AnalysisMemoryLimit if a shortest-path search of `states` and `steps` would take the
    process past `max_memory`."""
    if max_memory is None:
        return
    need = states * PATH_BYTES_PER_STATE + steps * PATH_BYTES_PER_STEP
    if resident_bytes() + need > max_memory:
        raise AnalysisMemoryLimit(f"the shortest-lasso search ({what}, {states:,} nodes and {steps:,} steps) needs "
                                  f"about {need / 2**20:,.0f} MiB more, past --max-memory {max_memory / 2**20:,.0f} MiB")


def step_enabled(program: Program, action: int, state: State) -> bool:
    """ENABLED <<A>>_vars: the action's guard holds and its step would change the state."""
    act = program.actions[action]
    return bool(evaluate(act.guard, state)) and fire(act, state) != state


def taken_in_cycle(states: Sequence[State], actions: Sequence[int], loop_start: int) -> set[int]:
    """The actions a lasso's cycle takes as <<A>>_vars steps (steps that change the state)."""
    taken = set()
    for i in range(loop_start, len(states)):
        nxt = states[i + 1] if i + 1 < len(states) else states[loop_start]
        if actions[i] != STUTTER and nxt != states[i]:
            taken.add(actions[i])
    return taken


def verify_lasso(
    program: Program, states: Sequence[State], actions: Sequence[int], loop_start: int, prop: Property
) -> str | None:
    """None if the lasso is real, fair and violates prop; else what is wrong with it.

    Checks, with the reference evaluator only: states[0] is initial; every step is the named
    action (or a stutter); the closing step returns to states[loop_start]; every fair action
    instance is treated fairly on the cycle (TLA+'s `<<A>>_vars`: only a step that changes the
    state takes A, and A is enabled where its guard holds and its step would change the
    state); the property is false on this behaviour."""
    from replicheck.backends.reference import initial_states

    if len(actions) != len(states):
        return "a lasso needs one action per state (the last one closes the loop)"
    if states[0] not in {s for _, s in initial_states(program)}:
        return "the lasso does not start in an initial state"
    for i, s in enumerate(states):
        broken = [c.name for c in program.of_kind("constraint") if not evaluate(c.expr, s)]
        if broken:
            return f"state {i} of the lasso is outside the @constraint {broken[0]}, which no behaviour enters"
    for i, (s, a) in enumerate(zip(states, actions)):
        nxt = states[i + 1] if i + 1 < len(states) else states[loop_start]
        if a == STUTTER:
            if nxt != s:
                return f"step {i + 1} is marked as stuttering but changes the state"
            continue
        if fire(program.actions[a], s) != nxt:
            return f"step {i + 1}: {program.actions[a].label} does not lead to the next state"
    cycle = list(range(loop_start, len(states)))
    taken = taken_in_cycle(states, actions, loop_start)
    for k, act in enumerate(program.actions):
        if act.fairness not in ("weak", "strong") or k in taken:
            continue
        en = [step_enabled(program, k, states[i]) for i in cycle]
        if act.fairness == "weak" and all(en):
            return f"unfair: {act.label} is enabled throughout the cycle but never taken"
        if act.fairness == "strong" and any(en):
            return f"unfair: {act.label} is enabled in the cycle (strong fairness) but never taken"

    def p(i: int) -> bool:
        return bool(evaluate(prop.expr, states[i]))

    def q(i: int) -> bool:
        assert prop.expr2 is not None
        return bool(evaluate(prop.expr2, states[i]))

    form = prop.temporal
    if form == "eventually":
        violated = not any(p(i) for i in range(len(states)))
    elif form == "always_eventually":
        violated = not any(p(i) for i in cycle)
    elif form == "eventually_always":
        violated = not all(p(i) for i in cycle)
    elif form == "leads_to":
        # some P state after which (itself included) Q never holds, the cycle included
        violated = any(
            p(i) and not any(q(j) for j in range(min(i, loop_start), len(states)) if j >= i or j in cycle)
            for i in range(len(states))
        )
    else:
        return f"unknown temporal form {form!r}"
    return None if violated else f"the lasso does not violate {prop.name}"
