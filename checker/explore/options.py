"""Options of an explicit-state check.

Owns: `CheckOptions`. Its limits are validated once, when it is made, by
`replicheck.engines.Limits` (the rules every engine shares); `options.limits` is that object.

Must not import: z3, numpy, hypothesis; nothing of replicheck but `replicheck.report.results`
and `replicheck.engines`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from replicheck.engines import Limits
from replicheck.report.results import RunStats


@dataclass
class CheckOptions:
    """How to run `replicheck.explore.check`.

    strategy: "bfs" (shortest counterexamples) or "dfs" (with `max_depth` as its bound).
    max_states / max_depth / max_seconds: stop cleanly (an incomplete result) when reached;
    max_depth counts steps from an initial state, as `prove --bmc N` does: paths of up to N
    steps are explored, the states N steps away are checked but not expanded (the engines
    compare `max_level`, the same bound in TLC's depth convention, where the initial states
    are depth 1); max_states is checked every few thousand states, so a run may
    store a few more. deadlock: a state with no enabled action is a violation.
    only / skip: property names to check (None: all) and to leave out; the name "deadlock"
    selects deadlock checking too. stop_at_first: stop at the first violation; False keeps
    exploring and reports the first violation of each property (like TLC -continue).
    progress: called with the current RunStats every `progress_interval` seconds.
    symmetry: store one representative per orbit of the sorts declared symmetric (BFS, scalar or batch;
    the model must be symmetric, see `replicheck.explore.symmetry`); unreduced: also count the
    states the representatives stand for.
    engine: "scalar" (the compiled kernel, one state at a time; the default) or "batch"
    (breadth-first over whole levels with NumPy, `replicheck.explore.batch`; BFS only). store (batch engine): "exact" (packed states; the default) or "fingerprint"
    (64-bit hashes of states wider than 64 bits, with the collision probability reported).
    max_memory: bytes of resident memory at which the batch engine stops cleanly
    (incomplete). workers: processes the batch engine evaluates chunks in (1 or 2).
    chunk_rows: states the batch engine evaluates at once (memory against per-chunk cost;
    None: 65,536 with one worker, 32,768 with two, where smaller chunks balance the two
    processes better and keep each one's working set small).
    engine "ray": the partitioned search on Ray actors (`replicheck.explore.ray_engine`):
    `partitions` actors (None: one per CPU of the cluster), on the cluster at `ray_address`
    (None: the Ray this process has initialised, else a local one started for the run).
    checkpoint (batch and ray engines): a directory that receives a consistent checkpoint at
    every level boundary (`replicheck.explore.checkpoint`); resume: a directory holding one,
    to continue from (and to go on checkpointing into).
    """

    strategy: str = "bfs"
    max_states: int | None = None
    max_depth: int | None = None
    max_seconds: float | None = None
    deadlock: bool = True
    only: frozenset[str] | None = None
    skip: frozenset[str] = frozenset()
    stop_at_first: bool = True
    progress: Callable[[RunStats], None] | None = None
    progress_interval: float = 5.0
    symmetry: bool = False
    unreduced: bool = False
    engine: str = "scalar"
    store: str = "exact"
    max_memory: int | None = None
    workers: int = 1
    chunk_rows: int | None = None
    partitions: int | None = None
    ray_address: str | None = None
    checkpoint: str | None = None
    resume: str | None = None
    limits: Limits = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.limits = Limits(self.max_states, self.max_depth, self.max_seconds, self.max_memory)

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name in ("max_states", "max_depth", "max_seconds", "max_memory") and hasattr(self, "limits"):
            self.__post_init__()  # a limit changed after the options were made: validated again

    @property
    def max_level(self) -> int | None:
        """`max_depth` in TLC's depth convention (levels; the initial states are level 1)."""
        return self.limits.max_level
