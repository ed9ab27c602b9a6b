"""`@reachable(when="setting")`: a goal that is part of the model only while a boolean setting
is true. Checked on every engine that checks goals; the CLI shows a goal's witness when the run
checked only goals. The fixture (`goal_under_a_setting.py`) reaches its goal in 3 steps, counted
by hand (0 -> 1 -> 2 -> 3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from replicheck.errors import UnknownProperty
from replicheck.explore import CheckOptions
from replicheck.explore.full import check_model
from replicheck.ir.selection import check_names
from replicheck.lang import Model, ModelError, Range, action, reachable

from ..cli.helpers import assert_one_line_error, run
from .goal_under_a_setting import Counter

FIXTURE = str(Path(__file__).with_name("goal_under_a_setting.py"))


def test_a_goal_whose_setting_is_false_is_not_part_of_the_model() -> None:
    program = Counter().compile()
    assert [p.name for p in program.properties] == ["in_range"]
    assert program.omitted == (("reaches_three", "feature"),)


def test_naming_a_goal_whose_setting_is_false_says_which_setting_to_turn_on() -> None:
    with pytest.raises(UnknownProperty, match="only when its setting feature is true.*--set feature=true"):
        check_names(Counter().compile(), ["reaches_three"])


@pytest.mark.parametrize("engine", ["scalar", "batch"])
def test_a_goal_whose_setting_is_true_is_checked_with_its_shortest_witness(engine: str) -> None:
    result = check_model(Counter(feature=True).compile(), CheckOptions(engine=engine, deadlock=False))  # type: ignore[arg-type]
    goal = next(v for v in result.verdicts if v.property == "reaches_three")
    assert goal.status == "holds" and goal.trace is not None and len(goal.trace) == 3


def test_a_goal_that_cannot_be_reached_under_its_setting_is_vacuous() -> None:
    result = check_model(Counter(feature=True, limit=2).compile(), CheckOptions(deadlock=False))
    goal = next(v for v in result.verdicts if v.property == "reaches_three")
    assert goal.status == "vacuous" and result.status == "violated"


def test_when_must_name_a_boolean_setting() -> None:
    class Wrong(Model):
        name = "wrong_when"
        size: int = 2
        x = Range(0, 1, init=0)

        @action
        def step(self, s: Any) -> None:
            s.x = 1

        @reachable(when="size")
        def one(self, s: Any) -> Any:
            return s.x == 1

    with pytest.raises(ModelError, match="when='size', which names no boolean setting"):
        Wrong().compile()


def test_the_cli_shows_the_witness_when_only_goals_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", FIXTURE, "--set", "feature=true", "--only", "reaches_three", "--no-timings")
    assert code == 0
    assert "Witness for reaches_three (3 steps): a shortest way to reach it" in out
    assert out.count("inc\n") == 3  # the three steps of the witness, each labelled inc


def test_the_cli_shows_no_witness_beside_other_properties(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", FIXTURE, "--set", "feature=true", "--no-timings")
    assert code == 0 and "reaches_three" in out and "Witness" not in out


def test_the_cli_refuses_a_goal_whose_setting_is_off_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "check", FIXTURE, "--only", "reaches_three")
    assert code == 2
    assert_one_line_error(err)
    assert "--set feature=true" in err


def test_the_markdown_report_shows_the_witness_too(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", FIXTURE, "--set", "feature=true", "--only", "reaches_three", "--format", "md")
    assert code == 0
    assert "### Witness for `reaches_three`: a shortest way to reach it" in out
    assert out.count("`inc`") == 3
