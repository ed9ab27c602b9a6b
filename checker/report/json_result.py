"""Machine-readable results: a `CheckResult` as plain JSON-ready data (`--json`).

Owns: `result_to_dict`, the stable JSON shape of a run: model, settings, variant, status,
exit code, statistics, warnings, and every verdict with its counterexample as ITF.

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.symbolic`, `replicheck.cli`.
"""

from __future__ import annotations

from typing import Any

from .itf import trace_to_itf
from .results import CheckResult, Verdict


def verdict_to_dict(v: Verdict, result: CheckResult) -> dict[str, Any]:
    out: dict[str, Any] = {"property": v.property, "kind": v.kind, "status": v.status, "message": v.message}
    if v.trace is not None:
        out["trace_length"] = len(v.trace)
        out["trace"] = trace_to_itf(
            v.trace, v, {"model": result.model, "settings": result.settings, "variant": result.variant}
        )
    return out


def result_to_dict(result: CheckResult) -> dict[str, Any]:
    return {
        "model": result.model,
        "variant": result.variant,
        "settings": result.settings,
        "status": result.status,
        "exit_code": result.exit_code,
        "stats": result.stats.as_dict(),
        "warnings": list(result.warnings),
        "verdicts": [verdict_to_dict(v, result) for v in result.verdicts],
        "measures": [
            {
                "name": m.name,
                "min": m.minimum,
                "max": m.maximum,
                "complete": m.complete,
                "min_trace": [step.label for step in m.min_trace.steps[1:]],
                "max_trace": [step.label for step in m.max_trace.steps[1:]],
            }
            for m in result.measurements
        ],
    }
