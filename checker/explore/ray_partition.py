"""One partition of the ray engine's search: its slice of the store, of the parent links and of
each level, expanded with the batch backend.

Owns: `Partition`, a plain class (the ray engine makes it a Ray actor; the tests also run it
in-process): the states whose fingerprint `checkpoint.owner_of` gives to it, their parent
links by level (`gpos`: a state's position in its level in the batch engine's order,
`parent`: its parent's position in the previous level, `action`), and the level step's
pieces, each a method the driver calls on every partition:

1. `expand`: evaluate the frontier in chunks (`BatchSearch.evaluate`, as the batch engine
   does), keep each row's enabled-action count and @constraint flag, and the successors,
   deduplicated here in discovery order with their *rank* (parent's position x actions +
   action: the batch engine's discovery order across every partition); report the rows that
   need a closer look (`BatchSearch.first_rows`) and the actions enabled.
2. `recheck`: after a new violation in continue mode, those rows again, after a position, with
   the properties still checked.
3. `route`: drop the successors at or after the driver's cut (a violation that stops the
   level), count transitions and pruned states before it, and split the rest by owner.
4. `admit`: take every partition's successors for this one, keep the smallest rank of each
   state, add the ones the store lacks; split their ranks by ranges of parent position.
5. `order` / `positions`: for a range of ranks, their positions in the next level (a sort
   of that range, plus the counts of the ranges before it, which the driver adds up).
6. `commit`: the new states' positions; they become the links and the frontier.

Positions are dense and in the batch engine's order, so a partitioned search stores, counts
and reports exactly what the batch engine does, for any number of partitions.

Must not import: ray (this module runs inside a Ray actor but does not need Ray), z3,
hypothesis, `replicheck.cli`, `models`.
"""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any, Sequence

import numpy as np

from replicheck.backends.numpy_batch import fingerprint
from replicheck.ir import Program

from .batch import BatchSearch
from .checkpoint import Saved, levels_of, owner_of, write_slice
from .memory import peak_resident_bytes, resident_bytes
from .options import CheckOptions

Array = Any


def partition_options(options: CheckOptions) -> CheckOptions:
    """The options a partition evaluates with: one process, no callbacks, no checkpoint of its own."""
    return replace(options, engine="batch", workers=1, progress=None, checkpoint=None, resume=None,
                   partitions=None, ray_address=None)


class Partition:
    def __init__(self, program: Program, options: CheckOptions, index: int, count: int) -> None:
        self.search = BatchSearch(program, partition_options(options))
        self.index = index
        self.count = count
        self.nact = max(self.search.nact, 1)
        self.words = self.search.layout.words
        self.chunk_rows = self.search.chunk_rows
        self.links: list[tuple[Array, Array, Array]] = []  # per level: (gpos, parent, action), by gpos
        self.frontier = np.zeros((0, self.words), dtype=np.int64)
        self.fgpos = np.zeros(0, dtype=np.int64)
        self._clear_level()

    def _clear_level(self) -> None:
        self.enabled = np.zeros(0, dtype=np.int64)
        self.outside = np.zeros(0, dtype=np.bool_)
        self.cand: Array = np.zeros((0, self.words + 2), dtype=np.int64)  # keys, fingerprint, rank
        self.new_keys = np.zeros((0, self.words), dtype=np.int64)
        self.new_rank = np.zeros(0, dtype=np.int64)
        self.bucket = np.zeros(0, dtype=np.intp)
        self.ranks: list[Array] = []
        self.sorted_ranks = np.zeros(0, dtype=np.int64)

    def pid(self) -> int:
        return os.getpid()

    # -- the start --------------------------------------------------------------------------
    def seed(self, keys: Array, gpos: Array) -> int:
        """The initial states this partition owns, with their indices (level 0)."""
        self.search.store.insert_new(keys, fingerprint(keys))
        self.frontier, self.fgpos = keys, np.asarray(gpos, dtype=np.int64)
        self.links.append((self.fgpos, np.zeros(len(gpos), dtype=np.int64), self.fgpos.copy()))
        return int(keys.shape[0])

    def load(self, saved: Saved) -> int:
        """Every level of a checkpoint, keeping the states this partition owns."""
        store = self.search.store
        for keys, fps, gpos, parent, action in levels_of(saved, self.words, self.index, self.count):
            store.insert_new(keys, fps)
            self.links.append((gpos, parent, action))
            self.frontier, self.fgpos = keys, gpos
        return int(store.count)

    def save(self, level_dir: str, level: int) -> int:
        """Write this partition's slice of level `level` (its keys are the frontier's)."""
        gpos, parent, action = self.links[level]
        return write_slice(level_dir, self.index, self.frontier, gpos, parent, action)

    # -- one level --------------------------------------------------------------------------
    def expand(self, at_bound: bool, invs: Sequence[int], aprops: Sequence[int],
               pending: Sequence[int]) -> tuple[list[tuple[int, list[int]]], list[int]]:
        """Evaluate the frontier; ([(position, key words)] of the rows needing a closer look,
        in order; the actions some row enables)."""
        s = self.search
        n = self.frontier.shape[0]
        self.enabled = np.zeros(n, dtype=np.int64)
        self.outside = np.zeros(n, dtype=np.bool_)
        unusual: list[tuple[int, list[int]]] = []
        ever: set[int] = set()
        ck: list[Array] = []
        cr: list[Array] = []
        cf: list[Array] = []
        for lo in range(0, n, self.chunk_rows):
            keys = self.frontier[lo:lo + self.chunk_rows]
            part = s.evaluate(keys, at_bound, invs, aprops, pending)
            ever.update(part.ever)
            hi = lo + keys.shape[0]
            if part.enabled is not None:
                self.enabled[lo:hi] = part.enabled
            if part.outside is not None:
                self.outside[lo:hi] = part.outside
            for row, _ in s.first_rows(part, at_bound):
                unusual.append((int(self.fgpos[lo + row]), self.frontier[lo + row].tolist()))
            if part.cand_keys.shape[0]:
                g = self.fgpos[lo:hi]
                rank = g[part.cand_rank // self.nact] * self.nact + part.cand_rank % self.nact
                k, r, f = s.dedupe(part.cand_keys, rank, part.cand_fps)
                ck.append(k)
                cr.append(r)
                cf.append(f)
        if ck:
            k, r, f = s.dedupe(np.concatenate(ck), np.concatenate(cr), np.concatenate(cf))
            self.cand = np.concatenate([k, f[:, None], r[:, None]], axis=1)
        else:
            self.cand = np.zeros((0, self.words + 2), dtype=np.int64)
        return unusual, sorted(ever)

    def recheck(self, after: int, at_bound: bool, invs: Sequence[int], aprops: Sequence[int],
                pending: Sequence[int]) -> list[tuple[int, list[int]]]:
        """The rows after position `after` needing a closer look, with these properties."""
        s = self.search
        start = int(np.searchsorted(self.fgpos, after, side="right"))
        unusual: list[tuple[int, list[int]]] = []
        n = self.frontier.shape[0]
        for lo in range(start, n, self.chunk_rows):
            keys = self.frontier[lo:lo + self.chunk_rows]
            part = s.evaluate(keys, at_bound, invs, aprops, pending)
            for row, _ in s.first_rows(part, at_bound):
                unusual.append((int(self.fgpos[lo + row]), self.frontier[lo + row].tolist()))
        return unusual

    def route(self, cut_rank: int | None, stop_pos: int | None) -> tuple[Any, ...]:
        """((transitions, pruned) of the rows before `stop_pos` and the bytes sent to other
        partitions, then one array per partition: the successors it owns, before `cut_rank`;
        None: no cut."""
        counted = slice(None) if stop_pos is None else slice(0, int(np.searchsorted(self.fgpos, stop_pos)))
        tallies = (int(self.enabled[counted].sum()), int(self.outside[counted].sum()))
        cand = self.cand
        if cut_rank is not None:
            cand = cand[cand[:, -1] < cut_rank]
        self.cand = np.zeros((0, self.words + 2), dtype=np.int64)
        dest = owner_of(np.ascontiguousarray(cand[:, self.words]), self.count)
        order = np.argsort(dest, kind="stable")
        bounds = np.searchsorted(dest[order], np.arange(self.count + 1))
        cand = cand[order]
        pieces = [cand[bounds[q]:bounds[q + 1]] for q in range(self.count)]
        sent = sum(int(x.nbytes) for q, x in enumerate(pieces) if q != self.index)
        return ((*tallies, sent), *pieces)

    def admit(self, level_size: int, *pieces: Array) -> tuple[Any, ...]:
        """Every partition's successors owned here: (number of new states, then one array of
        ranks per range partition); `level_size`: states in the level expanded."""
        s = self.search
        allc = np.concatenate(pieces) if pieces else np.zeros((0, self.words + 2), dtype=np.int64)
        keys = np.ascontiguousarray(allc[:, :self.words])
        fps = np.ascontiguousarray(allc[:, self.words])
        rank = np.ascontiguousarray(allc[:, self.words + 1])
        keys, rank, fps = s.dedupe(keys, rank, fps)  # the smallest rank of each state, in rank order
        added = s.store.add_absent(keys, fps)
        s.store.grow_if_full()
        self.new_keys, self.new_rank = keys[added], rank[added]
        parent = self.new_rank // self.nact
        self.bucket = (parent * self.count // max(level_size, 1)).astype(np.intp)
        bounds = np.searchsorted(self.bucket, np.arange(self.count + 1))  # ranks are sorted, so buckets are
        return (int(self.new_rank.shape[0]), *[self.new_rank[bounds[b]:bounds[b + 1]] for b in range(self.count)])

    def order(self, *pieces: Array) -> int:
        """Ranks of one range, from every partition (in partition order): sorted; their number."""
        self.ranks = list(pieces)
        self.sorted_ranks = np.sort(np.concatenate(pieces)) if pieces else np.zeros(0, dtype=np.int64)
        return int(self.sorted_ranks.shape[0])

    def positions(self, offset: int) -> tuple[Any, ...]:
        """(the offset, then each partition's ranks of this range as positions in the next level)."""
        out = [offset + np.searchsorted(self.sorted_ranks, piece) for piece in self.ranks]
        self.ranks, self.sorted_ranks = [], np.zeros(0, dtype=np.int64)
        return (offset, *out)

    def commit(self, *pieces: Array) -> dict[str, int]:
        """The positions of this partition's new states (one array per range partition): they
        become the next level's links and the frontier."""
        gpos = np.concatenate(pieces).astype(np.int64) if pieces else np.zeros(0, dtype=np.int64)
        self.links.append((gpos, self.new_rank // self.nact, self.new_rank % self.nact))
        self.frontier, self.fgpos = self.new_keys, gpos
        self.new_keys = np.zeros((0, self.words), dtype=np.int64)
        self.new_rank = np.zeros(0, dtype=np.int64)
        return self.usage()

    def usage(self) -> dict[str, int]:
        store = self.search.store
        link_bytes = sum(int(a.nbytes) for t in self.links for a in t)
        return {"stored": int(store.count), "store_bytes": int(store.nbytes), "link_bytes": link_bytes,
                "rss": resident_bytes(), "peak": peak_resident_bytes(), "frontier": int(self.frontier.shape[0])}

    # -- paths ------------------------------------------------------------------------------
    def link(self, level: int, pos: int) -> tuple[int, int] | None:
        """(parent position, action) of the state at `pos` of `level`, if this partition owns it."""
        gpos, parent, action = self.links[level]
        i = int(np.searchsorted(gpos, pos))
        if i < gpos.shape[0] and int(gpos[i]) == pos:
            return int(parent[i]), int(action[i])
        return None


__all__ = ["Partition", "partition_options"]
