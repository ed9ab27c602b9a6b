"""Explicit-state search: breadth-first (default) and depth-first with a bound.

Owns: `check(program, options) -> CheckResult`, `CheckOptions`, the state stores
(`store`), the engines (`bfs`, `dfs`), shared run bookkeeping (`run`) and trace
reconstruction (`traces.replay_path`, reusable by any engine).

The batch engine (`batch`, with `store_hash`) uses NumPy; it is imported only when asked for,
and so is the ray engine (`ray_engine`, `ray_partition`; Ray is an optional extra).

Must not import: z3, hypothesis, numpy (only `batch` and `store_hash` do), `replicheck.cli`,
`models`.
"""

from __future__ import annotations

from typing import Any

from replicheck.ir import Program
from replicheck.report.results import CheckResult

from .options import CheckOptions
from .traces import InternalCheckerError, replay_path


def check(program: Program, options: CheckOptions | None = None, recorder: Any = None) -> CheckResult:
    """Explore every reachable state of `program` (within the options' limits) and check its
    properties; see `CheckOptions`. `recorder`: a `batch_graph.GraphRecorder` the batch engine
    records the labelled graph into (the other engines take none)."""
    options = options if options is not None else CheckOptions()
    if options.engine == "batch":
        if options.strategy != "bfs":
            raise ValueError("the batch engine is breadth-first; drop --dfs or use --engine scalar")
        from .batch import batch_bfs

        return batch_bfs(program, options, recorder)
    if options.engine == "ray":
        from .ray_engine import ray_bfs

        return ray_bfs(program, options)
    if options.engine != "scalar":
        raise ValueError(f"unknown engine {options.engine!r}; use 'scalar', 'batch' or 'ray'")
    if options.strategy == "bfs":
        from .bfs import bfs

        return bfs(program, options)
    if options.strategy == "dfs":
        from .dfs import dfs

        if program.of_kind("constraint") or options.symmetry:
            raise ValueError("@constraint and symmetry reduction work with breadth-first search only")

        return dfs(program, options)
    raise ValueError(f"unknown search strategy {options.strategy!r}; use 'bfs' or 'dfs'")


__all__ = ["check", "CheckOptions", "replay_path", "InternalCheckerError"]
