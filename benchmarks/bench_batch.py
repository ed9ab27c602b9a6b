"""Scalar vs batch explicit-state throughput and memory, on two-phase commit and the EBS
primary-election model, at several sizes up to about 10 million states.

For each size it runs `replicheck.explore.check` with the scalar engine (up to
`--scalar-max` states: it is slow and holds ~100 bytes per state) and with the batch engine
(exact store, then fingerprints, then fingerprints with a second worker process), each in a fresh
process so that peak memory (max RSS) belongs to that run alone, and prints: distinct states,
depth, seconds (wall and CPU: the machine is shared, so CPU seconds are the steadier
figure), distinct states per wall second and per CPU second, the store's bytes per state
(hash table plus parent links), peak RSS per state, and the load average before the run.
All runs of a row must report the same distinct states and depth (checked). No assertions
on time.

    .venv/bin/python benchmarks/bench_batch.py                 # the default table
    .venv/bin/python benchmarks/bench_batch.py --quick         # small sizes only
    .venv/bin/python benchmarks/bench_batch.py --big           # + the ~100M-state run

`--big` adds one batch run with fingerprints on ebs.election Node=5 fault_budget=4 (see
docs/performance.md for its size and duration).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SIZES = [
    ("classic.two_phase", {"RM": 7}),
    ("classic.two_phase", {"RM": 8}),
    ("classic.two_phase", {"RM": 9}),
    ("ebs.election", {"Node": 4}),
    ("ebs.election", {"Node": 6}),
    ("ebs.election", {"Node": 4, "fault_budget": 3}),
    ("ebs.election", {"Node": 3, "Volume": 2}),
    ("ebs.election", {"Node": 5, "fault_budget": 3}),
]
QUICK = SIZES[:2] + SIZES[3:5]
BIG = ("ebs.election", {"Node": 5, "fault_budget": 4})

CHILD = r"""
import json, resource, sys, time
from replicheck.explore import CheckOptions, check
from replicheck.registry import load
name, settings, engine, store, workers = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
cls = load(name).cls
kw = {"variant": "authority"} if name == "ebs.election" else {}
program = cls(**kw, **settings).compile()
deadlock = bool(cls.check_deadlock)
c0 = time.process_time()
r = check(program, CheckOptions(engine=engine, store=store, workers=workers, deadlock=deadlock))
ch = resource.getrusage(resource.RUSAGE_CHILDREN)  # the worker process, joined at the end
cpu = time.process_time() - c0 + ch.ru_utime + ch.ru_stime
st = r.stats
print(json.dumps({
    "status": r.status, "states": st.distinct_states, "depth": st.depth, "seconds": st.seconds, "cpu": cpu,
    "bytes_per_state": st.bytes_per_state, "peak": max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, st.peak_memory or 0),
    "store": st.store, "p": st.fingerprint_collision_probability,
}))
"""


def run(name: str, settings: dict[str, int], engine: str, store: str = "exact", workers: int = 1) -> dict[str, object]:
    load = os.getloadavg()[0]
    out = subprocess.run(
        [sys.executable, "-c", CHILD, name, json.dumps(settings), engine, store, str(workers)],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    row: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    row["load"] = load
    return row


def show(label: str, r: dict[str, object]) -> str:
    states = int(r["states"])  # type: ignore[call-overload]
    secs, cpu = float(r["seconds"]), float(r["cpu"])  # type: ignore[arg-type]
    bps = r["bytes_per_state"]
    bps_text = f"{float(bps):6.1f}" if bps is not None else "     -"  # type: ignore[arg-type]
    peak = int(r["peak"])  # type: ignore[call-overload]
    p = r.get("p")
    ptxt = f"  P(collision) {float(p):.1e}" if p else ""  # type: ignore[arg-type]
    return (
        f"  {label:<22} {states:>12,} {int(r['depth']):>4} {secs:>8.1f} {cpu:>8.1f} "  # type: ignore[call-overload]
        f"{states / secs:>11,.0f} {states / cpu:>11,.0f} {bps_text} {peak / states:>8.1f} "
        f"{peak / 2**20:>8,.0f}  load {float(r['load']):.1f}{ptxt}"  # type: ignore[arg-type]
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes only")
    ap.add_argument("--big", action="store_true", help="add the ~100M-state fingerprint run")
    ap.add_argument("--scalar-max", type=int, default=2_000_000, help="skip the scalar engine above this many states")
    args = ap.parse_args()
    sizes = QUICK if args.quick else SIZES
    print(f"{'':24} {'states':>12} {'dep':>4} {'wall s':>8} {'cpu s':>8} {'states/s':>11} {'st/cpu-s':>11} "
          f"{'B/state':>6} {'RSS/st':>8} {'RSS MiB':>8}")
    started = time.time()
    for name, settings in sizes + ([BIG] if args.big else []):
        big = args.big and (name, settings) == BIG
        print(f"{name} {' '.join(f'{k}={v}' for k, v in settings.items())}", flush=True)
        rows = []
        configs = [("batch fingerprint", "batch", "fingerprint", 1),
                   ("batch fp, 2 processes", "batch", "fingerprint", 2)] if big else [
            ("batch exact", "batch", "exact", 1),
            ("batch fingerprint", "batch", "fingerprint", 1),
            ("batch fp, 2 processes", "batch", "fingerprint", 2),
        ]
        for label, engine, store, workers in configs:
            r = run(name, settings, engine, store, workers)
            rows.append(r)
            print(show(label, r), flush=True)
        if not big and int(rows[0]["states"]) <= args.scalar_max:  # type: ignore[call-overload]
            r = run(name, settings, "scalar")
            rows.append(r)
            print(show("scalar", r), flush=True)
        counts = {(r["states"], r["depth"]) for r in rows}
        if len(counts) != 1:
            print(f"  MISMATCH: {sorted(counts)}", flush=True)
    print(f"total {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
