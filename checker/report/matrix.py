"""The tables of a sweep, in text and Markdown: one per model, a row per (variant, grid point),
the reasons for the expectations (Markdown) and a property's boundary below.

Owns: `render_matrix(runs, fmt, timings)`. A run is anything with `model`, `axes`, `rows`,
`settings`, `prop`, `monotone`, `reasons`, `points_total`, `interrupted` and `boundary()`
(`replicheck.sweep.GridRun`); a row anything with `variant`, `point`, `result` (a
`CheckResult`; None for a point not checked, whose verdict of the boundary property is
`inferred`), `expected`, `headline` and `mismatches()`. Columns: variant, the grid's settings,
the verdicts (the properties shown, in order of first appearance), each measure's maximum with
the length of the shortest trace to it, states (`+`: a limit cut the run short), seconds
(unless `timings` is False: output for documents, the same on every run) and, when some row
carries a declared expectation, whether the verdicts are as expected.

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.cli`.
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence

from .results import VIOLATED, CheckResult


class Row(Protocol):
    variant: str | None
    point: dict[str, Any]
    result: CheckResult | None
    expected: dict[str, str]
    headline: list[str]  # the properties to show as columns (helper invariants are not)
    inferred: tuple[str, str] | None  # (the boundary verdict, the point it follows from)

    def mismatches(self) -> list[str]: ...


class BoundaryLine(Protocol):
    variant: str | None
    minimal_failing: list[str]
    maximal_holding: list[str]
    open_failing: list[str]
    open_holding: list[str]
    unknown: list[str]
    not_monotone: tuple[str, str] | None


class Run(Protocol):
    model: str
    rows: list[Any]  # Row
    settings: dict[str, Any]
    prop: str | None
    monotone: bool
    reasons: dict[str, str]
    interrupted: bool

    @property
    def axes(self) -> list[str]: ...

    @property
    def points_total(self) -> int: ...

    def boundary(self) -> Sequence[BoundaryLine]: ...


def _show(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def _variant(v: str | None) -> str:
    return v or "-"


def _cell(row: Row, prop: str, boundary_prop: str | None) -> str:
    if row.result is None:
        if row.inferred is not None and prop == boundary_prop:
            word = "violated" if row.inferred[0] == "fails" else "holds"
            return f"{word} (inferred from {row.inferred[1]})"
        return "-"
    v = next((v for v in row.result.verdicts if v.property == prop), None)
    if v is None:
        return "-"
    if v.status == VIOLATED and v.trace is not None:
        return f"violated ({len(v.trace)} steps)"
    return v.status


def _columns(rows: Sequence[Row]) -> tuple[list[str], list[str]]:
    """The property columns and the measure columns."""
    cols: list[str] = []
    measures: list[str] = []
    for r in rows:
        if r.result is None:
            continue
        shown = set(r.headline) | {"deadlock", "domain", "model error"}
        for v in r.result.verdicts:
            if v.property in shown and v.property not in cols:
                if v.property == "deadlock" and v.status != VIOLATED:
                    continue
                cols.append(v.property)
        measures += [m.name for m in r.result.measurements if m.name not in measures]
    return cols, measures


def _measure(result: CheckResult | None, name: str) -> str:
    m = next((m for m in result.measurements if m.name == name), None) if result is not None else None
    if m is None:
        return "-"
    return f"{'>= ' if not m.complete else ''}{m.maximum} ({len(m.max_trace)} steps)"


def _table(run: Run, timings: bool) -> tuple[list[str], list[list[str]]]:
    rows: list[Row] = run.rows
    cols, measures = _columns(rows)
    expectations = any(r.expected for r in rows)
    header = ["variant", *run.axes, *cols, *(f"max {m}" for m in measures), "states"]
    header += ["seconds"] * timings + ["as expected"] * expectations
    body = []
    for r in rows:
        cells = [_variant(r.variant), *(_show(r.point.get(a, "-")) for a in run.axes)]
        cells += [_cell(r, c, run.prop) for c in cols]
        cells += [_measure(r.result, m) for m in measures]
        if r.result is None:
            cells += ["not checked"] + ["-"] * timings + ["-"] * expectations
        else:
            stats = r.result.stats
            cells.append(f"{stats.distinct_states:,}" + ("" if stats.complete else "+"))
            cells += [f"{stats.seconds:.1f}"] * timings
            if expectations:
                mism = r.mismatches()
                cells.append("-" if not r.expected else "yes" if not mism else "NO: " + "; ".join(mism))
        body.append(cells)
    return header, body


def _format(header: list[str], body: list[list[str]], fmt: str) -> list[str]:
    if fmt == "md":
        return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
                *("| " + " | ".join(row) + " |" for row in body)]
    widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(header)]
    return ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip(),
            "  ".join("-" * w for w in widths),
            *("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in body)]


def _settings(run: Run) -> str:
    """The settings every checked row shares, the grid's own left to its columns."""
    results = [r.result for r in run.rows if r.result is not None]
    if not results:
        return ", ".join(f"{k}={_show(v)}" for k, v in run.settings.items())
    common = {k: v for k, v in results[0].settings.items()
              if k not in run.axes and all(r.settings.get(k) == v for r in results)}
    return ", ".join(f"{k}={_show(v)}" for k, v in common.items())


def _points(points: list[str], none: str = "none") -> str:
    return "; ".join(points) if points else none


def _boundary(run: Run, fmt: str) -> list[str]:
    prop = run.prop
    assert prop is not None
    code = (lambda s: f"`{s}`") if fmt == "md" else (lambda s: s)
    checked = sum(1 for r in run.rows if r.result is not None)
    how = (f"{checked} of {run.points_total} points checked, the others inferred assuming {code(prop)} monotone "
           "(--assume-monotone)") if run.monotone else f"every point checked ({checked} of {run.points_total})"
    over = " x ".join(run.axes) or "the one point"
    title = f"Boundary of {code(prop)} over {over}: {how}."
    lines = [f"**{title}**" if fmt == "md" else title, ""]
    lines += ["A point is smaller than another when each of its values comes no later in its --grid list; "
              "a minimal failing point fails and every smaller point holds, a maximal holding point holds "
              "and every larger point fails.", ""]
    found = run.boundary()
    body = [[_variant(b.variant), _points(b.minimal_failing), _points(b.maximal_holding)] for b in found]
    lines += _format(["variant", "minimal failing points", "maximal holding points"], body, fmt)
    notes = []
    for b in found:
        name = code(_variant(b.variant))
        if b.open_failing:
            notes.append(f"{name}: failing, and minimal unless a smaller point without a verdict fails: "
                         f"{_points(b.open_failing)}")
        if b.open_holding:
            notes.append(f"{name}: holding, and maximal unless a larger point without a verdict holds: "
                         f"{_points(b.open_holding)}")
        if b.unknown:
            notes.append(f"{name}: no verdict of {code(prop)} (a limit, an interruption or a model error) at: "
                         f"{_points(b.unknown)}")
        if b.not_monotone is not None:
            notes.append(f"{name}: {code(prop)} is not monotone on this grid: it fails at {b.not_monotone[0]} "
                         f"but holds at {b.not_monotone[1]}, a larger point")
    if run.monotone:
        notes.append(f"assumed, not checked: {code(prop)} fails at every point above a failing one and holds at "
                     "every point below a holding one; without --assume-monotone every point is checked")
    if notes:
        lines.append("")
        lines += [("- " if fmt == "md" else "  ") + n for n in notes]
    return lines


def _reasons(run: Run) -> list[str]:
    shown = []
    for r in run.rows:
        key = r.variant or ""
        if r.expected and key not in shown:
            shown.append(key)
    if not shown:
        return []
    missing = "no reason given (add a sentence for it to the model's `reasons`)"
    lines = ["", "Why these verdicts are expected:", ""]
    for k in shown:
        reason = run.reasons.get(k, missing)
        lines.append(f"- `{k}`: {reason}" if k else f"- {reason}")
    return lines


def render_matrix(runs: Sequence[Run], fmt: str = "text", timings: bool = True) -> str:
    sections = []
    for run in runs:
        header, body = _table(run, timings)
        settings = _settings(run)
        if fmt == "md":
            lines = [f"### {run.model}", "", f"Settings: {settings or 'none'}", "", *_format(header, body, fmt)]
            lines += _reasons(run)
        else:
            lines = [f"{run.model}  ({settings})", *_format(header, body, fmt)]
        if run.prop is not None:
            lines += ["", *_boundary(run, fmt)]
        if run.interrupted:
            lines += ["", f"interrupted: {sum(1 for r in run.rows if r.result is not None)} of "
                      f"{run.points_total} points checked"]
        sections.append("\n".join(lines))
    return "\n\n".join(sections)

