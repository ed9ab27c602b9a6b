"""Markdown for results and traces (for pull requests, issues and design notes).

Owns: `render_trace_md` (a table with one row per step: the action and the variables it
changed; step 0 lists the whole initial state; a lasso marks its cycle) and `render_result_md`
(a heading, the run's settings, a verdict table, statistics, warnings, and the trace of the
first violation). Text that may come from a trace file or a model is made safe: control
characters (ESC included) become visible escapes (`untrusted.visible`), code spans get a fence
longer than any run of backticks inside, and text outside code spans has `<`, `>` and `&` as
HTML entities, so a Markdown viewer shows it rather than running it as HTML.

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.symbolic`, `replicheck.cli`;
nothing of checker but `replicheck.ir` and `replicheck.report`.
"""

from __future__ import annotations

import re
from html import escape

from .changes import format_settings, initial_lines, step_changes
from .explain import explain_verdict, explanation_lines
from .results import HOLDS, INCOMPLETE, VACUOUS, VIOLATED, CheckResult, Trace, Verdict
from .untrusted import visible

_STATUS = {HOLDS: "holds", VIOLATED: "**violated**", INCOMPLETE: "incomplete", VACUOUS: "vacuous"}


def _cell(text: str) -> str:
    """Text safe inside a table cell: pipes escaped (GFM unescapes them, even in code spans),
    newlines as <br>."""
    return text.replace("|", "\\|").replace("\n", "<br>")


def _code(text: str) -> str:
    """A code span: control characters made visible, fenced by more backticks than any run inside."""
    text = visible(text)
    if "`" not in text:
        return f"`{text}`"
    longest = max((len(r) for r in re.findall("`+", text)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


def _text(text: str) -> str:
    """Plain text outside a code span: control characters visible, HTML special characters as
    entities (a Markdown viewer renders raw HTML)."""
    return escape(visible(text), quote=False)


def render_trace_md(trace: Trace, verdict: Verdict | None = None) -> str:
    """The trace as a Markdown table: | Step | Action | Changes |."""
    program = trace.program
    loop = trace.loop_start
    rows = ["| Step | Action | State changes |", "|---:|---|---|"]
    for i, step in enumerate(trace.steps):
        if i == 0:
            parts = [_code(f"{name} = {value}") for name, value in initial_lines(program, step.state)]
        else:
            parts = [_code(f"{c.name}: {c.old} -> {c.new}") for c in step_changes(trace, i)]
            if not parts:
                parts = ["(nothing changed)"]
        label = str(i) + (" ↻" if loop is not None and i == loop else "")
        action = _code(step.label) + (" (initial state)" if i == 0 else "")
        rows.append(f"| {label} | {_cell(action)} | {'<br>'.join(_cell(p) for p in parts)} |")
    out = "\n".join(rows) + "\n"
    if loop is not None:
        out += f"\n↻ The trace is a lasso: after the last step it loops back to step {loop}, forever.\n"
    for note in trace.notes:
        out += f"\n_Note: {_cell(_text(note))}_\n"
    if verdict is not None:
        word = {VIOLATED: "Violated", HOLDS: "Holds", INCOMPLETE: "Incomplete", VACUOUS: "Vacuous"}.get(
            verdict.status, verdict.status
        )
        out += f"\n**{_text(word)}:** {_code(verdict.property)} ({_text(verdict.kind)})"
        out += (f": {_text(verdict.message)}" if verdict.message else "") + "\n"
        why = explanation_lines(explain_verdict(trace, verdict))
        if why:
            out += "\n" + "".join(f"- **Why:** {_code(line)}\n" for line in why)
    return out


def render_result_md(result: CheckResult, timings: bool = True) -> str:
    """A Markdown report of a run (`timings=False`: without the figures that change from run
    to run, for generated docs)."""
    status = _STATUS.get(result.status, result.status)
    lines = [
        f"## {_code(result.model)}: {status}",
        "",
        f"- **Variant:** {_text(result.variant or '(none)')}",
        f"- **Settings:** {_code(format_settings(result.settings))}",
        "",
        "| Property | Kind | Status | Trace | Message |",
        "|---|---|---|---:|---|",
    ]
    for v in result.verdicts:
        n = len(v.trace) if v.trace is not None else -1
        steps = "" if n < 0 else f"{n} step" + ("" if n == 1 else "s")
        lines.append(
            f"| {_cell(_code(v.property))} | {_cell(_text(v.kind))} | {_text(_STATUS.get(v.status, v.status))} "
            f"| {steps} | {_cell(_text(v.message))} |"
        )
    s = result.stats
    lines += [
        "",
        "| Statistic | Value |",
        "|---|---:|",
        f"| engine | {_cell(s.engine or '-')} |",
        f"| initial states | {s.initial_states:,} |",
        f"| distinct states | {s.distinct_states:,} |",
        f"| transitions | {s.transitions:,} |",
        f"| depth | {s.depth:,} |",
        *([f"| seconds | {s.seconds:.2f} |", f"| distinct states/s | {s.states_per_second:,.0f} |"] if timings else []),
    ]
    if not s.complete:
        lines += ["", f"**Incomplete:** the run stopped early ({_cell(s.stop_reason or 'no reason given')})."]
    if result.measurements:
        lines += ["", "| measure | min | max | shortest way to the max |", "|---|---:|---:|---|"]
        for m in result.measurements:
            way = ", ".join(step.label for step in m.max_trace.steps[1:]) or "initial state"
            lines.append(f"| {_cell(m.name)} | {m.minimum} | {m.maximum} | {_cell(way)} |")
    if result.warnings:
        lines += ["", "**Warnings:**", ""] + [f"- {_text(w)}" for w in result.warnings]
    first = result.first_violation()
    if first is not None and first.trace is not None:
        lines += ["", f"### Counterexample to {_code(first.property)}", "", render_trace_md(first.trace, first)]
    for goal, witness in result.witnesses():
        lines += ["", f"### Witness for {_code(goal.property)}: a shortest way to reach it", "", render_trace_md(witness, goal)]
    return "\n".join(lines).rstrip("\n") + "\n"
