"""State stores of the explicit-state engines.

Owns: `ParentStore` (breadth-first: a dict from each state, packed into one int, to its
parent's index, and the list of packed states in discovery order, whose positions are the
states' indices; the list doubles as the BFS queue) and `DepthStore` (depth-first: a dict from state to index, plus
parent and depth lists, so a state reached again at a smaller depth can be re-parented).
Both rebuild the path from an initial state to any stored state. Compact stores (packed
states, fingerprints) come later.

Must not import: z3, numpy, hypothesis; nothing of checker but `replicheck.ir`.
"""

from __future__ import annotations

from typing import Callable

from replicheck.ir import State

ROOT = -1  # the parent index of an initial state


class ParentStore:
    """`seen[key]` is the index of the state's parent (ROOT for initial states);
    `states[i]` is the key of the state with index i. Keys are packed states (ints, see
    `replicheck.backends.compiled`): `pack` and `unpack` convert. The BFS kernel appends to
    both inline."""

    __slots__ = ("seen", "states", "pack", "unpack")

    def __init__(self, pack: Callable[[State], int], unpack: Callable[[int], State]) -> None:
        self.seen: dict[int, int] = {}
        self.states: list[int] = []
        self.pack = pack
        self.unpack = unpack

    def __len__(self) -> int:
        return len(self.states)

    def add_root(self, state: State) -> bool:
        key = self.pack(state)
        if key in self.seen:
            return False
        self.seen[key] = ROOT
        self.states.append(key)
        return True

    def path(self, i: int) -> list[State]:
        """States (as tuples) from an initial state to the state with index i."""
        out = []
        while i != ROOT:
            key = self.states[i]
            out.append(self.unpack(key))
            i = self.seen[key]
        out.reverse()
        return out


class DepthStore:
    """State -> index, with the parent and the smallest depth found so far of each state."""

    __slots__ = ("index", "states", "parents", "depths")

    def __init__(self) -> None:
        self.index: dict[State, int] = {}
        self.states: list[State] = []
        self.parents: list[int] = []
        self.depths: list[int] = []

    def __len__(self) -> int:
        return len(self.states)

    def add(self, state: State, parent: int, depth: int) -> int:
        i = len(self.states)
        self.index[state] = i
        self.states.append(state)
        self.parents.append(parent)
        self.depths.append(depth)
        return i

    def path(self, i: int) -> list[State]:
        out = []
        while i != ROOT:
            out.append(self.states[i])
            i = self.parents[i]
        out.reverse()
        return out
