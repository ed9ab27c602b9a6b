"""Terminal text for results and traces: readable without colour, ANSI colour only when asked.

Owns: `render_trace` (step 0 shows the whole initial state; every later step shows only what
changed: `big: 0 -> 5`, `role[n2]: secondary -> primary`; a lasso marks where its cycle starts
and that it loops back there) and `render_result` (model, variant, settings, one line per
verdict, statistics, warnings, then the trace of the first violation). Every text that may come
from a trace file or a model (labels, names, values, messages, notes) goes through
`untrusted.visible` first, so the only escape sequences in the output are its own colours.

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.symbolic`, `replicheck.cli`;
nothing of checker but `replicheck.ir` and `replicheck.report`.
"""

from __future__ import annotations

from .changes import format_settings, initial_lines, step_changes
from .explain import explain_verdict, explanation_lines
from .results import HOLDS, INCOMPLETE, VACUOUS, VIOLATED, CheckResult, RunStats, Trace, Verdict
from .untrusted import visible

_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_RED = "\x1b[31m"
_GREEN = "\x1b[32m"
_YELLOW = "\x1b[33m"
_CYAN = "\x1b[36m"
_RESET = "\x1b[0m"

_STATUS_WORD = {HOLDS: "holds", VIOLATED: "VIOLATED", INCOMPLETE: "incomplete", VACUOUS: "vacuous"}
_STATUS_COLOUR = {HOLDS: _GREEN, VIOLATED: _RED + _BOLD, INCOMPLETE: _YELLOW, VACUOUS: _YELLOW}


class _Paint:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.color and code else text


def _steps_word(n: int) -> str:
    return f"{n} step" + ("" if n == 1 else "s")


def render_trace(trace: Trace, verdict: Verdict | None = None, color: bool = False) -> str:
    """The trace for a terminal, one block per step; ends with the verdict when one is given."""
    paint = _Paint(color)
    program = trace.program
    lines: list[str] = []
    loop = trace.loop_start
    for i, step in enumerate(trace.steps):
        if loop is not None and i == loop:
            lines.append(paint(f"--- the cycle starts here, at step {i} ---", _CYAN))
        if i == 0:
            lines.append(paint(f"Step 0: {visible(step.label)} (initial state)", _BOLD))
            for name, value in initial_lines(program, step.state):
                lines.append(visible(f"  {name} = {value}"))
        else:
            lines.append(paint(f"Step {i}: {visible(step.label)}", _BOLD))
            changes = step_changes(trace, i)
            if not changes:
                lines.append(paint("  (nothing changed)", _DIM))
            for c in changes:
                lines.append(f"  {visible(c.name)}: {paint(visible(c.old), _DIM)} -> {paint(visible(c.new), _GREEN)}")
        lines.append("")
    if loop is not None:
        last = len(trace.steps) - 1
        same = last != loop and trace.steps[last].state == trace.steps[loop].state
        note = f" (step {last} is the state of step {loop} again)" if same else ""
        lines.append(paint(f"--- loops back to step {loop}: the cycle repeats forever{note} ---", _CYAN))
        lines.append("")
    if trace.notes:
        lines += [f"Note: {visible(n)}" for n in trace.notes]
        lines.append("")
    if verdict is not None:
        lines.append(_verdict_sentence(verdict, paint))
        lines += [f"  why: {visible(line)}" for line in explanation_lines(explain_verdict(trace, verdict))]
    else:
        while lines and not lines[-1]:
            lines.pop()
    return "\n".join(lines) + "\n"


def _verdict_sentence(v: Verdict, paint: _Paint) -> str:
    word = {VIOLATED: "Violated", HOLDS: "Holds", INCOMPLETE: "Incomplete", VACUOUS: "Vacuous"}.get(
        v.status, v.status
    )
    text = f"{paint(visible(word), _STATUS_COLOUR.get(v.status, ''))}: {visible(v.property)} ({visible(v.kind)})"
    return text + (f": {visible(v.message)}" if v.message else "")


def _store_rows(stats: RunStats, timings: bool = True) -> list[tuple[str, str]]:
    """The state store's figures, when the engine reports them (the batch engine does)."""
    rows: list[tuple[str, str]] = []
    if stats.store:
        rows.append(("store", stats.store))
    if stats.bytes_per_state:
        rows.append(("bytes per state", f"{stats.bytes_per_state:.1f}"))
    p = stats.fingerprint_collision_probability
    if p is not None and "fingerprint" in stats.store:
        rows.append(("collision probability", f"{p:.2g}"))
    if stats.peak_memory and timings:
        both = " (both processes and their shared files)" if stats.workers > 1 else ""
        rows.append(("peak memory", f"{stats.peak_memory / 2**20:,.0f} MiB{both}"))
    if stats.workers > 1:
        rows.append(("workers", f"{stats.workers} processes"))
    return rows


def _stats_lines(stats: RunStats, timings: bool = True) -> list[str]:
    if stats.engine.startswith("z3-") and stats.engine != "z3-bmc":
        # a proof by induction explores no states: state counts would only mislead
        rows = [("engine", stats.engine), *([("seconds", f"{stats.seconds:.2f}")] if timings else [])]
        width = max(len(k) for k, _ in rows)
        return [f"  {k.ljust(width)}  {v}" for k, v in rows]
    rows = [
        ("engine", stats.engine or "-"),
        ("initial states", f"{stats.initial_states:,}"),
        ("distinct states", f"{stats.distinct_states:,}" + (" orbits" if stats.symmetry else "")),
        *([("symmetry", stats.symmetry)] if stats.symmetry else []),
        *([("unreduced states", f"{stats.unreduced_states:,}")] if stats.unreduced_states is not None else []),
        *(
            [("outside constraint", f"{stats.constrained_states:,} (checked, not explored)")]
            if stats.constrained_states is not None
            else []
        ),
        ("transitions", f"{stats.transitions:,}"),
        *_store_rows(stats, timings),
        ("depth", f"{stats.depth:,}"),
        *([("seconds", f"{stats.seconds:.2f}"), ("distinct states/s", f"{stats.states_per_second:,.0f}")]
          if timings else []),
    ]
    width = max(len(k) for k, _ in rows)
    out = [f"  {k.ljust(width)}  {v}" for k, v in rows]
    if not stats.complete:
        why = stats.stop_reason or "no reason given"
        out.append(f"  {'complete'.ljust(width)}  no: the run stopped early ({why})")
    return out


def measure_lines(result: CheckResult) -> list[str]:
    """Each measure's range, and the shortest way to reach its extremes (action names)."""
    lines: list[str] = []
    width = max(len(m.name) for m in result.measurements)
    for m in result.measurements:
        scope = "" if m.complete else "  (over the explored states only)"
        lines.append(f"  {m.name.ljust(width)}  min {m.minimum}  max {m.maximum}{scope}")
        for label, trace, value in (("max", m.max_trace, m.maximum), ("min", m.min_trace, m.minimum)):
            steps = [step.label for step in trace.steps[1:]]
            if steps:
                lines.append(f"  {' ' * width}  {label} {value} after {len(steps)} steps: " + ", ".join(steps))
    return lines


def render_result(result: CheckResult, color: bool = False, timings: bool = True) -> str:
    """A summary block: the run, each verdict, statistics, warnings, the first violation's trace."""
    paint = _Paint(color)
    status = result.status
    lines = [
        paint(f"{result.model}: {_STATUS_WORD.get(status, status)}", _STATUS_COLOUR.get(status, _BOLD)),
        f"  model     {result.model}",
        f"  variant   {result.variant or '(none)'}",
        f"  settings  {format_settings(result.settings)}",
        "",
        paint("Properties", _BOLD),
    ]
    if not result.verdicts:
        lines.append("  (none checked)")
    pw = max((len(v.property) for v in result.verdicts), default=0)
    kw = max((len(v.kind) for v in result.verdicts), default=0)
    for v in result.verdicts:
        word = _STATUS_WORD.get(v.status, v.status)
        line = f"  {v.property.ljust(pw)}  {v.kind.ljust(kw)}  {paint(word, _STATUS_COLOUR.get(v.status, ''))}"
        extra = []
        if v.trace is not None and v.status in (VIOLATED, VACUOUS, HOLDS):
            extra.append(f"trace of {_steps_word(len(v.trace))}")
        if v.message and v.status != HOLDS:
            extra.append(v.message)
        if extra:
            line += "  (" + "; ".join(extra) + ")"
        lines.append(line.rstrip())
    if result.measurements:
        lines += ["", paint("Measures", _BOLD), *measure_lines(result)]
    lines += ["", paint("Statistics", _BOLD), *_stats_lines(result.stats, timings)]
    if result.warnings:
        lines += ["", paint("Warnings", _YELLOW + _BOLD)]
        lines += [f"  - {w}" for w in result.warnings]
    first = result.first_violation()
    if first is not None and first.trace is not None:
        lines += [
            "",
            paint(f"Counterexample to {first.property} ({_steps_word(len(first.trace))})", _BOLD),
            "",
            render_trace(first.trace, first, color=color).rstrip("\n"),
        ]
    for goal, witness in result.witnesses():
        lines += [
            "",
            paint(f"Witness for {goal.property} ({_steps_word(len(witness))}): a shortest way to reach it", _BOLD),
            "",
            render_trace(witness, goal, color=color).rstrip("\n"),
        ]
    return "\n".join(lines) + "\n"
