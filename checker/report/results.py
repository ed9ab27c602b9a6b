"""The one result vocabulary every engine returns and every renderer reads.

Owns: `Step` and `Trace` (a counterexample or witness: the actions taken, with the full state
after each and the variables that changed; a lasso marks where its cycle starts), `Verdict`
(one property's outcome: holds / violated / incomplete / vacuous), `RunStats`, and
`CheckResult` (everything a run produced), and `write_verdicts`, the one place the verdicts of
a run are written: every engine hands it what it decided, and it fills in the rest (holds,
vacuous or incomplete, by the same rules) in the one order every report shows. Traces carry encoded states plus the `Program`
they belong to, so renderers can decode and diff them without any engine.

Must not import: z3, numpy, hypothesis, or `replicheck.explore`, `replicheck.symbolic`,
`replicheck.cli`.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from replicheck.ir import Program, State

HOLDS = "holds"
VIOLATED = "violated"
INCOMPLETE = "incomplete"
VACUOUS = "vacuous"  # a @reachable target never reached


@dataclass(frozen=True)
class Step:
    """One state of a trace: how it was reached ("init" for the initial state) and the state."""

    action: str | None  # action family, e.g. "promote"; "init" for the initial state
    params: tuple[tuple[str, Any], ...]  # decoded parameter values, in declaration order
    state: State

    @property
    def label(self) -> str:
        name = self.action or "init"
        if not self.params:
            return name
        return f"{name}({', '.join(f'{k}={_show(v)}' for k, v in self.params)})"


def _show(v: Any) -> str:
    if v is None:
        return "none"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


@dataclass(frozen=True)
class Trace:
    program: Program
    steps: tuple[Step, ...]
    loop_start: int | None = None  # index of the step where a lasso's cycle begins
    notes: tuple[str, ...] = ()  # e.g. how fairness is met along a lasso's cycle

    def __len__(self) -> int:
        """The number of transitions (steps after the initial state)."""
        return len(self.steps) - 1

    def __bool__(self) -> bool:
        return True  # a trace of only its initial state is still a trace

    def changed(self, i: int) -> list[str]:
        """Names of the variables whose value differs between step i-1 and step i."""
        if i == 0:
            return [v.name for v in self.program.vars]
        before, after = self.steps[i - 1].state, self.steps[i].state
        return [
            v.name
            for v in self.program.vars
            if any(before[k] != after[k] for k in v.slot_range())
        ]

    def decoded(self, i: int) -> dict[str, Any]:
        return self.program.decode_state(self.steps[i].state)

    def __repr__(self) -> str:
        """One line: the model, the actions taken (a lasso's cycle in brackets) and the last
        state's variables, at most a few hundred characters (a Trace holds its whole Program,
        so the dataclass repr would run to tens of kilobytes)."""
        labels = [s.label for s in self.steps[1:]]
        if self.loop_start is not None:
            cut = max(self.loop_start, 0)
            labels = labels[:cut] + ["[" + ", ".join(labels[cut:]) + "] forever"]
        shown = ", ".join(labels) if labels else "no steps"
        if len(shown) > 300:
            shown = shown[:300] + " ..."
        last = ", ".join(f"{k}={_brief(v)}" for k, v in self.decoded(len(self.steps) - 1).items())
        if len(last) > 200:
            last = last[:200] + " ..."
        return f"<Trace {self.program.name}, {_steps(len(self))}: {shown}; last state: {last}>"

    def outline(self, max_steps: int = 40) -> str:
        """A few lines: the initial state, then one line per step with the variables it changed."""
        first = ", ".join(f"{k}={_brief(v)}" for k, v in self.decoded(0).items())
        lines = [f"<Trace {self.program.name}, {_steps(len(self))}", f"  init: {_clip(first, 200)}"]
        for i in range(1, len(self.steps)):
            if i > max_steps:
                lines.append(f"  ... {len(self.steps) - i} more")
                break
            before, after = self.decoded(i - 1), self.decoded(i)
            changed = ", ".join(f"{k}={_brief(after[k])}" for k in after if after[k] != before[k])
            cycle = "  (the cycle starts)" if self.loop_start is not None and i == self.loop_start + 1 else ""
            lines.append(f"  {i}. {self.steps[i].label}: {_clip(changed or '(nothing changed)', 160)}{cycle}")
        if self.loop_start is not None:
            lines.append(f"  then back to step {self.loop_start}, forever")
        return "\n".join(lines) + ">"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How Hypothesis (and IPython) print a trace: `outline()`, not every field."""
        for i, line in enumerate(self.outline().split("\n")):
            if i:
                printer.break_()
            printer.text(line)


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n] + " ..."


def _steps(n: int) -> str:
    return f"{n} step" + ("" if n == 1 else "s")


def _brief(v: Any) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_brief(k)}: {_brief(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (set, frozenset)):
        return "{" + ", ".join(sorted(_brief(x) for x in v)) + "}"
    if isinstance(v, tuple):
        return "(" + ", ".join(_brief(x) for x in v) + ")"
    return _show(v)


@dataclass
class Verdict:
    property: str  # property name, or "deadlock" / "domain" / "model error"
    kind: str  # "invariant", "action", "reachable", "deadlock", "domain", "error", "liveness"
    status: str  # HOLDS, VIOLATED, INCOMPLETE, VACUOUS
    message: str = ""
    trace: Trace | None = None

    @builtins.property  # the field `property` shadows the builtin in this class body
    def ok(self) -> bool:
        return self.status == HOLDS

    def __repr__(self) -> str:
        trace = "" if self.trace is None else f", {_steps(len(self.trace))}"
        message = self.message if len(self.message) <= 120 else self.message[:120] + " ..."
        return f"<Verdict {self.property} ({self.kind}): {self.status}{trace}: {message}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


FAULTS = ("domain", "model error")  # run-wide violations, reported after the properties


def settled(name: str, kind: str, complete: bool, why_open: str, holds: str = "",
            vacuous: str | None = None) -> Verdict:
    """The verdict of a property a run did not find violated (or reached): holds when the run
    was complete (a @reachable target never reached is vacuous), else incomplete, `why_open`."""
    if not complete:
        return Verdict(name, kind, INCOMPLETE, why_open)
    if kind == "reachable":
        return Verdict(name, kind, VACUOUS, vacuous or
                       f"no reachable state satisfies {name}: the model (or the property) may be vacuous")
    return Verdict(name, kind, HOLDS, holds)


def write_verdicts(
    selected: Iterable[tuple[str, str]],
    decided: Mapping[str, Verdict],
    undecided: Callable[[str, str], Verdict],
    deadlock: bool = False,
) -> list[Verdict]:
    """A run's verdicts, in the order every engine reports them: each selected property
    (name, kind), in the model's order, with its decided verdict or `undecided(name, kind)`;
    then deadlock when it was checked; then the run-wide faults (an out-of-domain value, a
    run-time error of the model) that were found. `decided` maps a name to its verdict."""
    out = [decided[name] if name in decided else undecided(name, kind) for name, kind in selected]
    if deadlock:
        out.append(decided["deadlock"] if "deadlock" in decided else undecided("deadlock", "deadlock"))
    out += [decided[name] for name in FAULTS if name in decided]
    return out


@dataclass
class RunStats:
    initial_states: int = 0
    distinct_states: int = 0
    transitions: int = 0
    depth: int = 0  # BFS levels, TLC's convention: a lone initial state is depth 1
    seconds: float = 0.0
    engine: str = ""
    complete: bool = True
    stop_reason: str = ""  # why the run stopped early: "max_states", "interrupted", ...
    symmetry: str = ""  # the sorts reduced by symmetry ("" when none): states are orbits
    unreduced_states: int | None = None  # the states the orbits stand for, when counted
    constrained_states: int | None = None  # states outside the @constraint: checked, not explored
    store: str = ""  # the batch engine's state store: "exact" or "fingerprint"
    bytes_per_state: float | None = None  # the store's bytes (table and parent links) per state
    fingerprint_collision_probability: float | None = None  # of a missed state (fingerprints)
    peak_memory: int | None = None  # peak resident memory, bytes (with a worker process: both, plus shared files)
    workers: int = 1  # processes the search ran in

    @property
    def states_per_second(self) -> float:
        return self.distinct_states / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "initial_states": self.initial_states,
            "distinct_states": self.distinct_states,
            "transitions": self.transitions,
            "depth": self.depth,
            "seconds": round(self.seconds, 3),
            "states_per_second": round(self.states_per_second, 1),
            "complete": self.complete,
            "stop_reason": self.stop_reason,
            "symmetry": self.symmetry,
            "unreduced_states": self.unreduced_states,
            "constrained_states": self.constrained_states,
            **({"store": self.store} if self.store else {}),
            **({"bytes_per_state": round(self.bytes_per_state, 1)} if self.bytes_per_state is not None else {}),
            **(
                {"fingerprint_collision_probability": self.fingerprint_collision_probability}
                if self.fingerprint_collision_probability is not None
                else {}
            ),
            **({"peak_memory": self.peak_memory} if self.peak_memory is not None else {}),
            **({"workers": self.workers} if self.workers > 1 else {}),
        }


@dataclass
class Measurement:
    """The range of a `@measure` over the reachable states, with a shortest trace to a state
    attaining each end."""

    name: str
    doc: str
    minimum: int
    maximum: int
    min_trace: Trace
    max_trace: Trace
    complete: bool  # False: only over the states explored before a limit


@dataclass
class CheckResult:
    model: str
    settings: dict[str, Any]
    variant: str | None
    verdicts: list[Verdict] = field(default_factory=list)
    stats: RunStats = field(default_factory=RunStats)
    warnings: list[str] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)

    @property
    def status(self) -> str:
        """Overall: violated if any property is (a @reachable target never reached counts:
        "this can happen" turned out false), else incomplete if the run was cut short."""
        if any(v.status in (VIOLATED, VACUOUS) for v in self.verdicts):
            return VIOLATED
        if not self.stats.complete or any(v.status == INCOMPLETE for v in self.verdicts):
            return INCOMPLETE
        return HOLDS

    @property
    def exit_code(self) -> int:
        return {HOLDS: 0, VIOLATED: 1, INCOMPLETE: 3}[self.status]

    def first_violation(self) -> Verdict | None:
        return next((v for v in self.verdicts if v.status == VIOLATED), None)

    def witnesses(self) -> list[tuple[Verdict, Trace]]:
        """The goals (and their witness traces) a report shows: only in a run that checked
        nothing but @reachable goals (`--only GOAL`), where the witness is what was asked for;
        elsewhere a goal is a guard against a vacuous model and its trace would bury the
        counterexample."""
        if not self.verdicts or any(v.kind != "reachable" for v in self.verdicts):
            return []
        return [(v, v.trace) for v in self.verdicts if v.status == HOLDS and v.trace is not None]
