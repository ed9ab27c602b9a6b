"""How often `simulate` finds each shipped model's bugs: seeds out of 20 that find a violation
within 500 runs (nothing shrunk), per incident variant. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_simulate.py [--seeds 20] [--runs 500]

Used to choose the default scheduling (docs/simulation.md): compare the printed table before
and after a change to `replicheck.simulation`, in one run on one machine.
"""

from __future__ import annotations

import argparse
import time

import replicheck as r

CASES = [
    ("ebs.election", "no_fencing"),
    ("ebs.election", "stale_promotion"),
    ("ebs.election", "self_promote"),
    ("rds.multi_az", "naive_failover"),
    ("ebs.control_plane", "disable_degraded_zone"),
    ("ebs.remirror", "as_2011"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--runs", type=int, default=500)
    args = ap.parse_args()
    print(f"{'model':<20} {'variant':<24} {'seeds that find a bug':>22} {'median run':>11} {'seconds':>8}")
    for model, variant in CASES:
        t0 = time.perf_counter()
        runs = []
        for seed in range(args.seeds):
            sim = r.simulate(model, variant=variant, runs=args.runs, seed=seed, shrink=False)
            if sim.exit_code == 1 and sim.simulation is not None and sim.simulation.found_in_run is not None:
                runs.append(sim.simulation.found_in_run + 1)
        median = sorted(runs)[len(runs) // 2] if runs else "-"
        print(f"{model:<20} {variant:<24} {len(runs):>17}/{args.seeds:<4} {median:>11} {time.perf_counter() - t0:>8.1f}")


if __name__ == "__main__":
    main()
