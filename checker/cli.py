"""The `replicheck` command line: list, check, prove, simulate, report, sweep, export.

Owns: argument parsing, turning every usage or model mistake into one clear message and exit
code 2 (never a traceback), progress on stderr, and the exit codes (declared in
`replicheck.errors`): 0 every property holds, 1 a property is violated, 2 usage or model error,
3 incomplete (a limit was hit), 4 internal error (replicheck disagrees with itself: a bug to
report).

Must not import: z3 or hypothesis directly (engines that need them are imported lazily).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import sys
import tempfile
import time
from typing import Any, Callable, NoReturn, Sequence

from replicheck import __version__, interrupts
from replicheck.engines import Limits, parse_count, parse_memory, parse_seconds
from replicheck.errors import (
    EXIT_INCOMPLETE,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_VIOLATED,
    REPORT_BUGS,
    InternalError,
    OptionError,
    ReplicheckError,
    UsageProblem,
)
from replicheck.lang.errors import ModelError, from_exception, traceback_location
from replicheck.lang.model import Model, model_shape
from replicheck.registry import ModelInfo, RegistryError, discover, load, parse_settings
from replicheck.report.json_result import envelope, error_document
from replicheck.report.results import CheckResult, RunStats


class UsageError(UsageProblem):
    """A command line that cannot be carried out as written (exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="replicheck", description="Model checking for replication protocols.")
    p.add_argument("--version", action="version", version=f"replicheck {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ls = sub.add_parser("list", help="models, their sorts, settings and variants")
    ls.add_argument("--json", action="store_true", help="print JSON (docs/json.md)")

    ck = sub.add_parser("check", help="explicit-state check of a model")
    _model_args(ck)
    order = ck.add_mutually_exclusive_group()
    order.add_argument("--bfs", dest="strategy", action="store_const", const="bfs", help="breadth-first (default): shortest counterexamples")
    order.add_argument("--dfs", dest="strategy", action="store_const", const="dfs", help="depth-first, with --max-depth as the bound")
    ck.set_defaults(strategy="bfs")
    ck.add_argument("--max-states", type=_positive_int, metavar="N", help="stop after N distinct states (incomplete)")
    ck.add_argument("--max-depth", type=_positive_int, metavar="N", help="explore paths of at most N steps from the initial states (as prove --bmc N)")
    ck.add_argument("--max-seconds", type=_positive_float, metavar="S", help="stop after S seconds (incomplete)")
    dl = ck.add_mutually_exclusive_group()
    dl.add_argument("--no-deadlock", dest="deadlock", action="store_false", default=None, help="do not report states with no enabled action")
    dl.add_argument("--deadlock", dest="deadlock", action="store_true", help="report deadlocks even if the model says it terminates")
    ck.add_argument("--only", action="append", default=[], metavar="PROP", help="check only this property (repeatable)")
    ck.add_argument("--skip", action="append", default=[], metavar="PROP", help="do not check this property (repeatable)")
    ck.add_argument("--continue", dest="keep_going", action="store_true", help="keep exploring after a violation; report the first violation of each property")
    ck.add_argument("--no-liveness", dest="liveness", action="store_false", help="skip the liveness properties")
    sy = ck.add_mutually_exclusive_group()
    sy.add_argument("--symmetry", dest="symmetry", action="store_true", default=False, help="store one state per orbit of the symmetric sorts (invariants only)")
    sy.add_argument("--no-symmetry", dest="symmetry", action="store_false", help="explore every state (the default)")
    ck.add_argument("--unreduced", action="store_true", help="with --symmetry, also count the states the orbits stand for")
    ck.add_argument("--engine", choices=["scalar", "batch", "ray"], default="scalar", help="scalar (default: compiled, one state at a time), batch (NumPy, whole BFS levels) or ray (batch levels partitioned over Ray actors; pip install 'replicheck[ray]')")
    ck.add_argument("--store", choices=["exact", "fingerprint"], default="exact", help="batch engine: exact packed states (default) or 64-bit fingerprints")
    ck.add_argument("--max-memory", type=_memory_size, metavar="SIZE", help="stop (incomplete) when resident memory exceeds SIZE, e.g. 8G or 500M (every engine, and the graph built for liveness and measures)")
    ck.add_argument("--workers", type=_positive_int, default=1, metavar="N", help="batch engine: processes evaluating chunks (1 or 2)")
    ck.add_argument("--partitions", type=_positive_int, metavar="N", help="ray engine: partitions (actors) of the search (default: one per CPU of the cluster)")
    ck.add_argument("--ray-address", metavar="ADDR", help="ray engine: join the Ray cluster at ADDR (host:port, or auto); default: start a local Ray")
    ck.add_argument("--checkpoint", metavar="DIR", help="batch and ray engines: write a checkpoint into DIR at every level boundary (docs/distributed.md)")
    ck.add_argument("--resume", metavar="DIR", help="batch and ray engines: continue the run checkpointed in DIR (and go on checkpointing into it)")
    ck.add_argument("--trace-out", metavar="FILE", help="write the counterexample as ITF JSON to FILE")
    ck.add_argument("--graph-out", metavar="FILE", help="write the reachable state graph to FILE.graphml or FILE.dot (small models)")
    ck.add_argument("--graph-limit", type=_positive_int, default=10_000, metavar="N", help="refuse to export a graph of more than N states (default 10,000)")
    ck.add_argument("--format", choices=["text", "md"], default="text", help="output format (default text)")
    ck.add_argument("--no-timings", dest="timings", action="store_false",
                    help="leave out seconds, states per second and memory (output that is the same on every run, for docs)")
    ck.add_argument("--json", action="store_true", help="print the result as JSON")
    ck.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")

    pv = sub.add_parser("prove", help="symbolic (Z3) check: bounded model checking, k-induction, inductive invariants")
    _model_args(pv)
    engine = pv.add_mutually_exclusive_group()
    engine.add_argument("--bmc", type=_natural_int, metavar="DEPTH", help="bounded model checking: any violation within DEPTH steps? (not a proof unless the state space is exhausted)")
    engine.add_argument("--k-induction", dest="k_induction", type=_positive_int, metavar="K", help="prove the invariants by k-induction, for the smallest k <= K")
    engine.add_argument("--inductive", action="store_true", help="is the conjunction of the invariants (with the strengthening helpers) inductive?")
    pv.add_argument("--only", action="append", default=[], metavar="PROP", help="check only this property (repeatable); the induction engines always add the strengthening helpers")
    pv.add_argument("--timeout", type=_positive_float, metavar="S", help="give the solver at most S seconds in all (incomplete when hit)")
    pv.add_argument("--trace-out", metavar="FILE", help="write the counterexample as ITF JSON to FILE")
    pv.add_argument("--format", choices=["text", "md"], default="text", help="output format (default text)")
    pv.add_argument("--json", action="store_true", help="print the result as JSON")

    rp = sub.add_parser("report", help="render a saved trace, after replaying it against its model")
    rp.add_argument("trace", help="an ITF JSON trace file written by --trace-out or sweep --out")
    rp.add_argument("--format", choices=["text", "md", "itf", "json", "html"], default="text",
                    help="text (default), md, itf (the ITF trace itself; json is the same), html (needs -o)")
    rp.add_argument("--json", action="store_true", help="print the replayed verdict and trace as JSON (docs/json.md)")
    rp.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout (required for html)")
    rp.add_argument("--model", metavar="FILE", help="replay against this model file (path.py[:Class]; or a model "
                    "name) instead of the one the trace records, e.g. when the file has moved")

    sw = sub.add_parser("sweep", help="check every variant of models (or one model over a grid of settings) and print the verdict matrix")
    sw.add_argument("models", nargs="*", help="models to sweep (default: the incident models, or all); one model with --grid, --set, --variant or --boundary")
    sw.add_argument("--variant", action="append", default=[], metavar="NAME", help="check only this variant (repeatable; default: every variant)")
    sw.add_argument("--set", action="append", default=[], metavar="K=V", help="a sort size or setting for every point, e.g. Node=3")
    sw.add_argument("--grid", action="append", default=[], metavar="K=V1,V2,...", help="check at each of these values of a sort size or setting (repeatable: the product); ranges LO..HI too, e.g. spare=0..3")
    sw.add_argument("--boundary", metavar="PROP", help="report the grid's minimal failing and maximal holding points for PROP")
    sw.add_argument("--assume-monotone", dest="assume_monotone", action="store_true", help="with --boundary: check only the points the boundary needs, assuming PROP fails at every point above a failing one (said so in the output)")
    sw.add_argument("--format", choices=["text", "md", "json"], default="text", help="text (default), md; json is --json")
    sw.add_argument("--json", action="store_true", help="print the rows as JSON (docs/json.md)")
    sw.add_argument("--no-timings", dest="timings", action="store_false", help="leave the seconds column out (output that is the same on every run, for docs)")
    sw.add_argument("--out", metavar="DIR", help="write each counterexample as ITF JSON and text into DIR")
    sw.add_argument("--max-states", type=_positive_int, metavar="N", help="per point (and variant)")
    sw.add_argument("--max-seconds", type=_positive_float, metavar="S", help="per point (and variant)")
    sw.add_argument("--max-memory", type=_memory_size, metavar="SIZE", help="per point (and variant): stop that point (incomplete) when resident memory exceeds SIZE, e.g. 8G")
    sw.add_argument("--engine", choices=["scalar", "batch"], default="scalar", help="as check --engine, for every point")
    sw.add_argument("--store", choices=["exact", "fingerprint"], default="exact", help="batch engine: as check --store")
    sw.add_argument("--symmetry", action="store_true", help="as check --symmetry (invariants only: give --no-liveness for models with liveness)")
    sw.add_argument("--no-liveness", dest="liveness", action="store_false", help="skip the liveness properties")
    sw.add_argument("--quiet", "-q", action="store_true")

    sm = sub.add_parser("simulate", help="random walks that check the properties at every step, and shrink a violation")
    _model_args(sm)
    sm.add_argument("--runs", type=_positive_int, default=1000, metavar="N", help="number of random runs (default 1000)")
    sm.add_argument("--depth", type=_positive_int, default=100, metavar="D", help="steps per run at most (default 100)")
    sm.add_argument("--seed", type=_natural_int, default=0, metavar="S", help="the random seed (default 0): same seed, same result")
    sm.add_argument("--swarm", action="store_true", help="swarm testing: each run enables a random subset of the action families")
    sm.add_argument("--uniform", action="store_true", help="choose every step uniformly among the enabled actions (default: reactive scheduling, see docs/simulation.md)")
    sm.add_argument("--only", action="append", default=[], metavar="PROP", help="check only this property (repeatable)")
    sm.add_argument("--skip", action="append", default=[], metavar="PROP", help="do not check this property (repeatable)")
    sm.add_argument("--helpers", action="store_true", help="also check the strengthening (proof helper) invariants")
    sdl = sm.add_mutually_exclusive_group()
    sdl.add_argument("--no-deadlock", dest="deadlock", action="store_false", default=None, help="do not report states with no enabled action")
    sdl.add_argument("--deadlock", dest="deadlock", action="store_true", help="report deadlocks even if the model says it terminates")
    sm.add_argument("--no-shrink", dest="shrink", action="store_false", help="report the violation as found, unshrunk")
    sm.add_argument("--max-seconds", type=_positive_float, metavar="S", help="stop the runs after S seconds")
    sm.add_argument("--trace-out", metavar="FILE", help="write the shrunk counterexample as ITF JSON to FILE")
    sm.add_argument("--format", choices=["text", "md"], default="text", help="output format (default text)")
    sm.add_argument("--json", action="store_true", help="print the result as JSON")
    sm.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")

    ex = sub.add_parser("export", help="write a model as a TLA+ module with its TLC .cfg, or as a Promela model for Spin")
    _model_args(ex)
    ex.add_argument("--format", dest="export_format", choices=["tla", "promela"], required=True, help="tla (module + .cfg) or promela")
    ex.add_argument("-o", "--output", metavar="FILE_OR_DIR", help="a file (M.tla / M.pml; the TLA+ module is named after it) or a directory; default: stdout")
    ex.add_argument("--skip", action="append", default=[], metavar="PROP", help="leave this property out (repeatable)")
    ex.add_argument("--deadlock", dest="deadlock", action="store_true", default=None, help="the peer reports states without successors (default: as the model says)")
    ex.add_argument("--no-deadlock", dest="deadlock", action="store_false", help="the peer ignores states without successors")
    ex.add_argument("--json", action="store_true", help="print the files written (or their text) as JSON (docs/json.md)")
    for parser in (p, *sub.choices.values()):
        parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                            help="on an error, show Python's traceback too (for reporting a bug)")
    return p


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="a model name (see `replicheck list`) or a file path.py[:Class]")
    p.add_argument("--set", action="append", default=[], metavar="K=V", help="a sort size or setting, e.g. Node=3")
    p.add_argument("--variant", metavar="NAME", help="a named variant of the model")


def _flag(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type from one of `replicheck.engines`' parsers (the rules every engine's
    limits share): its refusal becomes argparse's usage error."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except OptionError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    convert.__name__ = parse.__name__.removeprefix("parse_")
    return convert


_positive_int = _flag(parse_count)
_natural_int = _flag(lambda text: parse_count(text, least=0))
_memory_size = _flag(parse_memory)
_positive_float = _flag(parse_seconds)


def _instantiate(args: argparse.Namespace) -> tuple[ModelInfo, Model]:
    info = load(args.model)
    settings = parse_settings(info.cls, args.set)
    return info, info.cls(variant=args.variant, **settings)


def _progress(stats: RunStats) -> None:
    if stats.engine.startswith("graph for "):
        purpose, _, engine = stats.engine[len("graph for "):].partition(" by ")
        if not stats.distinct_states:
            line = (f"[replicheck] {purpose}: building the state graph with every transition "
                    f"(a second exploration, {engine or 'the scalar engine'})")
        else:
            line = (f"[replicheck] {purpose} graph: {stats.distinct_states:,} states, {stats.transitions:,} "
                    f"transitions, {stats.seconds:.0f}s, {stats.states_per_second:,.0f} states/s")
        print(line, file=sys.stderr, flush=True)
        return
    print(
        f"[replicheck] {stats.distinct_states:,} distinct states, {stats.transitions:,} transitions, "
        f"depth {stats.depth}, {stats.seconds:.0f}s, {stats.states_per_second:,.0f} states/s",
        file=sys.stderr,
        flush=True,
    )


def cmd_list(args: argparse.Namespace) -> int:
    models = discover()
    rows: list[dict[str, Any]] = []
    for name, info in models.items():
        shape = model_shape(info.cls)
        rows.append(
            {
                "name": name,
                "summary": info.doc,
                "sorts": {n: {"default": s.default, "symmetric": s.symmetric} for n, s in shape.sorts.items()},
                "settings": dict(shape.settings),
                "variants": list(info.cls.variants),
            }
        )
    if args.json:
        _print_json(envelope("list", "ok", EXIT_OK, models=rows))
        return EXIT_OK
    for r in rows:
        print(f"{r['name']}  {r['summary']}")
        sorts = ", ".join(
            f"{n}={s['default'] if s['default'] is not None else '?'}" + (" (symmetric)" if s["symmetric"] else "")
            for n, s in r["sorts"].items()
        )
        if sorts:
            print(f"    sorts:    {sorts}")
        if r["settings"]:
            print("    settings: " + ", ".join(f"{k}={_show(v)}" for k, v in r["settings"].items()))
        if r["variants"]:
            print("    variants: " + ", ".join(r["variants"]))
    return EXIT_OK


def _show(v: Any) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def cmd_check(args: argparse.Namespace) -> int:
    from replicheck.api import check_options
    from replicheck.explore.full import check_model

    info, model = _instantiate(args)
    started = time.perf_counter()
    program = model.compile(max_seconds=args.max_seconds)
    if args.max_seconds is not None:  # tracing took part of the run's time: the search gets what is left
        args.max_seconds = Limits(max_seconds=args.max_seconds).after(time.perf_counter() - started).max_seconds
    if args.graph_out:
        _graph_format(args.graph_out)
    options = check_options(
        program,
        info.cls,
        strategy=args.strategy,
        max_states=args.max_states,
        max_depth=args.max_depth,
        max_seconds=args.max_seconds,
        deadlock=args.deadlock,
        only=args.only,
        skip=args.skip,
        stop_at_first=not args.keep_going,
        progress=None if (args.quiet or args.json) else _progress,
        symmetry=args.symmetry,
        unreduced=args.unreduced,
        engine=args.engine,
        store=args.store,
        max_memory=args.max_memory,
        workers=args.workers,
        partitions=args.partitions,
        ray_address=args.ray_address,
        checkpoint=args.checkpoint,
        resume=args.resume,
        liveness=args.liveness,
    )
    result = check_model(program, options, liveness=args.liveness)
    code = result.exit_code
    if args.graph_out:
        code = _export_graph(program, args.graph_out, args.graph_limit, quiet=args.json) or code
    _emit_result(result, args, exit_code=code)
    return code


def _graph_format(path: str) -> str:
    from replicheck.report.graph_export import graph_format

    try:
        return graph_format(path)
    except ValueError as err:
        raise UsageError(str(err)) from None


def _export_graph(program: Any, path: str, limit: int, quiet: bool = False) -> int:
    """Write the reachable state graph; EXIT_USAGE (with one line on stderr) if it is too
    large, else 0."""
    from replicheck.backends.compiled import compile_program
    from replicheck.explore.graph import build_graph
    from replicheck.report.graph_export import GraphTooLarge, check_size, to_networkx, write_graph

    built = build_graph(compile_program(program), max_states=limit)
    try:
        check_size(len(built.states), built.complete, limit)
    except GraphTooLarge as err:
        print(f"replicheck: error: {err}; {path} not written", file=sys.stderr)
        return EXIT_USAGE
    g = built.graph
    edges = zip(g.src.tolist(), g.dst.tolist(), g.act.tolist())
    try:
        write_graph(to_networkx(program, built.states, g.initial.tolist(), edges), path)
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
    print(f"state graph written to {path} ({g.n:,} states, {len(g.src):,} transitions)",
          file=sys.stderr if quiet else sys.stdout)
    return 0


def _emit_result(result: CheckResult, args: argparse.Namespace, exit_code: int | None = None) -> None:
    from replicheck.report.itf import itf_to_json, trace_to_itf

    violation = result.first_violation()
    if args.trace_out and violation is not None and violation.trace is not None:
        data = trace_to_itf(violation.trace, violation, _source(result, args))
        _write(args.trace_out, itf_to_json(data))
    if args.json:
        from replicheck.report.json_result import run_document

        _print_json(run_document(args.command, result, exit_code, _source(result, args)))
    elif args.format == "md":
        from replicheck.report.markdown import render_result_md

        _print(render_result_md(result, timings=getattr(args, "timings", True)))
    else:
        from replicheck.report.text import render_result

        _print(render_result(result, color=_color(), timings=getattr(args, "timings", True)))
    if args.trace_out and not args.json:
        if violation is not None and violation.trace is not None:
            print(f"trace written to {args.trace_out}")
        else:
            print(f"no counterexample, so nothing written to {args.trace_out}")


def _color() -> bool:
    """Colour on a terminal, unless NO_COLOR is set (https://no-color.org)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, indent=2))


def _source(result: CheckResult, args: argparse.Namespace) -> dict[str, Any]:
    """What a trace of this run records of its model (`replicheck.report.itf.source_of`)."""
    from replicheck.registry import loaded_file
    from replicheck.report.itf import source_of

    file = loaded_file(args.model) if isinstance(getattr(args, "model", None), str) else None
    return source_of(result, file.as_json() if file is not None else None)


def _print(text: str) -> None:
    print(text, end="" if text.endswith("\n") else "\n")


def _write(path: str, text: str) -> None:
    try:
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text if text.endswith("\n") else text + "\n")
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror}") from None


def _group_failures(failures: Sequence[Any]) -> list[tuple[Any, list[str]]]:
    """The first failure of each action family, with the labels of the family's other ones."""
    groups: dict[str, tuple[Any, list[str]]] = {}
    for f in failures:
        family = f.action.split("(", 1)[0]
        if family in groups:
            groups[family][1].append(f.action)
        else:
            groups[family] = (f, [])
    return list(groups.values())


def _failures_text(failures: Sequence[Any]) -> str:
    lines = [
        f"Counterexamples to induction ({len(failures)} action instance(s) break the conjunction; "
        "the pre-states satisfy every invariant but need not be reachable):",
        "",
    ]
    for f, others in _group_failures(failures):
        lines.append(f.explain())
        if others:
            shown = ", ".join(others[:6]) + (f", ... ({len(others) - 6} more)" if len(others) > 6 else "")
            lines.append(f"  likewise: {shown}")
        lines.append("")
    lines.append(
        "To strengthen: add an @invariant(strengthening=True) that holds in every reachable state but "
        "is false in such a pre-state (see docs/proving.md)."
    )
    return "\n".join(lines)


def _failure_to_dict(f: Any) -> dict[str, Any]:
    from replicheck.ir.types import show
    from replicheck.symbolic.explain import relevant_slots

    p = f.program
    out: dict[str, Any] = {"action": f.action, "broken": list(f.broken)}
    if f.pre is not None:
        out["pre"] = {p.slots[i].name: show(p.slots[i].domain.type, f.pre[i]) for i in relevant_slots(f)}
    if f.post is not None:
        base = f.pre if f.pre is not None else None
        out["post"] = {
            s.name: show(s.domain.type, f.post[s.index])
            for s in p.slots
            if base is None or base[s.index] != f.post[s.index]
        }
    return out


def _prove_summary(engine: str, result: CheckResult, induction: Any) -> str:
    seconds = result.stats.seconds
    if induction is None:
        return f"{result.stats.engine} took {seconds:.2f}s"
    if induction.status == "proved":
        n = len(induction.invariants)
        return f"proved in {seconds:.2f}s: the conjunction of {n} invariant(s) holds in every reachable state"
    if induction.status == "refuted":
        return f"refuted in {seconds:.2f}s: a reachable state breaks {induction.violated}"
    return f"not proved ({induction.reason or 'unknown'}), after {seconds:.2f}s"


def cmd_prove(args: argparse.Namespace) -> int:
    from replicheck.api import prove

    info, model = _instantiate(args)
    run = prove(model, bmc=args.bmc, k_induction=args.k_induction, inductive=args.inductive, only=args.only,
                timeout=args.timeout)
    assert run.proof is not None
    result, proof, induction = run.details, run.proof, run.proof.induction
    summary = _prove_summary(proof.engine, result, induction)
    failures = list(induction.failures) if induction is not None and induction.status != "refuted" else []
    cti = induction.cti if induction is not None and induction.status == "unknown" else None
    if args.json:
        from replicheck.report.json_result import run_document

        data = run_document("prove", result, run.exit_code, _source(result, args))
        data["prove"] = {
            "engine": proof.engine,
            "bound": proof.bound,
            "default": proof.default,
            "checked": proof.checked,
            "helpers": proof.helpers,
            "status": induction.status if induction is not None else result.status,
            "message": induction.message if induction is not None else "",
            "seconds": round(result.stats.seconds, 3),
            "failures": [_failure_to_dict(f) for f in failures],
        }
        if cti is not None:
            from replicheck.report.itf import trace_to_itf

            data["prove"]["cti"] = trace_to_itf(cti, None, _source(result, args))
        violation = result.first_violation()
        if args.trace_out and violation is not None and violation.trace is not None:
            from replicheck.report.itf import itf_to_json, trace_to_itf

            _write(args.trace_out, itf_to_json(trace_to_itf(violation.trace, violation, _source(result, args))))
        _print_json(data)
        return run.exit_code
    if args.format == "md":
        _print(f"*prove: {proof.header}*\n")
    else:
        print(f"prove {info.name}: {proof.header}")
        if proof.helpers:
            print(f"  strengthening invariants: {', '.join(proof.helpers)}")
        print()
    _emit_result(result, args)
    extra: list[str] = []
    if failures:
        extra.append(_failures_text(failures))
    if cti is not None:
        from replicheck.report.text import render_trace

        extra.append("Counterexample to induction (its first state satisfies the invariants but need not be "
                     "reachable; it is not a trace of the model):\n\n" + render_trace(cti, color=_color()).rstrip("\n"))
    for block in extra:
        if args.format == "md":
            _print("\n```\n" + block + "\n```")
        else:
            _print("\n" + block)
    _print(("\n**" + summary + "**") if args.format == "md" else ("\n" + summary))
    return run.exit_code


def cmd_report(args: argparse.Namespace) -> int:
    from replicheck.registry import load_for_trace
    from replicheck.report.itf import itf_to_json
    from replicheck.report.replay import (
        TraceFileError,
        check_settings,
        load_trace_file,
        replay,
        trace_model_file,
        trace_source,
        trace_verdict,
        variant_settings,
        verify_claim,
    )

    if args.format == "html" and not args.output and not args.json:
        raise UsageError("--format html writes a page: give the file with -o FILE")
    data = load_trace_file(args.trace)
    name, settings, variant = trace_source(data)
    info, changed = load_for_trace(name, trace_model_file(data), args.model)
    replay_with, differs = variant_settings(settings, variant, info.cls.variants)
    relabelled = f"the trace claims the variant {variant}, but its settings are not {variant}'s ({differs})"
    try:
        check_settings(replay_with, model_shape(info.cls).sorts)
        try:
            program = info.cls(variant=variant, **replay_with).compile()
        except MemoryError:
            shown = ", ".join(f"{k}={v}" for k, v in replay_with.items())
            raise TraceFileError(f"the model is too large to build with the trace's settings ({shown or 'none'}): out of memory") from None
        trace = replay(program, data)
        verdict = verify_claim(trace, trace_verdict(data, trace), _lasso_check, _model_error_check)
    except TraceFileError as err:
        if differs:
            err = TraceFileError(f"{relabelled}; replayed against {variant}, as it claims: {err}")
        if changed:
            raise TraceFileError(f"{changed}, and the trace does not replay against it: {err}") from None
        raise err from None
    except ModelError as err:
        if changed:
            raise RegistryError(f"{changed}, and the model does not load: {err.one_line()}") from None
        raise
    if changed:
        print(f"replicheck: warning: {changed}; the trace still replays against it", file=sys.stderr)
    if differs:
        print(f"replicheck: warning: {relabelled}; it replays against {variant}, as it claims", file=sys.stderr)
    if args.json:
        from replicheck.report.json_result import verdict_document

        _print_json(envelope("report", "ok", EXIT_OK, **verdict_document(trace, verdict, data)))
        return EXIT_OK
    if args.format in ("itf", "json"):
        text = itf_to_json(data, ascii_only=not args.output)  # escapes for a terminal, not for a file
    elif args.format == "html":
        from replicheck.report.html import render_html

        text = render_html(trace, verdict)
    elif args.format == "md":
        from replicheck.report.markdown import render_trace_md

        text = render_trace_md(trace, verdict)
    else:
        from replicheck.report.text import render_trace

        text = render_trace(trace, verdict, color=_color() and not args.output)
    if args.output:
        _write(args.output, text)
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return EXIT_OK


def _lasso_check(program: Any, states: Sequence[Any], actions: Sequence[int | None], loop: int, prop: Any) -> str | None:
    """`report`'s liveness check (`replicheck.report.replay.LassoCheck`): `verify_lasso`."""
    from replicheck.explore.liveness import STUTTER, verify_lasso

    return verify_lasso(program, states, [STUTTER if a is None else a for a in actions], loop, prop)


def _model_error_check(program: Any, state: Any) -> str | None:
    """`report`'s model-error check (`replicheck.report.replay.ErrorCheck`): `reference_error`."""
    from replicheck.explore.traces import reference_error

    found = reference_error(program, state, program.invariants(), program.reachables(), program.action_properties())
    return None if found is None else f"model error in {found[1]}: {found[0]}"


def cmd_sweep(args: argparse.Namespace) -> int:
    from replicheck.grid import Grid, parse_grid
    from replicheck.report.matrix import render_matrix
    from replicheck.sweep import GridRun, SweepOptions, SweepRow, run_grid, run_sweep

    one_model = bool(args.grid or args.set or args.variant or args.boundary or args.assume_monotone)
    if one_model and len(args.models) != 1:
        raise UsageError("--grid, --set, --variant and --boundary sweep one model: name exactly one")
    if args.boundary and not args.grid:
        raise UsageError(f"--boundary {args.boundary} reports where it flips over a grid of settings: give --grid too "
                         "(without one, `check` gives the verdict)")
    options = SweepOptions(max_states=args.max_states, max_seconds=args.max_seconds,
                           max_memory=args.max_memory, engine=args.engine,
                           store=args.store, symmetry=args.symmetry,
                           liveness=args.liveness)

    def on_row(row: SweepRow) -> None:
        if not args.quiet and row.result is not None:
            where = f" {', '.join(f'{k}={_show(v)}' for k, v in row.point.items())}" if row.point else ""
            print(
                f"[replicheck] {row.model} {row.variant or ''}{where}: {row.result.status}, "
                f"{row.result.stats.distinct_states:,} states, {row.result.stats.seconds:.1f}s",
                file=sys.stderr,
                flush=True,
            )

    runs: list[GridRun]
    if one_model:
        info = load(args.models[0])
        settings = parse_settings(info.cls, args.set)
        grid = parse_grid(info.cls, args.grid, fixed=settings) if args.grid else Grid()
        models = [info]
        runs = [run_grid(info, grid, options, args.variant or None, settings, args.boundary, args.assume_monotone,
                         on_row)]
    else:
        if args.models:
            models = [load(m) for m in args.models]
        else:
            every = discover()
            incident = [i for n, i in every.items() if not n.startswith("classic.")]
            models = incident or list(every.values())
        runs = run_sweep(models, options, on_row)
    rows = [r for run in runs for r in run.checked]
    written = _write_sweep_traces(runs, args.out, models) if args.out else None
    interrupted = any(run.interrupted for run in runs) or interrupts.received()
    if any(r.mismatches() for r in rows):
        code, status = EXIT_VIOLATED, "unexpected"
    elif any(r.result is not None and not r.result.stats.complete for r in rows) or interrupted:
        code, status = EXIT_INCOMPLETE, "incomplete"
    else:
        code, status = EXIT_OK, "as expected"
    if args.json or args.format == "json":
        from replicheck.report.json_result import sweep_grid_to_dict, sweep_row_to_dict

        grid_doc = sweep_grid_to_dict(runs[0]) if one_model else None
        _print_json(envelope("sweep", status, code, rows=[sweep_row_to_dict(r) for r in rows],
                             traces_written=written, out=args.out, grid=grid_doc))
        return code
    print(render_matrix(runs, args.format, timings=args.timings))
    if interrupted:
        done = sum(len(run.checked) for run in runs)
        print(f"\ninterrupted ({interrupts.received()}): {done} point(s) and variant(s) checked", file=sys.stderr)
    if written is not None:
        print(f"\n{written} counterexample(s) written to {args.out}")
    return code


def safe_file_name(text: str) -> str:
    """A file name made from names a model chose (model, variant, property): letters, digits,
    `.`, `-` and `_` kept, anything else (a `/`, `..` at the start, a control character) made
    `_`, at most 200 characters, so it always names a file inside the folder it is joined to."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", text)[:200].lstrip(".")
    return name or "_"


def _write_sweep_traces(runs: Sequence[Any], out: str, models: Sequence[ModelInfo]) -> int:
    """Every counterexample of every checked row into `out`, named by model, variant, the
    grid point (if any) and property."""
    from replicheck.report.itf import itf_to_json, source_of, trace_to_itf
    from replicheck.report.text import render_trace

    count = 0
    for run, info in zip(runs, models):  # one run per model, in order (an interrupted sweep has fewer)
        file = info.file.as_json() if info.file is not None else None
        for row in run.checked:
            point = "".join(f".{k}={_show(v)}" for k, v in row.point.items())
            for v in row.result.verdicts:
                if v.trace is None or v.status != "violated":
                    continue
                stem = safe_file_name(f"{row.model}.{row.variant or 'default'}{point}.{v.property}")
                source = source_of(row.result, file)
                _write(os.path.join(out, stem + ".itf.json"), itf_to_json(trace_to_itf(v.trace, v, source)))
                _write(os.path.join(out, stem + ".txt"), render_trace(v.trace, v))
                count += 1
    return count


def cmd_export(args: argparse.Namespace) -> int:
    from replicheck.export import ExportError
    from replicheck.export.promela import export_promela
    from replicheck.export.tla import export_tla

    info, model = _instantiate(args)
    program = model.compile()
    deadlock = info.cls.check_deadlock if args.deadlock is None else args.deadlock
    out = args.output
    as_dir = out is not None and (os.path.isdir(out) or out.endswith(os.sep) or not os.path.splitext(out)[1])
    module = None
    if out is not None and not as_dir:
        stem, ext = os.path.splitext(os.path.basename(out))
        wanted = ".tla" if args.export_format == "tla" else ".pml"
        if ext != wanted:
            raise UsageError(f"--format {args.export_format} writes a {wanted} file, not {os.path.basename(out)}")
        if args.export_format == "tla" and not (stem.isidentifier() and any(c.isalpha() for c in stem)):
            raise UsageError(f"TLC needs the file name to be the module name; {stem!r} is not a TLA+ identifier")
        module = stem if args.export_format == "tla" else None
    try:
        files: dict[str, str]
        if args.export_format == "tla":
            files = export_tla(program, deadlock=deadlock, skip=args.skip, module=module).files()
        else:
            files = export_promela(program, deadlock=deadlock, skip=args.skip).files()
    except ExportError as err:
        raise UsageError(f"cannot export {info.name}: {err}") from None
    if out is None:
        if args.json:
            _print_json(envelope("export", "ok", EXIT_OK, model=info.name, variant=program.variant,
                                 format=args.export_format,
                                 files=[{"name": name, "path": None, "text": text} for name, text in files.items()]))
            return EXIT_OK
        for name, text in files.items():
            if len(files) > 1:
                print(f"==> {name} <==")
            _print(text)
        return EXIT_OK
    if not as_dir and args.export_format == "promela":  # a .pml file name of the user's choosing
        files = {os.path.basename(out): next(iter(files.values()))}
    directory = out if as_dir else (os.path.dirname(out) or ".")
    written = []
    for name, text in files.items():
        _write(os.path.join(directory, name), text)
        written.append({"name": name, "path": os.path.join(directory, name)})
        if not args.json:
            print(f"wrote {os.path.join(directory, name)}")
    if args.json:
        _print_json(envelope("export", "ok", EXIT_OK, model=info.name, variant=program.variant,
                             format=args.export_format, files=written))
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    from replicheck.api import simulate

    info, model = _instantiate(args)
    run = simulate(
        model,
        runs=args.runs,
        depth=args.depth,
        seed=args.seed,
        swarm=args.swarm,
        schedule="uniform" if args.uniform else "reactive",
        only=args.only,
        skip=args.skip,
        helpers=args.helpers,
        deadlock=args.deadlock,
        shrink=args.shrink,
        max_seconds=args.max_seconds,
        progress=None if (args.quiet or args.json) else _simulate_progress,
    )
    sim = run.simulation
    assert sim is not None
    if args.json:
        from replicheck.report.json_result import run_document

        data = run_document("simulate", sim.result, run.exit_code, _source(sim.result, args), simulation=sim.as_dict())
        violation = sim.result.first_violation()
        if args.trace_out and violation is not None and violation.trace is not None:
            from replicheck.report.itf import itf_to_json, trace_to_itf

            _write(args.trace_out, itf_to_json(trace_to_itf(violation.trace, violation, _source(sim.result, args))))
        _print_json(data)
    else:
        _emit_result(sim.result, args)
        _print(("\n**" + sim.summary() + "**") if args.format == "md" else ("\n" + sim.summary()))
    return run.exit_code


def _simulate_progress(stats: RunStats) -> None:
    print(
        f"[replicheck] {stats.transitions:,} steps, {stats.distinct_states:,} distinct states, {stats.seconds:.0f}s",
        file=sys.stderr,
        flush=True,
    )


COMMANDS = {"list": cmd_list, "check": cmd_check, "prove": cmd_prove, "report": cmd_report, "sweep": cmd_sweep,
            "export": cmd_export, "simulate": cmd_simulate}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not _stdout_open():
        return _fail(argv, "usage", "error: standard output is closed; redirect it to a file or /dev/null")
    interrupts.reset()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    interrupts.install()
    try:
        code = _run(argv)
        sys.stdout.flush()
        return code
    except OSError as err:  # standard output on a full disk, or a file system that fails under us
        return _output_failed(argv, err)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _run(argv: list[str]) -> int:
    # with --debug, every error propagates, so that Python prints its traceback
    debug: tuple[type[Exception], ...] = (Exception,) if "--debug" in argv else ()
    try:
        args = _parser().parse_args(argv)
        _check_outputs(args)
        with interrupts.through_native_calls():  # a signal inside a Z3 call is still the interrupt
            return COMMANDS[args.command](args)
    except BrokenPipeError:
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        return EXIT_OK
    except debug:
        raise
    except ModelError as err:  # a model mistake that is really a usage one (a bad setting) reads as one line
        if err.is_usage_error():
            return _fail(argv, "usage", f"error: {err.one_line()}")
        return _fail(argv, err.kind, f"model error: {err}")
    except ReplicheckError as err:  # the kind and the exit code come from the error (replicheck.errors)
        return _fail(argv, err.kind, _error_text(err), err.exit_code)
    except KeyboardInterrupt as err:  # a phase with nothing to summarise yet (the others report and exit 3)
        name = interrupts.note(err)
        return _fail(argv, "interrupted", f"interrupted ({name}) before any verdict was known", EXIT_INCOMPLETE)
    except OSError:
        raise  # main() reports an output that fails
    except Exception as err:  # raised in the user's own files (e.g. a model's __init__), else replicheck's bug
        if traceback_location(err.__traceback__).line:
            return _fail(argv, "model", "model error: " + str(from_exception(err, "the model's code")))
        return _fail(argv, "internal", f"internal error: {type(err).__name__}: {err} (run again with --debug "
                     f"for the traceback)\n({REPORT_BUGS})", EXIT_INTERNAL)


def _stdout_open() -> bool:
    if sys.stdout is None:
        return False
    try:
        os.fstat(sys.stdout.fileno())
    except io.UnsupportedOperation:  # a stream without a descriptor (tests capture output so)
        return True
    except (OSError, ValueError):
        return False
    return True


def _output_failed(argv: Sequence[str], err: OSError) -> int:
    """Standard output (or another file) failed while writing: one line on stderr, exit 2, and
    standard output pointed at /dev/null so that Python's own flush at exit stays quiet."""
    if isinstance(err, BrokenPipeError):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        return EXIT_OK
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
    what = err.strerror or str(err)
    where = f" {err.filename}" if err.filename else " standard output"
    try:
        print(f"replicheck: error: cannot write to{where}: {what}", file=sys.stderr)
    except OSError:
        pass
    return EXIT_USAGE


def _check_outputs(args: argparse.Namespace) -> None:
    """Every path the run will write, checked before it starts: not empty, not a directory
    where a file is written (nor a file where a folder is), in a folder that exists or can be
    made, and writable."""
    files = [(flag, getattr(args, attr, None)) for flag, attr in
             (("--trace-out", "trace_out"), ("--graph-out", "graph_out"))]
    if args.command == "report":
        files.append(("--output", getattr(args, "output", None)))
    for flag, path in files:
        if path is not None:
            _writable(flag, path, folder=False)
    if args.command == "sweep" and getattr(args, "out", None) is not None:
        _writable("--out", args.out, folder=True)
    if args.command == "export" and getattr(args, "output", None) is not None:
        _writable("--output", args.output, folder=os.path.isdir(args.output))


def _writable(flag: str, path: str, folder: bool) -> None:
    if not path.strip():
        raise UsageError(f"{flag}: the path is empty")
    if "\0" in path:
        raise UsageError(f"{flag}: the path contains a NUL character")
    if os.path.isdir(path) and not folder:
        raise UsageError(f"{flag} {path}: is a directory; give a file name")
    if os.path.exists(path) and folder and not os.path.isdir(path):
        raise UsageError(f"{flag} {path}: is a file; give a folder")
    try:  # a real probe: permission bits say little to root, or on /proc
        if folder:
            os.makedirs(path, exist_ok=True)
            with tempfile.TemporaryFile(dir=path):
                pass
        elif os.path.exists(path):
            with open(path, "a", encoding="utf-8"):
                pass
        else:
            parent = os.path.dirname(path)
            if parent:
                os.makedirs(parent, exist_ok=True)
            with open(path, "x", encoding="utf-8"):
                pass
            os.unlink(path)
    except OSError as err:
        raise UsageError(f"{flag} {path}: cannot write there: {err.strerror or err}") from None


def _error_text(err: ReplicheckError) -> str:
    if isinstance(err, InternalError):
        return f"internal error: {err}\n({REPORT_BUGS})"
    if err.kind == "trace file":
        return f"error: bad trace file: {err}"
    return f"error: {err}"


def _fail(argv: Sequence[str], kind: str, text: str, exit_code: int = EXIT_USAGE) -> int:
    """Report an error: on stderr, and with --json the error document on stdout too."""
    print(f"replicheck: {text}", file=sys.stderr)
    if "--json" in argv:
        command = next((a for a in argv if a in COMMANDS), None)
        message = text.split(": ", 1)[1] if text.startswith(("error: ", "model error: ", "internal error: ")) else text
        _print_json(error_document(command, kind, message, exit_code))
    return exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
