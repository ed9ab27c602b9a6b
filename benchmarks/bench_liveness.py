"""Liveness on a large graph: how long the fair-SCC analysis takes on about a million states.

Runs `ebs.election` (authority variant) at a size whose reachable graph has about a million
states, and prints, separately: building the labelled graph (exploration with the compiled
backend, one edge per enabled action instance), evaluating the property's predicate on every
state, and the fair-SCC analysis itself (scipy's strongly connected components plus the
vectorised fairness conditions). The property holds, so the analysis must examine every fair
component: this is the worst case, not the lucky one where a lasso is found early.

    python benchmarks/bench_liveness.py            # Node=6 (about 1.3 million states)
    python benchmarks/bench_liveness.py Node=4     # smaller
"""

from __future__ import annotations

import resource
import sys
import time

from replicheck.backends.compiled import compile_program
from replicheck.explore.graph import build_graph, predicate_mask
from replicheck.explore.liveness import find_violation
from replicheck.models.ebs.election import Election


def main(argv: list[str]) -> None:
    settings = {"Node": 6}
    for arg in argv:
        key, _, value = arg.partition("=")
        settings[key] = int(value)
    program = Election(variant="authority", **settings).compile()
    prop = next(p for p in program.liveness() if p.name == "eventually_writable")

    t0 = time.perf_counter()
    built = build_graph(compile_program(program))
    t1 = time.perf_counter()
    p_true = predicate_mask(program, prop.expr, built.states)
    t2 = time.perf_counter()
    lasso = find_violation(program, built.graph, prop, p_true)
    t3 = time.perf_counter()

    g = built.graph
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ebs.election authority {settings}")
    print(f"  states               {g.n:>12,}")
    print(f"  edges                {len(g.src):>12,}")
    print(f"  build graph          {t1 - t0:>10.1f} s   ({g.n / (t1 - t0):,.0f} states/s)")
    print(f"  predicate on states  {t2 - t1:>10.1f} s")
    print(f"  fair-SCC analysis    {t3 - t2:>10.1f} s")
    print(f"  liveness total       {t3 - t0:>10.1f} s")
    print(f"  peak memory          {rss_mib:>10,.0f} MiB")
    print(f"  verdict              {'holds' if lasso is None else 'violated'}")


if __name__ == "__main__":
    main(sys.argv[1:])
