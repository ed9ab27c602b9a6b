"""Symmetry reduction for the batch engine: the orbit representatives of whole arrays of
packed states at once.

Owns: `BatchCanonical`, the vectorised form of `replicheck.explore.symmetry.Symmetry`'s
`canonical` (the lexicographically smallest image of a state under the permutation group of
the symmetric sorts) over (n, words) arrays of packed keys, with each state's stabiliser size
(so orbit sizes for `--unreduced`). One meaning: it returns exactly the representative the
scalar engine stores, so both engines store the same orbits in the same discovery order and
their traces agree step by step (`tests/explore/test_batch_symmetry.py` compares them on
every symmetric shipped model and on random states).

How: a state's image under permutation p has, at slot j, the value of slot `src[p, j]`
renamed by p. The smallest image is found column by column over (row, permutation) pairs:
at column j every pair's image value is computed, each row keeps the pairs that reach the
row's minimum, and the minimum is the representative's value at j. Rows left with one pair
take their remaining columns in one gather. The pairs left at the end are the permutations
that map the state to its representative: a coset of the representative's stabiliser, whose
size is their number.

Must not import: z3, hypothesis, `replicheck.cli`, `replicheck.report` renderers.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from replicheck.backends.numpy_batch import Layout
from replicheck.errors import UsageProblem

from .symmetry import Symmetry

Array = Any

PAIRS = 1 << 21  # (row, permutation) pairs one sort's group gives a piece at once: its memory


class BatchSymmetryRefused(UsageProblem, ValueError):
    """The batch engine cannot reduce this model by symmetry (a slot wider than one field)."""


class BatchCanonical:
    def __init__(self, sym: Symmetry, layout: Layout) -> None:
        wide = [sym.program.slots[k].name for k in sorted(layout.wide)]
        if wide:
            raise BatchSymmetryRefused(
                f"the batch engine reduces by symmetry only states whose slots fit 63 bits each; "
                f"{wide[0]} does not: use --symmetry without --engine batch"
            )
        self.layout = layout
        self.group_size = sym.group_size
        width = layout.width
        nperm = sym.group_size
        self.src = np.zeros((nperm, width), dtype=np.intp)
        # renamed values: a value's offset from its domain's lo goes through table[base + off]
        self.renames = np.zeros(width, dtype=np.bool_)
        base = np.zeros((nperm, width), dtype=np.intp)
        tables: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        at = 1
        known: dict[tuple[int, tuple[int, ...]], int] = {}
        for p in range(nperm):
            moves = sym.moves(p)
            for i in range(width):
                j = moves[i]
                self.src[p, j] = i
                table = sym.renamed_offsets(p, i)
                if table is None:
                    continue
                self.renames[j] = True
                key = (i, table)
                if key not in known:
                    known[key] = at
                    tables.append(np.asarray(table, dtype=np.int64))
                    at += len(table)
                base[p, j] = known[key]
        self.base = base
        self.table = np.concatenate(tables)
        # the group is the product of each symmetric sort's permutations, in `sym.sorts`
        # order (the last varies fastest): which sorts' components each column depends on
        self.sort_groups = [math.factorial(sym.sort_size(name)) for name in sym.sorts]
        self.strides = [math.prod(self.sort_groups[i + 1:]) for i in range(len(self.sort_groups))]
        shape = tuple(self.sort_groups)
        self.deps: list[int] = []
        for j in range(width):
            bits = 0
            for col in (self.src[:, j], base[:, j]):
                grid = col.reshape(shape)
                for i in range(len(shape)):
                    if (np.ptp(grid, axis=i) != 0).any():
                        bits |= 1 << i
            self.deps.append(bits)
        # pairs start one per row and grow by a sort's group at a time: a piece's rows are
        # bounded by the largest sort's group (rows with large stabilisers keep more)
        self.rows_per_piece = max(1, PAIRS // max(self.sort_groups))
        self.later = [0] * width  # the sorts the columns after j depend on
        for j in range(width - 2, -1, -1):
            self.later[j] = self.later[j + 1] | self.deps[j + 1]

    def offsets(self, keys: Array) -> Array:
        """Each slot's value minus its domain's lo, as an (n, width) int64 array."""
        lay = self.layout
        out = np.empty((keys.shape[0], lay.width), dtype=np.int64)
        for k in range(lay.width):
            w = keys[:, lay.word[k]]
            out[:, k] = ((w >> lay.shift[k]) if lay.shift[k] else w) & ((1 << lay.bits[k]) - 1)
        return out

    def pack(self, offs: Array) -> Array:
        lay = self.layout
        keys = np.zeros((offs.shape[0], lay.words), dtype=np.int64)
        for k in range(lay.width):
            col = offs[:, k]
            keys[:, lay.word[k]] |= (col << lay.shift[k]) if lay.shift[k] else col
        return keys

    def canonical(self, keys: Array) -> tuple[Array, Array]:
        """The representatives of the states `keys` (n, words) and each one's stabiliser
        size (the number of permutations that fix it; its orbit has group_size / that many
        states)."""
        n = keys.shape[0]
        out = np.empty_like(keys)
        stab = np.empty(n, dtype=np.int64)
        step = self.rows_per_piece
        for lo in range(0, n, step):
            hi = min(n, lo + step)
            out[lo:hi], stab[lo:hi] = self._piece(keys[lo:hi])
        return out, stab

    def _piece(self, keys: Array) -> tuple[Array, Array]:
        n = keys.shape[0]
        width = self.layout.width
        offs = self.offsets(keys)
        best = np.empty_like(offs)
        stab = np.ones(n, dtype=np.int64)
        # pairs (row, permutation), by row; a sort's component joins them at the first column
        # that depends on it (until then it is the identity, index 0: any choice gives the
        # same values there)
        pr = np.arange(n, dtype=np.intp)
        pp = np.zeros(n, dtype=np.intp)
        active = 0  # bit i: sort i's component is spread over the pairs
        rows = np.arange(n, dtype=np.intp)  # the rows still open, in order
        for j in range(width):
            if not pr.size:
                break
            for i in range(len(self.sort_groups)):
                if self.deps[j] >> i & 1 and not active >> i & 1:
                    g, stride = self.sort_groups[i], self.strides[i]
                    pr = np.repeat(pr, g)
                    pp = (pp.reshape(-1, 1) + (np.arange(g, dtype=np.intp) * stride)).reshape(-1)
                    active |= 1 << i
            v = offs[pr, self.src[pp, j]]
            if self.renames[j]:
                v = self.table[self.base[pp, j] + v]
            change = np.flatnonzero(pr[1:] != pr[:-1]) + 1
            starts = np.concatenate(([0], change))
            mins = np.minimum.reduceat(v, starts)
            best[rows, j] = mins
            keep = v == np.repeat(mins, np.diff(np.append(starts, pr.size)))
            if not keep.all():
                pr, pp = pr[keep], pp[keep]
            if j + 1 == width or self.later[j] & ~active:
                continue
            # the rows left with one permutation, and no later column depending on a sort not
            # yet spread: the rest of their image in one gather
            same_prev = np.zeros(pr.size, dtype=np.bool_)
            same_prev[1:] = pr[1:] == pr[:-1]
            alone = ~same_prev
            alone[:-1] &= ~same_prev[1:]
            if alone.any():
                r, p = pr[alone], pp[alone]
                img = offs[r[:, None], self.src[p, j + 1:]]
                ren = self.renames[j + 1:]
                if ren.any():
                    img[:, ren] = self.table[self.base[p][:, j + 1:][:, ren] + img[:, ren]]
                best[r, j + 1:] = img
                stab[r] = self.inactive_size(active)
                pr, pp = pr[~alone], pp[~alone]
                rows = rows[np.isin(rows, r, assume_unique=True, invert=True)]
        if pr.size:  # the permutations mapping each open row to its representative
            counts = np.bincount(pr, minlength=n)
            open_ = counts > 0
            stab[open_] = counts[open_] * self.inactive_size(active)
        return self.pack(best), stab

    def inactive_size(self, active: int) -> int:
        """The permutations of the sorts not spread over the pairs (bit i of `active` clear)."""
        size = 1
        for i, g in enumerate(self.sort_groups):
            if not active >> i & 1:
                size *= g
        return size
