"""The ray engine against the batch engine on one model: wall time, bytes sent between
partitions per new state and per level, and each partition's store, links and resident memory.
Figures are printed, never asserted (docs/distributed.md quotes them).

    python benchmarks/bench_ray.py classic.two_phase RM=8 --partitions 2
"""

from __future__ import annotations

import argparse
import time

import ray

from replicheck.explore import CheckOptions, check
from replicheck.explore.ray_engine import RayCluster, RaySearch, partition_options, partition_report
from replicheck.registry import load, parse_settings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("settings", nargs="*")
    ap.add_argument("--partitions", type=int, default=2)
    ap.add_argument("--variant")
    args = ap.parse_args()
    info = load(args.model)
    program = info.cls(variant=args.variant, **parse_settings(info.cls, args.settings)).compile()
    deadlock = info.cls.check_deadlock
    for workers in (1, 2):
        t = time.perf_counter()
        b = check(program, CheckOptions(engine="batch", workers=workers, deadlock=deadlock))
        print(f"batch --workers {workers}: {b.stats.distinct_states:,} states, {time.perf_counter() - t:.2f}s wall")
    ray.init(num_cpus=max(2, args.partitions), include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    opts = CheckOptions(engine="ray", partitions=args.partitions, deadlock=deadlock)
    t = time.perf_counter()
    search = RaySearch(program, opts)
    search.cluster = RayCluster(program, partition_options(opts), args.partitions, search.limits_while_waiting)
    t_started = time.perf_counter()
    r = search.search()
    t_end = time.perf_counter()
    print(f"ray --partitions {args.partitions}: {r.stats.distinct_states:,} states, {t_end - t:.2f}s wall "
          f"({t_started - t:.2f}s starting the actors, {t_end - t_started:.2f}s searching)")
    moved = search.bytes_moved
    print(f"bytes sent between partitions: {moved:,} in all, {moved / max(r.stats.distinct_states, 1):.1f} per state")
    widest = max(search.levels_log, key=lambda x: x[1])
    print(f"widest level {widest[0]}: {widest[1]:,} new states, {widest[2] / max(widest[1], 1):.1f} bytes per new state")
    for line in partition_report(search.usage):
        print(line)
    search.cluster.close()
    ray.shutdown()


if __name__ == "__main__":
    main()
