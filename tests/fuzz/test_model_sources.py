"""Fuzzed model files: a small, valid model with faults injected where a modeller makes them
(at import, in the class body, in an action, in an invariant, in a measure or constraint).
Whatever the file does, `replicheck check` and `prove` answer with a documented exit code, no
traceback, no hang; a model error (exit 2) names the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .harness import run_in_subprocess

pytestmark = pytest.mark.slow

FUZZ = settings(max_examples=25, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

TEMPLATE = '''
import sys
from replicheck.lang import Bool, Map, Model, Range, Sort, Var, action, invariant, measure, require
{at_import}

Node = Sort("Node", default={size})


class Fuzzed(Model):
    check_deadlock = False
    Node = Node
    x = Range(0, {top}, init=0)
    up_ = Map(Node, Bool, init=False)
{in_class}

    @action
    def step(self, s, n: Node):
        require(s.x < {top})
{in_action}
        s.x = s.x + 1
        s.up_[n] = True

    @invariant
    def small(self, s):
{in_invariant}
        return s.x <= {top}

    @measure
    def how_far(self, s):
{in_measure}
        return s.x
'''

AT_IMPORT = ["", "raise RuntimeError('boom at import')", "sys.exit(0)", "sys.exit(3)", "raise SystemExit('bye')",
             "raise BaseException('base')", "import no_such_module_xyz", "def f(): return f()\nf()",
             "x = (", "sys.setrecursionlimit(50)", "raise KeyboardInterrupt", "raise GeneratorExit"]
SIZES = ["2", "0", "-1", "'three'", "2.5", "None", "10**9", "True"]
TOPS = ["3", "0", "-1", "10**30", "'x'"]
IN_CLASS = ["", "    y = Range(5, 1, init=5)", "    z = Var(Bool, init=7)", "    name = 42", "    check_deadlock = 'yes'",
            "    q = Range(0, 10**9, init=0)", "    def __init__(self): raise ValueError('no init')"]
IN_ACTION = ["", "        raise ValueError('boom in action')", "        1 // 0", "        if s.x > 1: pass",
             "        s.nope = 1", "        s.x = 'text'", "        return 5",
             "        def r(k): return r(k + 1)\n        r(0)",
             "        e = s.x\n        for _ in range(3000): e = e + 1\n        require(e > 0)",
             "        assert False, 'modeller assert'", "        s.x = s.x // 0", "        sys.exit(0)"]
IN_INVARIANT = ["", "        raise RuntimeError('boom in invariant')", "        return None", "        return 'yes'",
                "        return s.x / 2", "        return 1 // (s.x - s.x)", "        raise SystemExit(0)"]
IN_MEASURE = ["", "        return s.x > 1", "        raise ValueError('boom in measure')", "        return None"]


@st.composite
def model_sources(draw: st.DrawFn) -> str:
    return TEMPLATE.format(
        at_import=draw(st.sampled_from(AT_IMPORT)), size=draw(st.sampled_from(SIZES)),
        top=draw(st.sampled_from(TOPS)), in_class=draw(st.sampled_from(IN_CLASS)),
        in_action=draw(st.sampled_from(IN_ACTION)), in_invariant=draw(st.sampled_from(IN_INVARIANT)),
        in_measure=draw(st.sampled_from(IN_MEASURE)),
    )


def judge_model_run(source: str, command: list[str], tmp_path: Path) -> None:
    (tmp_path / "fuzzed_model.py").write_text(source)
    outcome = run_in_subprocess(command, tmp_path)
    outcome.judge()
    if outcome.err.startswith("replicheck: model error"):
        assert "fuzzed_model.py" in outcome.err, outcome.err


@FUZZ
@given(model_sources())
def test_fuzzed_model_files_are_checked_or_refused_in_the_models_terms(tmp_path: Path, source: str) -> None:
    judge_model_run(source, ["check", "fuzzed_model.py", "--max-seconds", "30", "--max-states", "20000"], tmp_path)


@FUZZ
@given(model_sources())
def test_fuzzed_model_files_are_proved_or_refused_in_the_models_terms(tmp_path: Path, source: str) -> None:
    judge_model_run(source, ["prove", "fuzzed_model.py", "--bmc", "3", "--timeout", "30"], tmp_path)


@pytest.mark.parametrize(("name", "line"), [(f"import-{k}", v) for k, v in enumerate(AT_IMPORT) if v])
def test_each_import_time_fault_is_refused_in_one_message(name: str, line: str, tmp_path: Path) -> None:
    source = TEMPLATE.format(at_import=line, size="2", top="3", in_class="", in_action="", in_invariant="",
                             in_measure="")
    judge_model_run(source, ["check", "fuzzed_model.py"], tmp_path)


@pytest.mark.parametrize("line", [v for v in IN_ACTION if v])
def test_each_action_fault_is_refused_in_one_message(line: str, tmp_path: Path) -> None:
    source = TEMPLATE.format(at_import="", size="2", top="3", in_class="", in_action=line, in_invariant="",
                             in_measure="")
    judge_model_run(source, ["check", "fuzzed_model.py", "--max-seconds", "30"], tmp_path)
