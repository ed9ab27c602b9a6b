"""`replicheck export`: files written where asked, one clear line and exit 2 for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from replicheck.cli import main


def test_tla_into_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "classic.two_phase", "--set", "RM=4", "--format", "tla", "-o", str(tmp_path)]) == 0
    tla = (tmp_path / "classic_two_phase.tla").read_text()
    cfg = (tmp_path / "classic_two_phase.cfg").read_text()
    assert "MODULE classic_two_phase" in tla and "CONSTANTS r1, r2, r3, r4" in tla
    assert "ASSUME RM = {r1, r2, r3, r4}" in tla and "RM = {r1, r2, r3, r4}" in cfg
    assert "\\E rm \\in RM : tm_rcv_prepared(rm)" in tla  # one operator per action family
    assert "INVARIANT" in cfg and "tc_consistent" in cfg
    assert "CHECK_DEADLOCK" not in cfg and "UNCHANGED vars\n" not in tla  # two_phase checks deadlocks
    assert "wrote" in capsys.readouterr().out


def test_tla_file_names_the_module(tmp_path: Path) -> None:
    out = tmp_path / "Election.tla"
    assert main(["export", "ebs.election", "--set", "Node=3", "--format", "tla", "-o", str(out)]) == 0
    assert "MODULE Election " in out.read_text()
    cfg = (tmp_path / "Election.cfg").read_text()
    assert "single_primary" in cfg and "fault_budget = 2" in cfg
    # no deadlock check, without CHECK_DEADLOCK (TLC 2.15 rejects it): Next may stutter
    assert "CHECK_DEADLOCK" not in cfg and "    \\/ UNCHANGED vars\n" in out.read_text()


def test_promela_to_a_file_and_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "dh.pml"
    assert main(["export", "classic.die_hard", "--format", "promela", "-o", str(out), "--skip", "big_is_not_4"]) == 0
    text = out.read_text()
    assert text.count("d_step") == 6 + 1  # six actions and the invariant type_ok
    assert "big_is_not_4" not in text
    capsys.readouterr()
    assert main(["export", "classic.tcommit", "--format", "promela"]) == 0
    assert "active proctype main()" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv,message",
    [
        (["export", "classic.die_hard", "--format", "tla", "--skip", "nope"], "no property 'nope'"),
        (["export", "classic.die_hard", "--format", "tla", "-o", "x.pml"], "writes a .tla file"),
        (["export", "classic.die_hard", "--format", "tla", "-o", "1bad-name.tla"], "not a TLA+ identifier"),
        (["export", "classic.die_hard", "--format", "c"], "invalid choice"),
        (["export", "no.such_model", "--format", "tla"], "no.such_model"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
