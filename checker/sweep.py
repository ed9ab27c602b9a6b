"""Sweeps: every variant of a set of models, checked at default sizes, as a verdict matrix.

Owns: `run_sweep` (instantiate each model in each of its variants, check every property with
the explicit engine, record one row per variant) and the comparison of each verdict with the
model's declared `expected` verdicts. Rendering the matrix belongs to `replicheck.report.matrix`.

Must not import: z3, numpy, hypothesis, `replicheck.cli`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from replicheck import interrupts
from replicheck.explore import CheckOptions
from replicheck.explore.full import check_model
from replicheck.lang.errors import ModelError
from replicheck.lang.model import Model
from replicheck.registry import ModelInfo
from replicheck.report.results import CheckResult, Verdict


@dataclass
class SweepRow:
    model: str
    variant: str | None
    result: CheckResult
    expected: dict[str, str] = field(default_factory=dict)
    headline: list[str] = field(default_factory=list)  # the properties the matrix shows

    def verdict(self, prop: str) -> Verdict | None:
        return next((v for v in self.result.verdicts if v.property == prop), None)

    def mismatches(self) -> list[str]:
        """Properties whose verdict differs from the model's declared expectation."""
        out = []
        for prop, want in self.expected.items():
            got = self.verdict(prop)
            if got is None or got.status != want:
                out.append(f"{prop}: expected {want}, got {got.status if got else 'no verdict'}")
        return out


def check_expectations(info: ModelInfo) -> None:
    """A model's `expected` names only its own variants ("" for the default), its own
    properties and real verdicts; anything else is a mistake that would silently check nothing."""
    cls = info.cls
    variants = {v.replace("-", "_") for v in cls.variants}
    verdicts = ("holds", "violated", "vacuous", "incomplete")
    program = None
    for variant, props in cls.expected.items():
        key = variant.replace("-", "_")
        if key and key not in variants or (not key and variants):
            known = ", ".join(repr(v) for v in cls.variants) if variants else "'' (the model has no variants)"
            raise ModelError(
                f"{info.name}: `expected` names the variant {variant!r}, which the model does not have",
                f"Its variants are: {known}.",
            )
        if program is None:
            program = cls(variant=variant or None).compile()
        names = {p.name for p in program.properties} | {"deadlock", "domain"}
        for prop, verdict in props.items():
            if prop not in names:
                raise ModelError(
                    f"{info.name}: `expected[{variant!r}]` names the property {prop!r}, which the model does not have",
                    f"Its properties are: {', '.join(sorted(names))}.",
                )
            if verdict not in verdicts:
                raise ModelError(
                    f"{info.name}: `expected[{variant!r}][{prop!r}]` is {verdict!r}",
                    f"Write one of {', '.join(verdicts)}.",
                )


def variants_of(cls: type[Model]) -> list[str | None]:
    return list(cls.variants) or [None]


def run_sweep(
    models: list[ModelInfo],
    max_states: int | None = None,
    max_seconds: float | None = None,
    on_row: Callable[[SweepRow], None] | None = None,
) -> list[SweepRow]:
    for info in models:
        check_expectations(info)
    rows: list[SweepRow] = []
    for info in models:
        for variant in variants_of(info.cls):
            started = time.perf_counter()
            try:
                model = info.cls(variant=variant)
                program = model.compile(max_seconds=max_seconds)
                options = CheckOptions(
                    max_states=max_states,
                    max_seconds=max_seconds,
                    deadlock=info.cls.check_deadlock,
                    stop_at_first=False,
                )
                result = check_model(program, options)
            except KeyboardInterrupt as err:  # while compiling: nothing of this variant to show
                interrupts.note(err)
                return rows
            result.stats.seconds = time.perf_counter() - started  # compiling included
            expected = dict(info.cls.expected.get(variant or "", {})) if info.cls.expected else {}
            headline = [p.name for p in program.properties if not p.strengthening and p.kind != "constraint"]
            row = SweepRow(info.name, variant, result, expected, headline)
            rows.append(row)
            if on_row is not None:
                on_row(row)
            if interrupts.received():  # Ctrl-C or SIGTERM: the rows so far, not the next variant
                return rows
    return rows
