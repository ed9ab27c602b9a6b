"""One exception hierarchy, and the exit code chosen once: every error a user can meet is a
ReplicheckError whose class says its exit code; an engine that disagrees with the reference
evaluator is an internal error (exit 4, asking for a report), never a usage error."""

from __future__ import annotations

import json

import pytest

from replicheck import errors as E
from replicheck.api import OptionError
from replicheck.explore.symmetry import SymmetryRefused
from replicheck.explore.traces import InternalCheckerError
from replicheck.export import ExportError
from replicheck.lang import ModelError
from replicheck.registry import RegistryError
from replicheck.report.graph_export import GraphTooLarge
from replicheck.report.replay import TraceFileError
from replicheck.symbolic import SolverDisagreement
from tests.cli.helpers import run


@pytest.mark.parametrize(
    ("cls", "family", "code"),
    [
        (OptionError, E.UsageProblem, 2),
        (RegistryError, E.UsageProblem, 2),
        (SymmetryRefused, E.UsageProblem, 2),
        (ExportError, E.UsageProblem, 2),
        (GraphTooLarge, E.UsageProblem, 2),
        (TraceFileError, E.TraceFileProblem, 2),
        (ModelError, E.ModelProblem, 2),
        (InternalCheckerError, E.InternalError, 4),
        (SolverDisagreement, E.InternalError, 4),
    ],
)
def test_every_error_belongs_to_one_family_with_its_exit_code(cls: type, family: type, code: int) -> None:
    assert issubclass(cls, family) and issubclass(cls, E.ReplicheckError)
    assert cls.exit_code == code


def test_an_engine_disagreeing_with_the_reference_is_an_internal_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import replicheck.explore.full as full

    def disagree(*args: object, **kwargs: object) -> None:
        raise InternalCheckerError("step 3 of the engine's trace is not a transition under the reference evaluator")

    monkeypatch.setattr(full, "check_model", disagree)
    code, out, err = run(capsys, "check", "classic.die_hard")
    assert code == E.EXIT_INTERNAL == 4
    assert "internal error: step 3" in err and "please report it" in err and "Traceback" not in err
    code, out, err = run(capsys, "check", "classic.die_hard", "--json")
    data = json.loads(out)
    assert code == data["exit_code"] == 4 and data["error"]["kind"] == "internal"
