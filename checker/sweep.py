"""Sweeps: models in their variants, at the points of a grid of settings, checked into rows.

Owns: `run_grid` (one model, each chosen variant, each point of a `grid.Grid` over settings
given once: every point, or with `monotone` only the points a `grid.MonotoneSearch` needs for
the boundary property, the rest inferred and marked so); `run_sweep` (every variant of
several models at their own settings: a grid of one point each); `SweepOptions` (the budget
and engine flags every point's check gets, validated by `api.check_options` as `check`'s
are); the expectations: `check_expectations` refuses an `expected` or `reasons` entry that
names nothing, and a row carries the model's expectation only at the settings it was declared
for (the variant's own), so a grid point elsewhere is never compared; the boundary of a
property over a run (`GridRun.boundary`, as labels). Rendering belongs to
`replicheck.report.matrix`.

Must not import: z3, numpy, hypothesis, `replicheck.cli`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

from replicheck import interrupts
from replicheck.api import check_options
from replicheck.engines import Limits
from replicheck.errors import GridError
from replicheck.explore.full import check_model
from replicheck.grid import FAILS, HOLDS, UNKNOWN, Boundary, Grid, MonotoneSearch, Point, boundary
from replicheck.lang.errors import ModelError
from replicheck.lang.model import Model
from replicheck.registry import ModelInfo
from replicheck.report.results import HOLDS as HOLDS_STATUS
from replicheck.report.results import VACUOUS, VIOLATED, CheckResult, Verdict

VERDICTS = ("holds", "violated", "vacuous", "incomplete")


@dataclass(frozen=True)
class SweepOptions:
    """What each point's check gets (the flags `check` has of the same names)."""

    max_states: int | None = None
    max_seconds: float | None = None  # per point, tracing included
    max_memory: int | None = None  # bytes of resident memory, per point
    engine: str = "scalar"
    store: str | None = None
    symmetry: bool = False
    liveness: bool = True


@dataclass
class SweepRow:
    model: str
    variant: str | None
    result: CheckResult | None  # None: a point not checked (its boundary verdict inferred)
    expected: dict[str, str] = field(default_factory=dict)  # only at the settings they were declared for
    headline: list[str] = field(default_factory=list)  # the properties the matrix shows
    point: dict[str, Any] = field(default_factory=dict)  # the grid's values at this row
    index: Point = ()
    inferred: tuple[str, str] | None = None  # (verdict of the boundary property, the point it follows from)

    def verdict(self, prop: str) -> Verdict | None:
        if self.result is None:
            return None
        return next((v for v in self.result.verdicts if v.property == prop), None)

    def mismatches(self) -> list[str]:
        """Properties whose verdict differs from the model's declared expectation."""
        out = []
        for prop, want in self.expected.items():
            got = self.verdict(prop)
            if got is None or got.status != want:
                out.append(f"{prop}: expected {want}, got {got.status if got else 'no verdict'}")
        return out


@dataclass
class BoundaryReport:
    """`grid.Boundary` of one variant, with every point as its label (`N=3, M=2`)."""

    variant: str | None
    minimal_failing: list[str]
    maximal_holding: list[str]
    open_failing: list[str]
    open_holding: list[str]
    unknown: list[str]
    not_monotone: tuple[str, str] | None


@dataclass
class GridRun:
    model: str
    grid: Grid
    variants: list[str | None]
    rows: list[SweepRow] = field(default_factory=list)  # in display order once run_grid returns
    settings: dict[str, Any] = field(default_factory=dict)  # what --set gave
    prop: str | None = None  # the boundary property
    monotone: bool = False
    reasons: dict[str, str] = field(default_factory=dict)
    statuses: dict[str | None, dict[Point, str]] = field(default_factory=dict)  # of `prop`, inferred included
    interrupted: bool = False

    @property
    def axes(self) -> list[str]:
        return [a.name for a in self.grid.axes]

    @property
    def points_total(self) -> int:
        return len(self.grid.points()) * len(self.variants)

    @property
    def checked(self) -> list[SweepRow]:
        return [r for r in self.rows if r.result is not None]

    def boundary(self) -> list[BoundaryReport]:
        out = []
        for variant in self.variants:
            b: Boundary = boundary(self.grid, self.statuses.get(variant, {}))
            label = self.grid.label
            out.append(BoundaryReport(
                variant, [label(p) for p in b.minimal_failing], [label(p) for p in b.maximal_holding],
                [label(p) for p in b.open_failing], [label(p) for p in b.open_holding],
                [label(p) for p in b.unknown],
                None if b.not_monotone is None else (label(b.not_monotone[0]), label(b.not_monotone[1])),
            ))
        return out


def _key(variant: str) -> str:
    return variant.replace("-", "_")


def check_expectations(info: ModelInfo) -> None:
    """A model's `expected` names only its own variants ("" for the default), its own
    properties and real verdicts, and its `reasons` only variants it has expectations for;
    anything else is a mistake that would silently check (or explain) nothing."""
    cls = info.cls
    variants = {_key(v) for v in cls.variants}
    known = ", ".join(repr(v) for v in cls.variants) if variants else "'' (the model has no variants)"
    program = None
    for attribute, table in (("expected", cls.expected), ("reasons", cls.reasons)):
        if not isinstance(table, dict) or not all(isinstance(k, str) for k in table):
            example = ('{"variant": {"property": "holds"}}' if attribute == "expected"
                       else '{"variant": "why it gives those verdicts"}')
            raise ModelError(f"{info.name}: `{attribute}` is {type(table).__name__} {table!r:.60}, not a dict keyed by variant name",
                             f"Write {attribute} = {example} ('' for a model without variants).")
    for variant, props in cls.expected.items():
        if not isinstance(props, dict):
            raise ModelError(f"{info.name}: `expected[{variant!r}]` is {props!r:.60}, not a dict of verdicts",
                             'Write {"property": "holds"}, one entry per property (verdicts: ' + ", ".join(VERDICTS) + ").")
        key = _key(variant)
        if key and key not in variants or (not key and variants):
            raise ModelError(
                f"{info.name}: `expected` names the variant {variant!r}, which the model does not have",
                f"Its variants are: {known}.",
            )
        if program is None:
            program = cls(variant=variant or None).compile()
        names = {p.name for p in program.properties if p.kind != "measure"} | {"deadlock", "domain"}
        for prop, verdict in props.items():
            if prop not in names:
                raise ModelError(
                    f"{info.name}: `expected[{variant!r}]` names the property {prop!r}, which the model does not have",
                    f"Its properties are: {', '.join(sorted(names))}.",
                )
            if prop == "deadlock" and not cls.check_deadlock:
                raise ModelError(
                    f"{info.name}: `expected[{variant!r}]` names 'deadlock', which the model does not check (check_deadlock = False)",
                    "Remove the entry, or set check_deadlock = True if a state without successors is a failure.",
                )
            if verdict not in VERDICTS:
                raise ModelError(
                    f"{info.name}: `expected[{variant!r}][{prop!r}]` is {verdict!r}",
                    f"Write one of {', '.join(VERDICTS)}.",
                )
    declared = {_key(v) for v in cls.expected}
    for variant, reason in cls.reasons.items():
        if _key(variant) not in declared:
            raise ModelError(
                f"{info.name}: `reasons` names the variant {variant!r}, which `expected` does not",
                "A reason says why a variant gives the verdicts `expected` declares for it; "
                f"`expected` has: {', '.join(repr(v) for v in cls.expected) or '(nothing)'}.",
            )
        if not isinstance(reason, str) or not reason.strip():
            raise ModelError(f"{info.name}: `reasons[{variant!r}]` is {reason!r}", "Write one sentence, as a string.")


def variants_of(cls: type[Model]) -> list[str | None]:
    return list(cls.variants) or [None]


def _own_settings(cls: type[Model], variant: str | None) -> dict[str, Any] | None:
    """The settings `expected` was declared for: the variant's own (None: it has none)."""
    try:
        return cls(variant=variant).settings()
    except ModelError:  # a sort without a default size: no settings of its own
        return None


def boundary_status(v: Verdict | None) -> str:
    if v is None:
        return UNKNOWN
    if v.status == HOLDS_STATUS:
        return HOLDS
    return FAILS if v.status in (VIOLATED, VACUOUS) else UNKNOWN


def _check(info: ModelInfo, model: Model, options: SweepOptions, prop: str | None) -> tuple[CheckResult, list[str]]:
    started = time.perf_counter()
    program = model.compile(max_seconds=options.max_seconds)
    if prop is not None:
        names = {p.name: p.kind for p in program.properties} | {"deadlock": "deadlock", "domain": "domain"}
        if names.get(prop, "measure") == "measure":
            what = "is a measure, not a property" if prop in names else "is not a property of the model"
            raise GridError(f"--boundary {prop}: {prop} {what}; its properties are: "
                            + ", ".join(sorted(n for n, k in names.items() if k != "measure")))
    left = Limits(max_seconds=options.max_seconds).after(time.perf_counter() - started).max_seconds
    opts = check_options(program, info.cls, max_states=options.max_states, max_seconds=left, stop_at_first=False,
                         max_memory=options.max_memory, symmetry=options.symmetry, engine=options.engine, store=options.store)
    result = check_model(program, opts, liveness=options.liveness)
    result.stats.seconds = time.perf_counter() - started  # tracing included
    headline = [p.name for p in program.properties if not p.strengthening and p.kind not in ("constraint", "measure")]
    return result, headline


def _run_variant(run: GridRun, info: ModelInfo, v: str | None, own: dict[str, Any] | None,
                 models: Mapping[tuple[str | None, Point], Model], options: SweepOptions,
                 on_row: Callable[[SweepRow], None] | None) -> None:
    """The points of one variant into `run`: every point, or those the monotone search picks."""
    grid, prop = run.grid, run.prop
    expected = {_key(k): dict(e) for k, e in info.cls.expected.items()}.get(v or "", {})
    search = MonotoneSearch(grid) if run.monotone else None
    order: Iterator[Point | None] = iter(grid.points())
    status: dict[Point, str] = {}
    run.statuses[v] = status
    while not run.interrupted:
        p = search.next() if search is not None else next(order, None)
        if p is None:
            break
        model = models[v, p]
        result, headline = _check(info, model, options, prop)
        row = SweepRow(info.name, v, result, dict(expected) if model.settings() == own else {}, headline,
                       grid.settings(p), p)
        run.rows.append(row)
        if prop is not None:
            status[p] = boundary_status(row.verdict(prop))
            if search is not None:
                search.record(p, status[p])
        if on_row is not None:
            on_row(row)
        run.interrupted = bool(interrupts.received())  # Ctrl-C or SIGTERM: the rows so far, not the next point
    if search is not None:
        for p, (verdict, source) in search.inferred.items():
            run.rows.append(SweepRow(info.name, v, None, point=grid.settings(p), index=p,
                                     inferred=(verdict, grid.label(source))))
        status.update(search.statuses())


def run_grid(
    info: ModelInfo,
    grid: Grid,
    options: SweepOptions,
    variants: Sequence[str] | None = None,
    settings: Mapping[str, Any] | None = None,
    prop: str | None = None,
    monotone: bool = False,
    on_row: Callable[[SweepRow], None] | None = None,
    expectations_checked: bool = False,
) -> GridRun:
    """Check `info`'s model in each variant (default: all) at each point of `grid`, over the
    fixed `settings`; with `prop`, record its verdict at each point for the boundary."""
    cls = info.cls
    if monotone and prop is None:
        raise GridError("--assume-monotone prunes the search for a boundary; give --boundary PROP too")
    chosen: list[str | None] = []
    for v in variants or variants_of(cls):
        key = None if v is None else _key(v)
        if key not in chosen:
            chosen.append(key)
    fixed = dict(settings or {})
    points = grid.points()
    run = GridRun(info.name, grid, chosen, settings=fixed, prop=prop, monotone=monotone,
                  reasons={_key(k): r for k, r in cls.reasons.items()})
    models: dict[tuple[str | None, Point], Model] = {}
    try:  # a signal anywhere below stops the sweep with the rows so far (exit 3), never a traceback
        if not expectations_checked:
            check_expectations(info)
        for v in chosen:  # every point instantiated first: a bad combination is refused before any run
            for point in points:
                models[v, point] = cls(variant=v, **fixed, **grid.settings(point))
        owns = {v: _own_settings(cls, v) for v in chosen}
        for v in chosen:
            _run_variant(run, info, v, owns[v], models, options, on_row)
            if run.interrupted:
                break
    except KeyboardInterrupt as err:
        interrupts.note(err)
        run.interrupted = True
    rank = {v: i for i, v in enumerate(chosen)}
    run.rows.sort(key=lambda r: (rank[r.variant], r.index))
    return run


def run_sweep(
    models: list[ModelInfo],
    options: SweepOptions | None = None,
    on_row: Callable[[SweepRow], None] | None = None,
) -> list[GridRun]:
    """Every variant of each model at its own settings: one `GridRun` (of one point) each."""
    for info in models:
        check_expectations(info)
    runs: list[GridRun] = []
    for info in models:
        runs.append(run_grid(info, Grid(), options or SweepOptions(), on_row=on_row, expectations_checked=True))
        if runs[-1].interrupted:
            break
    return runs
