"""State stores of the explicit-state engines.

Owns: `ParentStore` (breadth-first: a dict from each state tuple to its parent's index, and
the list of states in discovery order, whose positions are the states' indices; the list
doubles as the BFS queue) and `DepthStore` (depth-first: a dict from state to index, plus
parent and depth lists, so a state reached again at a smaller depth can be re-parented).
Both rebuild the path from an initial state to any stored state. Compact stores (packed
states, fingerprints) come later.

Must not import: z3, numpy, hypothesis; nothing of checker but `checker.ir`.
"""

from __future__ import annotations

from checker.ir import State

ROOT = -1  # the parent index of an initial state


class ParentStore:
    """`seen[state]` is the index of the state's parent (ROOT for initial states);
    `states[i]` is the state with index i. The BFS kernel appends to both inline."""

    __slots__ = ("seen", "states")

    def __init__(self) -> None:
        self.seen: dict[State, int] = {}
        self.states: list[State] = []

    def __len__(self) -> int:
        return len(self.states)

    def add_root(self, state: State) -> bool:
        if state in self.seen:
            return False
        self.seen[state] = ROOT
        self.states.append(state)
        return True

    def path(self, i: int) -> list[State]:
        """States from an initial state to states[i]."""
        out = []
        while i != ROOT:
            s = self.states[i]
            out.append(s)
            i = self.seen[s]
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
