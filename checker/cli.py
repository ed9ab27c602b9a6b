"""The `protocheck` command line: list, check, report, sweep.

Owns: argument parsing, turning every usage or model mistake into one clear message and exit
code 2 (never a traceback), progress on stderr, and the exit codes: 0 every property holds,
1 a property is violated, 2 usage or model error, 3 incomplete (a limit was hit).

Must not import: z3 or hypothesis directly (engines that need them are imported lazily).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from typing import Any, NoReturn, Sequence

from checker.lang.errors import ModelError
from checker.lang.model import Model, model_shape
from checker.registry import ModelInfo, RegistryError, discover, load, parse_settings
from checker.report.results import CheckResult, RunStats

EXIT_OK, EXIT_VIOLATED, EXIT_USAGE, EXIT_INCOMPLETE = 0, 1, 2, 3


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="protocheck", description="Model checking for replication protocols.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    ls = sub.add_parser("list", help="models, their sorts, settings and variants")
    ls.add_argument("--json", action="store_true", help="print JSON")

    ck = sub.add_parser("check", help="explicit-state check of a model")
    _model_args(ck)
    order = ck.add_mutually_exclusive_group()
    order.add_argument("--bfs", dest="strategy", action="store_const", const="bfs", help="breadth-first (default): shortest counterexamples")
    order.add_argument("--dfs", dest="strategy", action="store_const", const="dfs", help="depth-first, with --max-depth as the bound")
    ck.set_defaults(strategy="bfs")
    ck.add_argument("--max-states", type=_positive_int, metavar="N", help="stop after N distinct states (incomplete)")
    ck.add_argument("--max-depth", type=_positive_int, metavar="N", help="explore at most N steps from the initial states")
    ck.add_argument("--max-seconds", type=_positive_float, metavar="S", help="stop after S seconds (incomplete)")
    dl = ck.add_mutually_exclusive_group()
    dl.add_argument("--no-deadlock", dest="deadlock", action="store_false", default=None, help="do not report states with no enabled action")
    dl.add_argument("--deadlock", dest="deadlock", action="store_true", help="report deadlocks even if the model says it terminates")
    ck.add_argument("--only", action="append", default=[], metavar="PROP", help="check only this property (repeatable)")
    ck.add_argument("--skip", action="append", default=[], metavar="PROP", help="do not check this property (repeatable)")
    ck.add_argument("--continue", dest="keep_going", action="store_true", help="keep exploring after a violation; report the first violation of each property")
    ck.add_argument("--no-liveness", dest="liveness", action="store_false", help="skip the liveness properties")
    ck.add_argument("--trace-out", metavar="FILE", help="write the counterexample as ITF JSON to FILE")
    ck.add_argument("--format", choices=["text", "md"], default="text", help="output format (default text)")
    ck.add_argument("--json", action="store_true", help="print the result as JSON")
    ck.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")

    rp = sub.add_parser("report", help="render a saved trace, after replaying it against its model")
    rp.add_argument("trace", help="an ITF JSON trace file written by --trace-out or sweep --out")
    rp.add_argument("--format", choices=["text", "md", "json"], default="text")
    rp.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")

    sw = sub.add_parser("sweep", help="check every variant of models and print the verdict matrix")
    sw.add_argument("models", nargs="*", help="models to sweep (default: the incident models, or all)")
    sw.add_argument("--format", choices=["text", "md", "json"], default="text")
    sw.add_argument("--out", metavar="DIR", help="write each counterexample as ITF JSON and text into DIR")
    sw.add_argument("--max-states", type=_positive_int, metavar="N")
    sw.add_argument("--max-seconds", type=_positive_float, metavar="S", help="per variant")
    sw.add_argument("--quiet", "-q", action="store_true")
    return p


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="a model name (see `protocheck list`) or a file path.py[:Class]")
    p.add_argument("--set", action="append", default=[], metavar="K=V", help="a sort size or setting, e.g. Node=3")
    p.add_argument("--variant", metavar="NAME", help="a named variant of the model")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {text}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _instantiate(args: argparse.Namespace) -> tuple[ModelInfo, Model]:
    info = load(args.model)
    settings = parse_settings(info.cls, args.set)
    return info, info.cls(variant=args.variant, **settings)


def _progress(stats: RunStats) -> None:
    print(
        f"[protocheck] {stats.distinct_states:,} distinct states, {stats.transitions:,} transitions, "
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
        print(json.dumps(rows, indent=2))
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
    from checker.explore import CheckOptions
    from checker.explore.full import check_model

    info, model = _instantiate(args)
    program = model.compile()
    names = {p.name for p in program.properties}
    for prop in list(args.only) + list(args.skip):
        if prop not in names:
            raise UsageError(
                f"{info.name} has no property {prop!r}; its properties are: {', '.join(sorted(names)) or '(none)'}"
            )
    deadlock = info.cls.check_deadlock if args.deadlock is None else args.deadlock
    options = CheckOptions(
        strategy=args.strategy,
        max_states=args.max_states,
        max_depth=args.max_depth,
        max_seconds=args.max_seconds,
        deadlock=deadlock,
        only=frozenset(args.only) if args.only else None,
        skip=frozenset(args.skip),
        stop_at_first=not args.keep_going,
        progress=None if (args.quiet or args.json) else _progress,
    )
    result = check_model(program, options, liveness=args.liveness)
    _emit_result(result, args)
    return result.exit_code


def _emit_result(result: CheckResult, args: argparse.Namespace) -> None:
    from checker.report.itf import itf_to_json, trace_to_itf

    violation = result.first_violation()
    if args.trace_out and violation is not None and violation.trace is not None:
        data = trace_to_itf(
            violation.trace, violation, {"model": result.model, "settings": result.settings, "variant": result.variant}
        )
        _write(args.trace_out, itf_to_json(data))
    if args.json:
        from checker.report.json_result import result_to_dict

        print(json.dumps(result_to_dict(result), indent=2))
    elif args.format == "md":
        from checker.report.markdown import render_result_md

        _print(render_result_md(result))
    else:
        from checker.report.text import render_result

        _print(render_result(result))
    if args.trace_out and not args.json:
        if violation is not None and violation.trace is not None:
            print(f"trace written to {args.trace_out}")
        else:
            print(f"no counterexample, so nothing written to {args.trace_out}")


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


def cmd_report(args: argparse.Namespace) -> int:
    from checker.report.itf import itf_to_json
    from checker.report.replay import load_trace_file, replay, trace_source, trace_verdict

    data = load_trace_file(args.trace)
    name, settings, variant = trace_source(data)
    info = load(name)
    program = info.cls(variant=variant, **settings).compile()
    trace = replay(program, data)
    verdict = trace_verdict(data, trace)
    if args.format == "json":
        text = itf_to_json(data)
    elif args.format == "md":
        from checker.report.markdown import render_trace_md

        text = render_trace_md(trace, verdict)
    else:
        from checker.report.text import render_trace

        text = render_trace(trace, verdict)
    if args.output:
        _write(args.output, text)
    else:
        print(text, end="" if text.endswith("\n") else "\n")
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    from checker.report.matrix import render_matrix
    from checker.sweep import SweepRow, run_sweep

    if args.models:
        models = [load(m) for m in args.models]
    else:
        every = discover()
        incident = [i for n, i in every.items() if not n.startswith("classic.")]
        models = incident or list(every.values())

    def on_row(row: SweepRow) -> None:
        if not args.quiet:
            print(
                f"[protocheck] {row.model} {row.variant or ''}: {row.result.status}, "
                f"{row.result.stats.distinct_states:,} states, {row.result.stats.seconds:.1f}s",
                file=sys.stderr,
                flush=True,
            )

    rows = run_sweep(models, args.max_states, args.max_seconds, on_row)
    print(render_matrix(rows, args.format))
    if args.out:
        written = _write_sweep_traces(rows, args.out)
        if args.format != "json":
            print(f"\n{written} counterexample(s) written to {args.out}")
    if any(r.mismatches() for r in rows):
        return EXIT_VIOLATED
    if any(not r.result.stats.complete for r in rows):
        return EXIT_INCOMPLETE
    return EXIT_OK


def _write_sweep_traces(rows: Sequence[Any], out: str) -> int:
    from checker.report.itf import itf_to_json, trace_to_itf
    from checker.report.text import render_trace

    count = 0
    for row in rows:
        for v in row.result.verdicts:
            if v.trace is None or v.status != "violated":
                continue
            stem = f"{row.model}.{row.variant or 'default'}.{v.property}"
            source = {"model": row.model, "settings": row.result.settings, "variant": row.variant}
            _write(os.path.join(out, stem + ".itf.json"), itf_to_json(trace_to_itf(v.trace, v, source)))
            _write(os.path.join(out, stem + ".txt"), render_trace(v.trace, v))
            count += 1
    return count


COMMANDS = {"list": cmd_list, "check": cmd_check, "report": cmd_report, "sweep": cmd_sweep}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UsageError as err:
        print(f"protocheck: error: {err}", file=sys.stderr)
    except RegistryError as err:
        print(f"protocheck: error: {err}", file=sys.stderr)
    except ModelError as err:
        if err.is_usage_error():
            print(f"protocheck: error: {err.one_line()}", file=sys.stderr)
        else:
            print(f"protocheck: model error: {err}", file=sys.stderr)
    except _trace_file_error() as err:
        print(f"protocheck: error: bad trace file: {err}", file=sys.stderr)
    except KeyboardInterrupt:
        print("protocheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        return EXIT_OK
    return EXIT_USAGE


def _trace_file_error() -> type[Exception]:
    try:
        from checker.report.replay import TraceFileError
    except ImportError:  # pragma: no cover
        return UsageError
    return TraceFileError


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
