"""How often and how fast `simulate` finds each shipped model's bugs, and how many runs per
second it makes. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_simulate.py [--seeds 20] [--runs 500] [--part finds|speed|all]
                                                  [--speed-runs 10000] [--repeat 3] [--against FILE]

`finds`: seeds out of 20 that find a violation within 500 runs (nothing shrunk), per
incident variant, the median run that found it, and the seconds for all seeds. `speed`: runs
per second and steps per second on variants where nothing is found, so that every run goes
to its end: `--speed-runs` runs (a tenth of them at Node=5, Volume=3), the model compiled
beforehand, the best of `--repeat` timings in CPU time (the machine may be shared). With
`--against FILE`, another version of `replicheck/simulation.py` (say `git show
main:checker/simulation.py > /tmp/old_simulation.py`) is loaded beside the installed one and
timed in the same process, alternating with it, on the same compiled models: the fairest
before/after comparison on a loaded machine.

Used to choose the default scheduling (docs/simulation.md): compare the printed tables before
and after a change to `replicheck.simulation`, in one run on one machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from types import ModuleType
from typing import Any

import replicheck as r
from replicheck import simulation as current
from replicheck.api import instantiate
from replicheck.backends.compiled import compile_program

CASES = [
    ("ebs.election", "no_fencing"),
    ("ebs.election", "stale_promotion"),
    ("ebs.election", "self_promote"),
    ("rds.multi_az", "naive_failover"),
    ("ebs.control_plane", "disable_degraded_zone"),
    ("ebs.remirror", "as_2011"),
]

# Variants where no violation is found: every run goes to its end (quiescence or --depth).
SPEED_CASES = [
    ("ebs.election", "authority", {}),
    ("ebs.election", "authority", {"Node": 5, "Volume": 3}),
    ("rds.multi_az", "fixed", {}),
    ("ebs.remirror", "all_protections", {}),
]


def finds(seeds: int, runs: int) -> None:
    print(f"{'model':<20} {'variant':<24} {'seeds that find a bug':>22} {'median run':>11} {'seconds':>8}")
    for model, variant in CASES:
        t0 = time.perf_counter()
        found = []
        for seed in range(seeds):
            sim = r.simulate(model, variant=variant, runs=runs, seed=seed, shrink=False)
            if sim.exit_code == 1 and sim.simulation is not None and sim.simulation.found_in_run is not None:
                found.append(sim.simulation.found_in_run + 1)
        median = sorted(found)[len(found) // 2] if found else "-"
        print(f"{model:<20} {variant:<24} {len(found):>17}/{seeds:<4} {median:>11} {time.perf_counter() - t0:>8.1f}")


def load(path: str) -> ModuleType:
    """Another version of replicheck.simulation, imported under its own name."""
    spec = importlib.util.spec_from_file_location("bench_other_simulation", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def speed(runs: int, repeat: int, against: str | None) -> None:
    versions: list[tuple[str, Any]] = [("this", current)]
    if against is not None:
        versions.insert(0, ("against", load(against)))
    print(f"{'model':<14} {'variant':<10} {'settings':<16} {'version':<8} {'runs':>6} {'steps':>7} "
          f"{'cpu s':>6} {'runs/s':>7} {'steps/s':>8}")
    for model, variant, settings in SPEED_CASES:
        program = instantiate(model, variant, settings).compile()
        compiled = compile_program(program)
        best: dict[str, tuple[float, int, int]] = {}
        for _ in range(repeat):
            for name, module in versions:
                options = module.SimulateOptions(runs=runs // 10 if settings else runs, seed=0)
                t0 = time.process_time()
                sim = module.simulate(program, options, compiled=compiled)
                seconds = time.process_time() - t0
                if name not in best or seconds < best[name][0]:
                    best[name] = (seconds, sim.runs, sim.steps)
        shown = ",".join(f"{k}={v}" for k, v in settings.items()) or "default"
        for name, _ in versions:
            seconds, done, steps = best[name]
            print(f"{model:<14} {variant:<10} {shown:<16} {name:<8} {done:>6} {steps:>7} {seconds:>6.2f} "
                  f"{done / seconds:>7.0f} {steps / seconds:>8.0f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--speed-runs", type=int, default=10000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--against", metavar="FILE", help="another simulation.py to time beside this one")
    ap.add_argument("--part", choices=("finds", "speed", "all"), default="all")
    args = ap.parse_args()
    if args.part in ("finds", "all"):
        finds(args.seeds, args.runs)
    if args.part in ("speed", "all"):
        speed(args.speed_runs, args.repeat, args.against)


if __name__ == "__main__":
    main()
