"""Where each engine wins on the EBS election model (authority variant): the explicit checker's
distinct states and seconds (capped: 'incomplete' when the cap is hit), the Z3 inductive proof's
seconds, and BMC to depth 8, as the number of nodes (and volumes) grows.

    .venv/bin/python benchmarks/bench_election_engines.py [--max-seconds 60] [--nodes 3 4 5]
        [--volumes 1 2] [--bmc-depth 8] [--skip-bmc]

Prints figures only; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import time

from replicheck.explore import CheckOptions, check
from replicheck.registry import load
from replicheck.symbolic import bmc, check_inductive


def row(nodes: int, volumes: int, max_seconds: float, bmc_depth: int | None) -> list[str]:
    cls = load("ebs.election").cls
    program = cls(variant="authority", Node=nodes, Volume=volumes).compile()
    explicit = check(program, CheckOptions(deadlock=False, max_seconds=max_seconds))
    states = f"{explicit.stats.distinct_states:,}"
    secs = f"{explicit.stats.seconds:.1f}" + ("" if explicit.stats.complete else " (incomplete)")
    proof = check_inductive(program)
    proved = f"{proof.seconds:.1f}" + ("" if proof.proved else f" ({proof.status})")
    if bmc_depth is None:
        bounded = "-"
    else:
        start = time.perf_counter()
        b = bmc(program, bmc_depth, ["single_primary", "no_acked_write_lost"], timeout=max_seconds)
        timed_out = b.stats.stop_reason not in ("bounded", "exhausted", "")
        bounded = f"{time.perf_counter() - start:.1f}" + (
            " (violation!)" if b.status == "violated" else " (timeout)" if timed_out else ""
        )
    return [f"{nodes}", f"{volumes}", f"{len(program.actions)}", states, secs, proved, bounded]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--max-seconds", type=float, default=60.0, help="cap for the explicit checker")
    ap.add_argument("--nodes", type=int, nargs="+", default=[3, 4, 5])
    ap.add_argument("--volumes", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--bmc-depth", type=int, default=8)
    ap.add_argument("--skip-bmc", action="store_true")
    args = ap.parse_args()
    header = ["Node", "Volume", "actions", "explicit states", "explicit s", "Z3 inductive s",
              f"BMC depth {args.bmc_depth} s"]
    rows = [header]
    widths = [len(h) for h in header]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths)), flush=True)
    for volumes in args.volumes:
        for nodes in args.nodes:
            r = row(nodes, volumes, args.max_seconds, None if args.skip_bmc else args.bmc_depth)
            rows.append(r)
            widths = [max(w, len(c)) for w, c in zip(widths, r)]
            print("  ".join(c.rjust(w) for c, w in zip(r, widths)), flush=True)
    print()
    print(f"explicit: breadth-first without symmetry, capped at {args.max_seconds:.0f}s; Z3 inductive: "
          "the conjunction of the invariants and strengthening helpers (a proof for that size); "
          f"BMC: no violation within {args.bmc_depth} steps (not a proof).")


if __name__ == "__main__":
    main()
