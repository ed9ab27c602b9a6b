"""Throughput of the explicit-state explorer on TLA+'s TwoPhase, scaled up.

Runs `replicheck.explore.check` (BFS over the compiled backend's packed-state kernel) on
classic.two_phase with RM = 7 and RM = 8 (1,745,408 distinct states), and, for comparison
in the same process, a plain hand-written Python BFS over the reference evaluator's
successors on a smaller size, and a plain BFS over the compiled backend's tuple successors.
Prints distinct states, seconds and distinct states per second. No assertions on time.

    .venv/bin/python benchmarks/bench_two_phase.py [--sizes 7 8] [--ref-size 5]
"""

from __future__ import annotations

import argparse
import gc
import time
from collections import deque

from replicheck.backends import reference as R
from replicheck.backends.compiled import compile_program
from replicheck.explore import CheckOptions, check
from replicheck.ir import Program
from replicheck.models.classic.two_phase import TwoPhase


def plain_bfs_reference(program: Program) -> tuple[int, float]:
    """What a user would write by hand: a set, a deque, the reference successors."""
    start = time.perf_counter()
    init = [s for _, s in R.initial_states(program)]
    seen = set(init)
    queue = deque(init)
    while queue:
        s = queue.popleft()
        for _, t in R.successors(program, s):
            if t not in seen:
                seen.add(t)
                queue.append(t)
    return len(seen), time.perf_counter() - start


def plain_bfs_compiled(program: Program) -> tuple[int, float]:
    """The same hand-written loop over the compiled backend's tuple successors."""
    start = time.perf_counter()
    c = compile_program(program)
    init = c.initial_states()
    seen = set(init)
    queue = deque(init)
    succ = c.successors
    while queue:
        for t in succ(queue.popleft()):
            if t not in seen:
                seen.add(t)
                queue.append(t)
    return len(seen), time.perf_counter() - start


def line(label: str, states: int, seconds: float) -> str:
    return f"{label:<44} {states:>10,} states {seconds:>8.2f} s {states / seconds:>12,.0f} states/s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[7, 8], help="numbers of RMs for check()")
    ap.add_argument("--ref-size", type=int, default=5, help="number of RMs for the plain BFS baselines")
    args = ap.parse_args()

    program = TwoPhase(RM=args.ref_size).compile()
    gc.collect()
    n, secs = plain_bfs_reference(program)
    print(line(f"plain BFS, reference evaluator, RM={args.ref_size}", n, secs))
    gc.collect()
    n, secs = plain_bfs_compiled(program)
    print(line(f"plain BFS, compiled tuple successors, RM={args.ref_size}", n, secs))
    for size in args.sizes:
        program = TwoPhase(RM=size).compile()
        gc.collect()
        result = check(program, CheckOptions())
        st = result.stats
        print(line(f"check() bfs, RM={size}", st.distinct_states, st.seconds)
              + f"  depth {st.depth}, {st.transitions:,} transitions, {result.status}")


if __name__ == "__main__":
    main()
