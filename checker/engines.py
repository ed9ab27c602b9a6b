"""The engine contract: what each engine supports, declared once.

Owns: `Capabilities` (what one engine can do: which property kinds it decides, whether it is
exhaustive and finds shortest counterexamples, @constraint, symmetry, which limits it honours,
how many processes and which state stores), `ENGINES` (every engine by name), `OPTION_FLAGS`
(the CLI flag of each option, for messages) and `refusals(engine, requested)`: the sentences
saying which requested options an engine does not support. `replicheck.api` raises the first
one as an `OptionError`, so the Python API and the CLI refuse the same things with the same
words, and no option is ever silently ignored. Adding an engine: declare its `Capabilities`
here and register its run function where it is dispatched (`replicheck.explore.check` for the
explicit-state engines, `replicheck.api.prove` for the Z3 ones).

Every engine must give one meaning to one model: `tests/test_engines.py` runs every
exhaustive engine on every fixture and shipped model and requires equal counts and verdicts,
and checks the bounded and random engines' verdicts against them.

Must not import: anything of replicheck (this is a table), z3, numpy, hypothesis.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

SAFETY = frozenset({"invariant", "action", "reachable", "deadlock", "domain"})
LIMITS = ("max_states", "max_depth", "max_seconds", "max_memory")


@dataclass(frozen=True)
class Capabilities:
    """What one engine does. `exhaustive`: explores every reachable state (within its
    limits), so its counts are comparable with another exhaustive engine's; `shortest`: its
    counterexamples are shortest; `kinds`: the property kinds it decides (the others are
    left to another engine, with a note); `liveness_with`: the engine that checks liveness
    and measures after it in a `check` (None: not in this run)."""

    name: str
    title: str  # as the messages say it: "the batch engine"
    exhaustive: bool
    shortest: bool
    kinds: frozenset[str]
    constraint: bool = True
    symmetry: bool = False
    limits: frozenset[str] = frozenset(LIMITS)
    max_workers: int = 1
    stores: tuple[str, ...] = ("exact",)
    liveness_with: str | None = None
    notes: tuple[str, ...] = field(default=())


ENGINES: dict[str, Capabilities] = {
    "bfs": Capabilities(
        "bfs", "breadth-first search", exhaustive=True, shortest=True, kinds=SAFETY, symmetry=True,
        liveness_with="graph",
    ),
    "dfs": Capabilities(
        "dfs", "depth-first search", exhaustive=True, shortest=False, kinds=SAFETY, constraint=False,
        liveness_with="graph", notes=("--dfs with --max-depth N explores exactly the states within N steps",),
    ),
    "batch": Capabilities(
        "batch", "the batch engine", exhaustive=True, shortest=True, kinds=SAFETY, max_workers=2,
        stores=("exact", "fingerprint"), liveness_with="graph",
    ),
    "graph": Capabilities(
        "graph", "the liveness and measure graph", exhaustive=True, shortest=False,
        kinds=frozenset({"liveness", "measure"}), limits=frozenset({"max_states", "max_seconds", "max_memory"}),
    ),
    "bmc": Capabilities(
        "bmc", "bounded model checking (prove --bmc)", exhaustive=False, shortest=True,
        kinds=frozenset({"invariant", "action", "reachable", "domain"}), limits=frozenset({"max_seconds"}),
    ),
    "k-induction": Capabilities(
        "k-induction", "k-induction (prove --k-induction)", exhaustive=False, shortest=True,
        kinds=frozenset({"invariant", "domain"}), limits=frozenset({"max_seconds"}),
    ),
    "inductive": Capabilities(
        "inductive", "the inductive-invariant check (prove --inductive)", exhaustive=False, shortest=False,
        kinds=frozenset({"invariant", "domain"}), limits=frozenset({"max_seconds"}),
    ),
    "simulate": Capabilities(
        "simulate", "simulate", exhaustive=False, shortest=False,
        kinds=frozenset({"invariant", "action", "deadlock", "domain"}), limits=frozenset({"max_seconds"}),
    ),
}

OPTION_FLAGS: dict[str, str] = {
    "max_states": "--max-states",
    "max_depth": "--max-depth",
    "max_seconds": "--max-seconds",
    "max_memory": "--max-memory",
    "symmetry": "--symmetry",
    "constraint": "a @constraint",
    "workers": "--workers",
    "store": "--store",
}


def explicit_engine(engine: str, strategy: str) -> str:
    """The `ENGINES` name of an explicit-state run: `--engine batch`, or scalar BFS/DFS."""
    return "batch" if engine == "batch" else strategy


def refusals(engine: str, requested: Mapping[str, object]) -> list[str]:
    """Why `engine` cannot run with the `requested` options (option name -> value; a value
    of None, False, 1 for workers or "exact" for the store asks for nothing); [] if it can."""
    cap = ENGINES[engine]
    out: list[str] = []
    for name in LIMITS:
        if requested.get(name) is not None and name not in cap.limits:
            out.append(f"{OPTION_FLAGS[name]} is not supported by {cap.title}")
    if requested.get("symmetry") and not cap.symmetry:
        hint = "; use breadth-first search with the scalar engine" if cap.exhaustive else ""
        out.append(f"{cap.title} does not reduce by symmetry (--symmetry){hint}")
    if requested.get("constraint") and not cap.constraint:
        out.append(f"the model has a @constraint, which {cap.title} does not support; use breadth-first search")
    workers = requested.get("workers")
    if isinstance(workers, int) and workers > cap.max_workers:
        if cap.max_workers == 1:
            out.append("--workers is an option of the batch engine; add --engine batch")
        else:
            out.append(f"--workers: {cap.title} uses at most {cap.max_workers} processes (this one and one worker)")
    store = requested.get("store")
    if isinstance(store, str) and store not in cap.stores:
        if cap.stores == ("exact",):
            out.append("--store is an option of the batch engine; add --engine batch")
        else:
            out.append(f"--store is one of {', '.join(cap.stores)}, not {store!r}")
    return out


def capability_table() -> str:
    """The declarations as a Markdown table (docs/engines.md shows it; a test keeps it equal)."""
    rows = ["| engine | exhaustive | shortest counterexamples | decides | @constraint | symmetry | limits "
            "| processes | stores |", "|---|---|---|---|---|---|---|---|---|"]
    for c in ENGINES.values():
        rows.append(
            f"| {c.title} (`{c.name}`) | {'yes' if c.exhaustive else 'no'} | {'yes' if c.shortest else 'no'} "
            f"| {', '.join(sorted(c.kinds))} | {'yes' if c.constraint else 'no'} | {'yes' if c.symmetry else 'no'} "
            f"| {', '.join(OPTION_FLAGS[lim] for lim in LIMITS if lim in c.limits)} | {c.max_workers} "
            f"| {', '.join(c.stores)} |"
        )
    return "\n".join(rows)


__all__ = ["Capabilities", "ENGINES", "capability_table", "LIMITS", "OPTION_FLAGS", "SAFETY", "explicit_engine", "refusals"]
