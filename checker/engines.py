"""The engine contract: what each engine supports, declared once, and the limits of a run.

Owns: `Limits` (max_states, max_depth, max_seconds, max_memory: validated once, when made, for
every engine and phase; the CLI parses its flags with `parse_seconds`/`parse_memory`/
`parse_count`, which use the same rules), `Capabilities` (what one engine can do: which property kinds it decides, whether it is
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

Must not import: anything of replicheck but `replicheck.errors` (this is a table every
package may import), z3, numpy, hypothesis.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Mapping

from replicheck.errors import OptionError

SAFETY = frozenset({"invariant", "action", "reachable", "deadlock", "domain"})
LIMITS = ("max_states", "max_depth", "max_seconds", "max_memory")


MEMORY_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def _whole(name: str, value: object, least: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(f"{name} must be a whole number, not {value!r}")
    if value < least:
        raise OptionError(f"{name} must be at least {least}, not {value}")
    return value


def _seconds(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise OptionError(f"{name} must be a number of seconds, not {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise OptionError(f"{name} must be a finite number of seconds above 0, not {value}")
    return float(value)


@dataclass(frozen=True)
class Limits:
    """Where a run stops, cleanly, with an incomplete verdict: after `max_states` distinct
    states, beyond `max_depth` steps from an initial state (the states `max_depth` steps away
    are checked, not expanded: `prove --bmc N` counts the same steps), after `max_seconds` of
    wall time (the whole run: every phase after the first gets what is left), or when resident
    memory passes `max_memory` bytes. None: no limit. Checked when made: a limit of the wrong
    kind (a bool, nan, inf, a negative or zero bound) is an `OptionError`."""

    max_states: int | None = None
    max_depth: int | None = None
    max_seconds: float | None = None
    max_memory: int | None = None

    def __post_init__(self) -> None:
        _whole("max_states", self.max_states, 1)
        _whole("max_depth", self.max_depth, 1)
        _whole("max_memory", self.max_memory, 1)
        object.__setattr__(self, "max_seconds", _seconds("max_seconds", self.max_seconds))

    @property
    def max_level(self) -> int | None:
        """`max_depth` in TLC's depth convention (levels; the initial states are level 1)."""
        return None if self.max_depth is None else self.max_depth + 1

    def requested(self) -> dict[str, object]:
        """The limits set, by name (for `refusals`)."""
        return {name: getattr(self, name) for name in LIMITS if getattr(self, name) is not None}

    def after(self, seconds_used: float) -> Limits:
        """The limits of a later phase of the same run, `seconds_used` seconds in: the time left
        (a tiny positive remainder when it is spent, so the phase stops at its first look at
        the clock)."""
        if self.max_seconds is None:
            return self
        return replace(self, max_seconds=max(self.max_seconds - seconds_used, 1e-9))


class Deadline:
    """The wall clock of a run against its `max_seconds` (None: never expires)."""

    def __init__(self, max_seconds: float | None) -> None:
        self.start = time.perf_counter()
        self.max_seconds = max_seconds

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining(self) -> float | None:
        return None if self.max_seconds is None else self.max_seconds - self.elapsed()

    def expired(self) -> bool:
        return self.max_seconds is not None and self.elapsed() >= self.max_seconds


def parse_count(text: str, least: int = 1) -> int:
    """A whole number from a flag's text (`--max-states`, `--max-depth`, ...)."""
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise OptionError(f"expected a whole number, got {text!r}") from None
    if value < least:
        raise OptionError(f"expected a number >= {least}, got {text}")
    return value


def parse_seconds(text: str) -> float:
    """Seconds from a flag's text: a finite number above 0 (not nan, not inf)."""
    try:
        value = float(text)
    except ValueError:
        raise OptionError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise OptionError(f"expected a finite number of seconds above 0, got {text}")
    return value


def parse_memory(text: str) -> int:
    """Bytes from `8G`, `500M`, `64K` or a plain number of bytes (binary units)."""
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    scale = MEMORY_UNITS.get(t[-1:], 1)
    try:
        value = float(t[:-1] if t[-1:] in MEMORY_UNITS else t) * scale
    except ValueError:
        raise OptionError(f"expected a size like 8G or 500M, got {text!r}") from None
    if not math.isfinite(value) or value < 1:
        raise OptionError(f"expected a finite positive size like 8G or 500M, got {text}")
    return int(value)


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
    checkpoint: bool = False  # writes --checkpoint DIR at level boundaries and continues from --resume DIR
    partitioned: bool = False  # --partitions N and --ray-address ADDR (the ray engine)


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
        "batch", "the batch engine", exhaustive=True, shortest=True, kinds=SAFETY, max_workers=2, symmetry=True,
        stores=("exact", "fingerprint"), liveness_with="graph", checkpoint=True,
    ),
    "ray": Capabilities(
        "ray", "the ray engine", exhaustive=True, shortest=True, kinds=SAFETY,
        stores=("exact", "fingerprint"), checkpoint=True, partitioned=True,
        notes=("liveness properties and measures are not checked yet: add --no-liveness and --skip each measure, "
               "or use --engine batch",),
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
    "checkpoint": "--checkpoint",
    "resume": "--resume",
    "partitions": "--partitions",
    "ray_address": "--ray-address",
}


def explicit_engine(engine: str, strategy: str) -> str:
    """The `ENGINES` name of an explicit-state run: `--engine batch`, `--engine ray`, or scalar
    BFS/DFS."""
    return engine if engine in ("batch", "ray") else strategy


def refusals(engine: str, requested: Mapping[str, object]) -> list[str]:
    """Why `engine` cannot run with the `requested` options (option name -> value; a value
    of None, False, 1 for workers or "exact" for the store asks for nothing); [] if it can.
    "liveness" / "measures": the run would check liveness properties / measures after the
    search (refused by an engine that has no `liveness_with` and does not decide them)."""
    cap = ENGINES[engine]
    out: list[str] = []
    for name in LIMITS:
        if requested.get(name) is not None and name not in cap.limits:
            out.append(f"{OPTION_FLAGS[name]} is not supported by {cap.title}")
    if requested.get("symmetry") and not cap.symmetry:
        hint = "; use breadth-first search (the scalar or the batch engine)" if cap.exhaustive else ""
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
    for name in ("checkpoint", "resume"):
        if requested.get(name) and not cap.checkpoint:
            out.append(f"{OPTION_FLAGS[name]} is an option of the batch and ray engines; add --engine batch or --engine ray")
    for name in ("partitions", "ray_address"):
        if requested.get(name) is not None and not cap.partitioned:
            out.append(f"{OPTION_FLAGS[name]} is an option of the ray engine; add --engine ray")
    checkpointing = [OPTION_FLAGS[name] for name in ("checkpoint", "resume") if requested.get(name)]
    if checkpointing and cap.checkpoint and (requested.get("liveness") or requested.get("measures")):
        # the recorded graph is not part of a checkpoint: a resumed run has no graph of the
        # levels before it, and a second exploration is what the batch engine never does
        out.append(f"liveness properties and measures are not checkpointed yet: with {' and '.join(checkpointing)} "
                   "add --no-liveness and --skip each measure")
    if checkpointing and requested.get("symmetry"):
        out.append(f"{' and '.join(checkpointing)} with --symmetry is not supported yet: a checkpoint holds "
                   "unreduced levels; drop --symmetry or the checkpoint")
    if cap.liveness_with is None:
        if requested.get("liveness") and "liveness" not in cap.kinds:
            out.append(f"{cap.title} does not check liveness properties yet: add --no-liveness, or use --engine batch")
        if requested.get("measures") and "measure" not in cap.kinds:
            out.append(f"{cap.title} does not compute measures yet: --skip each measure, or use --engine batch")
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


__all__ = ["Capabilities", "Deadline", "ENGINES", "Limits", "capability_table", "LIMITS", "parse_count",
           "parse_memory", "parse_seconds", "OPTION_FLAGS", "SAFETY", "explicit_engine", "refusals"]
