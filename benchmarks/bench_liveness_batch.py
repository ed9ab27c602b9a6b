"""Liveness at the batch engine's speed: one run with liveness against the same run with
`--no-liveness`, side by side, in one process of this script (so the two share the machine's
load). Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_liveness_batch.py                 # election Node=3 Volume=2
    .venv/bin/python benchmarks/bench_liveness_batch.py --model ebs.election --set Node=3 --set Volume=1
    .venv/bin/python benchmarks/bench_liveness_batch.py --workers 2 --repeat 2
    .venv/bin/python benchmarks/bench_liveness_batch.py --set Node=3 --set Volume=1 --tlc   # TLC as the peer

Each run is `replicheck check MODEL --engine batch --store fingerprint [--workers N]`, timed
with `os.wait4` (wall time, user and system CPU of the child, its peak resident memory). The
figures per configuration: distinct states, the liveness verdicts, wall and CPU seconds, the
ratio of the run with liveness to the run without, and peak bytes per state (the child's peak
resident memory over its distinct states; with two processes the worker's own peak is not in
the child's figure, so use one worker for the memory comparison). With `--tlc`, TLC checks the
same model's TLA+ export (its invariants and its liveness properties under the exported
fairness) after the two runs, and its wall and CPU time are set beside the run with liveness.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any


def run(argv: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "replicheck", *argv, "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    doc = json.loads(out)
    result = doc.get("result", doc)
    stats = result.get("stats", {})
    verdicts = {v["property"]: v["status"] for v in result.get("verdicts", []) if v.get("kind") == "liveness"}
    return {"wall": wall, "user": usage.ru_utime, "sys": usage.ru_stime, "peak": usage.ru_maxrss * 1024,
            "states": stats.get("distinct_states", 0), "verdicts": verdicts, "exit": os.waitstatus_to_exitcode(status)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="ebs.election")
    ap.add_argument("--set", action="append", default=None)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--tlc", action="store_true", help="also run TLC on the TLA+ export (the peer)")
    ap.add_argument("--tlc-timeout", type=float, default=1800.0)
    args = ap.parse_args()
    sets = args.set if args.set is not None else (["Node=3", "Volume=2"] if args.model == "ebs.election" else [])
    base = ["check", args.model, *[x for s in sets for x in ("--set", s)], "--engine", "batch", "--store",
            "fingerprint", "--workers", str(args.workers)]
    print(f"replicheck {' '.join(base)}")
    print(f"{'run':<14}{'states':>12}{'wall s':>9}{'cpu s':>9}{'sys s':>8}{'peak MiB':>10}{'B/state':>9}  liveness")
    for _ in range(args.repeat):
        pair = {}
        for name, extra in (("no liveness", ["--no-liveness"]), ("with liveness", [])):
            r = pair[name] = run(base + extra)
            per_state = r["peak"] / r["states"] if r["states"] else 0.0
            cpu = r["user"] + r["sys"]
            print(f"{name:<14}{r['states']:>12,}{r['wall']:>9.1f}{cpu:>9.1f}{r['sys']:>8.1f}"
                  f"{r['peak'] / 2**20:>10,.0f}{per_state:>9.1f}  {r['verdicts'] or '-'}")
        a, b = pair["no liveness"], pair["with liveness"]
        print(f"{'ratio':<14}{'':>12}{b['wall'] / a['wall']:>9.2f}{(b['user'] + b['sys']) / (a['user'] + a['sys']):>9.2f}"
              f"{'':>8}{b['peak'] / a['peak']:>10.2f}")
    if args.tlc:
        tlc(args.model, sets, args.tlc_timeout, pair["with liveness"])


def tlc(model: str, sets: list[str], timeout: float, ours: dict[str, Any]) -> None:
    import tempfile

    from replicheck.export.peers import missing_tlc, run_tlc
    from replicheck.export.tla import export_tla
    from replicheck.registry import load, parse_settings

    missing = missing_tlc()
    if missing:
        print(f"TLC: not run ({missing})")
        return
    info = load(model)
    program = info.cls(**parse_settings(info.cls, sets)).compile()
    with tempfile.TemporaryDirectory() as work:
        peer = run_tlc(export_tla(program, deadlock=info.cls.check_deadlock), work, timeout=timeout)
    states = f"{peer.distinct_states:,}" if peer.distinct_states is not None else "?"
    print(f"{'TLC':<14}{states:>12}{peer.seconds:>9.1f}{peer.cpu_seconds:>9.1f}{'':>8}"
          f"{peer.peak_rss_bytes / 2**20:>10,.0f}{'':>9}  {peer.violations or 'no violation'}"
          + (f"  errors: {peer.errors}" if peer.errors else ""))
    print(f"{'TLC / ours':<14}{'':>12}{peer.seconds / ours['wall']:>9.2f}{peer.cpu_seconds / (ours['user'] + ours['sys']):>9.2f}")


if __name__ == "__main__":
    main()
