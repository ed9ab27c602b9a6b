"""Compact state stores for the batch engine: a NumPy open-addressing hash set, and the
parent links of a breadth-first search as arrays.

Owns: `HashSet` (linear probing over a power-of-two table; either *exact*, one row of `words`
int64 per entry holding the packed state itself, or *fingerprint*, one int64 per entry
holding a 64-bit hash of it; batch `contains`, `insert_new` and `add_absent` (both in
one probing pass); made `with_ids`, each state's number (its insertion order) kept beside
it and read back by `ids_of`: the vertices of the batch engine's liveness graph); growth by doubling at a
load factor of 3/4; `nbytes`), `collision_probability` (TLC's style of estimate for a
fingerprint store), and `LevelLinks` (per BFS level: the parent's index in the previous
level and the action taken, uint32/uint16 arrays, from which a path is rebuilt by replaying
actions).

Must not import: z3, hypothesis; nothing of checker but `replicheck.ir` and
`replicheck.backends.numpy_batch` (for fingerprints).

Keys are int64 rows whose words are all non-negative, so -1 (`EMPTY`) marks a free entry;
fingerprints never equal -1 (see `replicheck.backends.numpy_batch.fingerprint`). The entry of a
key is the top bits of its fingerprint (Fibonacci-style: the fingerprint is already mixed).
Batches are processed with vectorised probing: each round gathers the entries of the keys
still probing, settles the found and the free ones, and moves the rest one entry on; an
insert claims free entries by writing and reading back (a key that lost the entry to another
key of the same batch probes on). Results do not depend on the order inside a batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from replicheck.backends.numpy_batch import EMPTY, fingerprint

Array = Any

MAX_LOAD = 0.75


def collision_probability(states: int, bits: int = 64) -> float:
    """The chance that two of `states` distinct states share a fingerprint of `bits` bits
    (the birthday estimate n*(n-1)/2 / 2**bits, TLC's "optimistic" style): the chance that
    the search silently missed at least one state."""
    return min(1.0, states * (states - 1) / 2.0 / float(2**bits))


class HashSet:
    """A set of packed states (exact: `words` int64 per entry) or of their fingerprints (one
    int64 per entry). The table is kept as one 1-D array per word (`table[w]`): gathers and
    comparisons on 1-D arrays are several times faster in NumPy than on rows."""

    def __init__(self, words: int, fingerprints: bool, capacity: int = 1 << 12, with_ids: bool = False) -> None:
        self.words = words
        self.fingerprints = fingerprints
        self.width = 1 if fingerprints else words
        self.with_ids = with_ids  # keep each state's number (its insertion order) beside it
        cap = 1 << max(4, (capacity - 1).bit_length())
        self._alloc(cap)
        self.count = 0

    def _alloc(self, cap: int) -> None:
        self.cap = cap
        self.mask = cap - 1
        self.shift = np.uint64(64 - (cap.bit_length() - 1))
        self.table = [np.full(cap, EMPTY, dtype=np.int64) for _ in range(self.width)]
        self.ids = np.empty(cap if self.with_ids else 0, dtype=np.int64 if self.with_ids and cap > (1 << 31) else np.int32)

    @property
    def nbytes(self) -> int:
        return sum(int(t.nbytes) for t in self.table) + int(self.ids.nbytes)

    def growth_bytes(self, extra: int) -> int:
        """Bytes a growth would allocate to hold `extra` more entries (0 if none needed)."""
        need = self.count + extra
        cap = self.cap
        while need > cap * MAX_LOAD:
            cap *= 2
        return 0 if cap == self.cap else cap * (self.width * 8 + (4 if self.with_ids else 0))

    def entries(self, fps: Array) -> Array:
        return (fps.view(np.uint64) >> self.shift).astype(np.intp)

    def stored(self, keys: Array, fps: Array) -> list[Array]:
        if self.fingerprints:
            return [fps]
        return [np.ascontiguousarray(keys[:, w]) for w in range(self.words)]

    def contains(self, keys: Array, fps: Array) -> Array:
        """A bool per row: is this key (with fingerprint fps) in the set?"""
        want = self.stored(keys, fps)
        n = fps.shape[0]
        found = np.zeros(n, dtype=np.bool_)
        pos = self.entries(fps)
        table, mask = self.table, self.mask
        t0 = table[0]
        idx: Array | None = None  # None: every row still probing
        w = want
        while True:
            got = t0[pos]
            eq = got == w[0]
            for k in range(1, self.width):
                eq &= table[k][pos] == w[k]
            more = ~eq
            more &= got != EMPTY
            if idx is None:
                found = eq
                idx = np.flatnonzero(more)
                w = [x[idx] for x in want]
                pos = pos[idx]
            else:
                found[idx[eq]] = True
                sel = np.flatnonzero(more)
                idx = idx[sel]
                w = [x[sel] for x in w]
                pos = pos[sel]
            if not idx.size:
                return found
            pos += 1
            pos &= mask

    def find(self, keys: Array, fps: Array) -> Array:
        """The entry of each row's key in the table, or -1 where it is absent."""
        want = self.stored(keys, fps)
        n = fps.shape[0]
        at = np.full(n, -1, dtype=np.intp)
        pos = self.entries(fps)
        table, mask = self.table, self.mask
        t0 = table[0]
        idx = np.arange(n)
        w = want
        while idx.size:
            got = t0[pos]
            eq = got == w[0]
            for k in range(1, self.width):
                eq &= table[k][pos] == w[k]
            at[idx[eq]] = pos[eq]
            sel = np.flatnonzero(~eq & (got != EMPTY))
            idx, pos = idx[sel], (pos[sel] + 1) & mask
            w = [x[sel] for x in w]
        return at

    def ids_of(self, keys: Array, fps: Array) -> Array:
        """The number of each row's state (the order it was inserted in, from 0); every key
        must be in the set (a set made `with_ids`)."""
        at = self.find(keys, fps)
        if (at < 0).any():
            raise KeyError("ids_of: a key is not in the set")
        return self.ids[at]

    def add_absent(self, keys: Array, fps: Array) -> Array:
        """Insert the keys (distinct within the batch) that the set does not hold yet, and
        return which rows those were. With one int64 per entry this is one probing pass (a
        row claims the free entry it reaches, reads it back, and probes on if another row of
        the batch took it); otherwise `contains` then `insert_new`. Does not grow the table
        past its load factor: call `grow_if_full` after."""
        n = fps.shape[0]
        if self.width > 1 or n == 0:
            absent = ~self.contains(keys, fps)
            self.insert_new(keys[absent], fps[absent], grow=False)
            return absent
        first_id = self.count
        self._make_room(n, 0.9)  # so that the batch fits even if every row is new
        want = self.stored(keys, fps)[0]
        pos = self.entries(fps)
        t0, mask = self.table[0], self.mask
        added = np.zeros(n, dtype=np.bool_)
        at = np.empty(n, dtype=np.intp) if self.with_ids else None
        idx = np.arange(n)
        while True:
            got = t0[pos]
            free = got == EMPTY
            if free.any():
                claim = pos[free]
                t0[claim] = want[free]
                got[free] = t0[claim]  # read back: another row may have taken the entry
            same = got == want  # stored before, or claimed just now (rows are distinct)
            added[idx[same & free]] = True
            if at is not None:
                at[idx[same]] = pos[same]
            more = np.flatnonzero(~same)
            if not more.size:
                break
            idx, want, pos = idx[more], want[more], (pos[more] + 1) & mask
        new = int(added.sum())
        if at is not None and new:  # the new states are numbered in row order
            self.ids[at[added]] = np.arange(first_id, first_id + new, dtype=self.ids.dtype)
        self.count += new
        return added

    def wants_growth(self) -> bool:
        return self.count > self.cap * MAX_LOAD

    def grow_if_full(self) -> None:
        """Double the table until the load is at most the load factor."""
        self._make_room(0, MAX_LOAD)

    def _make_room(self, extra: int, load: float) -> None:
        if self.count + extra > self.cap * load:
            cap = self.cap
            while self.count + extra > cap * load:
                cap *= 2
            self._grow(cap)

    def insert_new(self, keys: Array, fps: Array, grow: bool = True) -> None:
        """Add keys known to be absent and distinct."""
        n = fps.shape[0]
        if n == 0:
            return
        self._make_room(n, MAX_LOAD if grow else 0.9)
        numbers = np.arange(self.count, self.count + n, dtype=np.int64) if self.with_ids else None
        self._place(self.stored(keys, fps), self.entries(fps), numbers)
        self.count += n

    def _place(self, want: list[Array], pos: Array, numbers: Array | None = None) -> None:
        """Put absent, distinct keys in free entries (with their numbers, in a set `with_ids`)."""
        table, mask = self.table, self.mask
        t0 = table[0]
        if numbers is not None:
            want = want + [numbers]  # carried along, written to `ids` where a key lands
        if self.width > 1:  # in entry order, so that keys claiming one entry are adjacent
            order = np.argsort(pos)
            pos, want = pos[order], [x[order] for x in want]
        while pos.size:
            free = t0[pos] == EMPTY
            if self.width > 1:
                # several keys may claim one free entry: the first of them takes it whole
                # (writing word by word could otherwise mix two keys in one entry)
                if pos.size > 1 and not bool(np.all(pos[1:] >= pos[:-1])):  # wrapped around
                    order = np.argsort(pos, kind="stable")
                    pos, want, free = pos[order], [x[order] for x in want], free[order]
                won = free.copy()
                same = pos[1:] == pos[:-1]
                won[1:] &= ~(same & free[:-1])
                for k in range(self.width):
                    table[k][pos[won]] = want[k][won]
            else:
                cpos = pos[free]
                t0[cpos] = want[0][free]
                won = free
                won[free] = t0[cpos] == want[0][free]
            if numbers is not None:
                self.ids[pos[won]] = want[-1][won]
            if won.all():
                return
            rest = np.flatnonzero(~won)
            pos = (pos[rest] + 1) & mask
            want = [x[rest] for x in want]

    def _grow(self, cap: int) -> None:
        """Move every entry to a table of `cap` entries, a slice of the old table at a time
        (no copy of all live entries at once: the peak is the two tables)."""
        old, old_ids = self.table, self.ids
        self._alloc(cap)
        step = 1 << 20
        for lo in range(0, old[0].shape[0], step):
            at = np.flatnonzero(old[0][lo:lo + step] != EMPTY) + lo
            live = [t[at] for t in old]
            fps = live[0] if self.fingerprints else fingerprint(np.stack(live, axis=1))
            self._place(live, self.entries(fps), old_ids[at] if self.with_ids else None)
        del old, old_ids


class FirstSeen:
    """Deduplication of a batch without sorting it by fingerprint: which rows are the first
    (smallest rank) of their fingerprint, listed in rank order.

    A scratch open-addressing table (reused between batches) gives each distinct fingerprint
    an entry, `np.minimum.at` finds each entry's smallest rank, and the winners are put in
    rank order by a stable sort of their ranks (cheap: a batch arrives as a few long runs of
    increasing ranks, which a merge sort only has to merge)."""

    def __init__(self) -> None:
        self.fps = np.zeros(0, dtype=np.int64)
        self.minrank = np.zeros(0, dtype=np.int64)

    def first(self, fps: Array, rank: Array) -> tuple[Array, Array]:
        """(winning rows in rank order, the entry of every row): rows have equal
        fingerprints exactly when their entries are equal."""
        m = fps.shape[0]
        cap = 1 << max(4, (2 * m - 1).bit_length())  # load at most 1/2
        if self.fps.shape[0] < cap:
            self.fps = np.empty(cap, dtype=np.int64)
            self.minrank = np.empty(cap, dtype=np.int64)
        table = self.fps[:cap]
        table.fill(EMPTY)
        mask = cap - 1
        shift = np.uint64(64 - (cap.bit_length() - 1))
        pos = (fps.view(np.uint64) >> shift).astype(np.intp)
        entry = np.empty(m, dtype=np.intp)
        idx: Array | None = None
        want = fps
        while True:
            got = table[pos]
            free = got == EMPTY
            if free.any():
                table[pos[free]] = want[free]  # of several claimants one wins; the rest probe on
                got = table[pos]
            hit = got == want
            if idx is None:
                entry[hit] = pos[hit]
                miss = np.flatnonzero(~hit)
                idx = miss
            else:
                entry[idx[hit]] = pos[hit]
                miss = np.flatnonzero(~hit)
                idx = idx[miss]
            if not idx.size:
                break
            want, pos = want[miss], (pos[miss] + 1) & mask
        best = self.minrank[:cap]
        best[entry] = np.iinfo(np.int64).max
        np.minimum.at(best, entry, rank)
        wins = np.flatnonzero(rank == best[entry])
        return wins[np.argsort(rank[wins], kind="stable")], entry


class LevelLinks:
    """Parent links of a breadth-first search, level by level: for the state at position p
    of level d (d >= 1), `parents[d][p]` is its parent's position in level d-1 and
    `actions[d][p]` the index of the action taken; level 0 holds the initial states, with
    `actions[0][p]` the index of the initial state in the engine's list of them."""

    def __init__(self, actions: int) -> None:
        self.adtype = np.uint16 if actions < (1 << 16) else np.uint32
        self.parents: list[Array] = []
        self.actions: list[Array] = []

    def add_level(self, parents: Array, actions: Array) -> None:
        self.parents.append(np.asarray(parents, dtype=np.uint32))
        self.actions.append(np.asarray(actions, dtype=self.adtype))

    @property
    def nbytes(self) -> int:
        return sum(int(a.nbytes) for a in self.parents) + sum(int(a.nbytes) for a in self.actions)

    def __len__(self) -> int:
        return sum(len(a) for a in self.parents)

    def chain(self, level: int, pos: int) -> tuple[int, list[int]]:
        """(index of the initial state, the actions from it) for the state at (level, pos)."""
        acts: list[int] = []
        while level > 0:
            acts.append(int(self.actions[level][pos]))
            pos = int(self.parents[level][pos])
            level -= 1
        acts.reverse()
        return int(self.actions[0][pos]), acts
