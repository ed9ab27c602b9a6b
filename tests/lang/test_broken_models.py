"""Bad model code is reported in the model's terms, never as a traceback (exit 2), and a
model instance too large to trace is refused before tracing.

Each file of tests/corpus/broken_models/ is one mistake; the line the message must point at
carries a `# BROKEN` comment, found here, so editing a file keeps the test honest. The CLI
runs in-process (`main()`, output captured), except where the process's own exit code is
the point (sys.exit at import).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from replicheck.lang import budget
from replicheck.lang.tracing import SUM_CHUNK, sum_of
from tests.cli.helpers import run

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
BROKEN = CORPUS / "broken_models"
MODELS = CORPUS / "models"
ROOT = CORPUS.parent.parent


def broken_line(path: Path) -> int:
    hits = [i + 1 for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()) if "# BROKEN" in line]
    assert len(hits) == 1, f"{path.name} must mark exactly one line with # BROKEN, found {hits}"
    return hits[0]


def assert_model_error(code: int, out: str, err: str, path: Path, *phrases: str) -> None:
    """Exit 2, no traceback, the file and the line marked # BROKEN, and every phrase."""
    assert code == 2, (code, err)
    assert "Traceback" not in out + err, err
    where = f"{path.name}:{broken_line(path)}"
    assert where in err, f"the message does not point at {where}:\n{err}"
    for phrase in phrases:
        assert phrase in err, f"the message does not say {phrase!r}:\n{err}"


# (file, what the message must name: the member, then the exception and its message)
TRACING_CASES = [
    ("raise_in_action.py", "in RaiseInAction, action step(n=n1)", "raised KeyError: 'n1'"),
    ("raise_in_init.py", "in RaiseInInit, init", "raised ZeroDivisionError"),
    ("raise_in_invariant.py", "in RaiseInInvariant, invariant small",
     "raised AttributeError: 'RaiseInInvariant' object has no attribute 'limit'", "annotated class attribute"),
    ("raise_in_measure.py", "in RaiseInMeasure, measure size", "raised ValueError: invalid literal for int()"),
    ("raise_in_constraint.py", "in RaiseInConstraint, constraint bounded", "raised IndexError: list index out of range"),
    ("raise_in_range_bound.py", "in RaiseInRangeBound, state variable x", "raised AttributeError"),
    ("recursion.py", "in Recursion, action step", "raised RecursionError", "base case"),
    ("deep_expression.py", "in DeepExpression, invariant deep", "5,002 operators deep",
     f"the limit is {budget.MAX_EXPR_DEPTH}", "sum_of"),
    ("huge_range.py", "action `set_to(v)` of HugeRange would be traced 1,000,000,001 times",
     f"the limit is {budget.MAX_INSTANCES:,}", "narrower Range than 0..1,000,000,000"),
]

IMPORT_CASES = [
    ("raise_at_import.py", "raised KeyError: 'b'"),
    ("base_exception_at_import.py", "raised Stop: the file stops here"),
    ("sys_exit_at_import.py", "called sys.exit(0)", "must not exit"),
    ("recursion_at_import.py", "raised RecursionError", "base case"),
]

SIZE_CASES = [
    ("size_zero.py", "not 0"),
    ("size_negative.py", "not -2"),
    ("size_not_int.py", "not '3'"),
]


@pytest.mark.parametrize("case", TRACING_CASES, ids=[c[0] for c in TRACING_CASES])
def test_an_error_in_the_models_code_names_the_file_line_and_member(
    capsys: pytest.CaptureFixture[str], case: tuple[str, ...]
) -> None:
    name, *phrases = case
    path = BROKEN / name
    code, out, err = run(capsys, "check", str(path))
    assert_model_error(code, out, err, path, *phrases)


@pytest.mark.parametrize("case", IMPORT_CASES, ids=[c[0] for c in IMPORT_CASES])
def test_an_error_at_import_names_the_file_and_line(capsys: pytest.CaptureFixture[str], case: tuple[str, ...]) -> None:
    name, *phrases = case
    path = BROKEN / name
    code, out, err = run(capsys, "check", str(path))
    assert_model_error(code, out, err, path, f"importing {path}", *phrases)


@pytest.mark.parametrize("case", SIZE_CASES, ids=[c[0] for c in SIZE_CASES])
def test_a_sort_of_size_zero_negative_or_not_an_int_is_refused(
    capsys: pytest.CaptureFixture[str], case: tuple[str, str]
) -> None:
    name, shown = case
    path = BROKEN / name
    code, out, err = run(capsys, "check", str(path))
    assert_model_error(code, out, err, path, "the default size of sort Node must be a whole number", shown)


def test_the_error_points_at_the_helper_modules_line(capsys: pytest.CaptureFixture[str]) -> None:
    path = BROKEN / "raise_in_helper_module.py"
    code, out, err = run(capsys, "check", str(path))
    assert_model_error(code, out, err, BROKEN / "broken_helper.py", "in RaiseInHelper, action step",
                       "raised KeyError: 'missing'")


def test_an_error_in_the_model_classs_own_init_names_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    path = BROKEN / "raise_in_init_method.py"
    code, out, err = run(capsys, "check", str(path))
    assert_model_error(code, out, err, path, "raised ValueError: not configured")


def test_sys_exit_at_import_is_exit_2_in_a_real_process() -> None:
    """The audit's case: the process exited 0, silently."""
    path = BROKEN / "sys_exit_at_import.py"
    proc = subprocess.run([sys.executable, "-m", "replicheck", "check", str(path)], capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 2, proc
    assert "called sys.exit(0)" in proc.stderr and "Traceback" not in proc.stderr + proc.stdout


def test_every_command_reports_the_error_the_same_way(capsys: pytest.CaptureFixture[str]) -> None:
    path = BROKEN / "raise_in_invariant.py"
    for argv in (["prove", str(path), "--bmc", "2"], ["simulate", str(path), "--runs", "1"],
                 ["export", str(path), "--format", "tla"]):
        code, out, err = run(capsys, *argv)
        assert_model_error(code, out, err, path, "invariant small", "raised AttributeError")


def test_json_reports_a_model_error(capsys: pytest.CaptureFixture[str]) -> None:
    path = BROKEN / "raise_in_action.py"
    code, out, err = run(capsys, "check", str(path), "--json")
    data = json.loads(out)
    assert code == data["exit_code"] == 2 and data["error"]["kind"] == "model"
    assert f"raise_in_action.py:{broken_line(path)}" in data["error"]["message"]


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    from replicheck.lang import ModelError

    with pytest.raises(ModelError) as info:
        run(capsys, "check", str(BROKEN / "raise_in_action.py"), "--debug")
    assert isinstance(info.value.__cause__, KeyError)  # the model's own exception, for its traceback


def test_a_bug_in_replicheck_is_one_line_exit_4_and_debug_reraises(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import replicheck.explore.full as full

    # a stand-in for a bug deep in replicheck: its frame must not be in a file of the test's
    # (a frame in the user's own files makes the error the model's, exit 2)
    namespace: dict[str, object] = {}
    exec(compile("def broken(*a, **k):\n    raise RuntimeError('an engine bug')\n", "<engine>", "exec"), namespace)
    monkeypatch.setattr(full, "check_model", namespace["broken"])
    code, out, err = run(capsys, "check", "classic.die_hard")
    assert code == 4 and "Traceback" not in err
    assert "internal error: RuntimeError: an engine bug" in err and "--debug" in err
    with pytest.raises(RuntimeError, match="an engine bug"):
        run(capsys, "check", "classic.die_hard", "--debug")


# -- sizes and estimates -----------------------------------------------------------------


def test_set_of_a_sort_size_zero_or_absurd_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for value in ("0", str(budget.MAX_SORT_SIZE + 1)):
        code, out, err = run(capsys, "check", "classic.two_phase", "--set", f"RM={value}")
        assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert "RM" in err


def test_an_action_traced_too_many_times_is_refused_with_the_sort_to_shrink(capsys: pytest.CaptureFixture[str]) -> None:
    path = BROKEN / "many_instances.py"
    code, out, err = run(capsys, "check", str(path), "--set", "RM=100000")
    assert_model_error(code, out, err, path, "action `commit(rm)` of corpus.many_instances would be traced 100,000 times",
                       "Use a smaller --set RM=")
    code, out, err = run(capsys, "check", str(path))
    assert code == 0, err  # at the default size the same model checks


def test_too_many_slots_is_refused_naming_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", "classic.two_phase", "--set", "RM=100000")
    assert code == 2 and "Traceback" not in err
    assert "300,003 state slots" in err and "`rm_state` alone has 100,000" in err and "--set RM=" in err


def test_instances_times_slots_over_the_limit_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """two_phase at RM=200: 5 actions (4 per RM) and 603 slots (3 per RM and 3), so
    1,002 instances x 603 slots = 604,206 > MAX_WORK; RM=100 (152,000) is accepted."""
    code, out, err = run(capsys, "check", "classic.two_phase", "--set", "RM=200")
    assert code == 2 and "Traceback" not in err
    assert "1,002 action instances over 603 state slots" in err and "--set RM=" in err
    from replicheck.models.classic.two_phase import TwoPhase

    assert len(TwoPhase(RM=100).compile().actions) == 502


def test_max_seconds_stops_tracing(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "check", str(MODELS / "slow_trace.py"), "--max-seconds", "0.2")
    assert code == 3 and "Traceback" not in err
    assert "(0.2 s: --max-seconds, or prove --timeout) ran out while tracing corpus.slow_trace" in err and "of 3,000 action instances" in err


def test_a_slow_trace_prints_progress(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "PROGRESS_WORK", 0)
    monkeypatch.setattr(budget, "PROGRESS_SECONDS", 0.05)
    code, out, err = run(capsys, "check", str(MODELS / "slow_trace.py"), "--max-seconds", "0.3")
    assert code == 3
    assert "[replicheck] tracing corpus.slow_trace: " in err and "of 3,000 action instances" in err


# -- deep expressions and long sums ---------------------------------------------------------


def test_sum_of_500_terms_is_shallow() -> None:
    from replicheck.ir import nodes as N
    from replicheck.ir.types import INT
    from replicheck.lang.terms import Term

    terms = [Term(N.Var(INT, i)) for i in range(500)]
    total = sum_of(range(500), lambda i: terms[i])
    # chains of SUM_CHUNK = 16 terms (15 additions over the leaves: depth 16), and the 32
    # chains' sums added pairwise (5 levels): 21, where a chain of 500 was 500 deep
    assert SUM_CHUNK == 16 and budget.expr_depth(total.expr, {}) == 21
    assert sorted(n.slot for n in N.walk([total.expr]) if isinstance(n, N.Var)) == list(range(500))
    # a short sum is the left-nested chain it always was
    short = sum_of(range(3), lambda i: terms[i]).expr
    assert short.args[1] is terms[2].expr and short.args[0].args == (terms[0].expr, terms[1].expr)


def _verdicts(out: str) -> dict[str, str]:
    return {v["property"]: v["status"] for v in json.loads(out)["verdicts"]}


@pytest.mark.parametrize("argv", [["check", "--engine", "scalar", "--continue"], ["check", "--engine", "batch", "--continue"],
                                  ["prove", "--bmc", "3"]], ids=["scalar", "batch", "bmc"])
def test_count_over_500_elements_works_in_every_engine(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    """Three reachable states: none up, n1 up, n1 and n500 up. So at most one is up fails in
    2 steps, at most two holds, and the weighted sum is at most 0 + 499."""
    code, out, err = run(capsys, argv[0], str(MODELS / "count_500.py"), *argv[1:], "--json")
    assert code == 1, err
    assert _verdicts(out) == {"at_most_two_up": "holds", "weighted_sum_small": "holds", "at_most_one_up": "violated"}
    data = json.loads(out)
    if argv[0] == "check":
        assert data["stats"]["distinct_states"] == 3


@pytest.mark.parametrize("engine", ["scalar", "batch"])
def test_an_expression_deeper_than_python_can_nest_compiles(capsys: pytest.CaptureFixture[str], engine: str) -> None:
    """100 nested map reads: the compiled backend splits the expression into helpers."""
    code, out, err = run(capsys, "check", str(MODELS / "deep_index.py"), "--engine", engine, "--json")
    assert code == 1, err
    violation = next(v for v in json.loads(out)["verdicts"] if v["property"] == "chain_not_three")
    assert violation["status"] == "violated" and len(violation["trace"]["states"]) == 3  # 2 steps


def test_the_compiled_backend_agrees_with_the_reference_on_a_deep_expression() -> None:
    import importlib.util

    from replicheck.backends import reference
    from replicheck.backends.compiled import compile_program

    spec = importlib.util.spec_from_file_location("deep_index", MODELS / "deep_index.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    program = module.DeepIndex().compile()
    compiled = compile_program(program)
    assert "def _d" in compiled.source
    (prop,) = program.properties
    for m in [(1, 1, 1, 1), (1, 3, 1, 1), (3, 1, 2, 0), (2, 1, 3, 3)]:
        state = (0, *m)
        want = reference.evaluate(prop.expr, state)
        assert (compiled.violated_invariant(state) == -1) == bool(want)
