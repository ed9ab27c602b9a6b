"""The verdict matrix of a sweep: text, Markdown and JSON renderings.

Owns: `render_matrix(rows, fmt)`. A row is anything with `model`, `variant`, `result` (a
`CheckResult`) and `mismatches()`; the columns are the union of the property names, in order
of first appearance.

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.cli`.
"""

from __future__ import annotations

import json
from typing import Any, Protocol, Sequence

from .results import VIOLATED, CheckResult


class Row(Protocol):
    model: str
    variant: str | None
    result: CheckResult
    headline: list[str]  # the properties to show as columns (helper invariants are not)

    def mismatches(self) -> list[str]: ...


def _cell(row: Row, prop: str) -> str:
    v = next((v for v in row.result.verdicts if v.property == prop), None)
    if v is None:
        return "-"
    if v.status == VIOLATED and v.trace is not None:
        return f"violated ({len(v.trace)} steps)"
    return v.status


def _columns(rows: Sequence[Row]) -> list[str]:
    cols: list[str] = []
    for r in rows:
        shown = set(r.headline) | {"deadlock", "domain", "model error"}
        for v in r.result.verdicts:
            if v.property in shown and v.property not in cols:
                if v.property == "deadlock" and v.status != VIOLATED:
                    continue
                cols.append(v.property)
    return cols


def _table(rows: Sequence[Row]) -> tuple[list[str], list[list[str]]]:
    cols = _columns(rows)
    header = ["variant"] + cols + ["states", "seconds", "as expected"]
    body = []
    for r in rows:
        mism = r.mismatches()
        body.append(
            [r.variant or "-"]
            + [_cell(r, c) for c in cols]
            + [
                f"{r.result.stats.distinct_states:,}" + ("" if r.result.stats.complete else "+"),
                f"{r.result.stats.seconds:.1f}",
                "yes" if not mism else "NO: " + "; ".join(mism),
            ]
        )
    return header, body


def render_matrix(rows: Sequence[Row], fmt: str = "text") -> str:
    if fmt == "json":
        data: list[dict[str, Any]] = []
        for r in rows:
            data.append(
                {
                    "model": r.model,
                    "variant": r.variant,
                    "verdicts": {
                        v.property: {
                            "status": v.status,
                            "trace_length": len(v.trace) if v.trace is not None else None,
                            "message": v.message,
                        }
                        for v in r.result.verdicts
                    },
                    "stats": r.result.stats.as_dict(),
                    "mismatches": r.mismatches(),
                }
            )
        return json.dumps(data, indent=2)
    sections = []
    models: list[str] = []
    for r in rows:
        if r.model not in models:
            models.append(r.model)
    for model in models:
        group = [r for r in rows if r.model == model]
        # the settings every variant shares (what a variant changes shows in its name)
        common = {
            k: v for k, v in group[0].result.settings.items() if all(r.result.settings.get(k) == v for r in group)
        }
        settings = ", ".join(f"{k}={v}" for k, v in common.items())
        header, body = _table(group)
        if fmt == "md":
            lines = [f"### {model}", "", f"Settings: {settings}", ""]
            lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(row) + " |" for row in body]
        else:
            widths = [max(len(h), *(len(row[i]) for row in body)) if body else len(h) for i, h in enumerate(header)]
            lines = [f"{model}  ({settings})"]
            lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
            lines.append("  ".join("-" * w for w in widths))
            lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in body]
        sections.append("\n".join(lines))
    return "\n\n".join(sections)
