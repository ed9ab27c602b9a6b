"""An operator an exporter marks `Unsupported` in its RULES table is refused, through the
CLI, with one line and exit 2 that name the operator, the exporter, where the model uses it
and the reason; no file is written. Nothing is unsupported today, so each test marks one
operator unsupported (monkeypatch) and exports a fixture model written into tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from replicheck.cli import main
from replicheck.export import promela, tla
from replicheck.export.rules import Unsupported

RING = '''
from replicheck.lang import Bool, Map, Min, Model, Range, Sort, action, eventually, forall, invariant, liveness, require


class Ring(Model):
    """A token passed around a ring while every node is up."""

    check_deadlock = False
    Node = Sort("Node", default=3, prefix="n")
    up = Map(Node, Bool, init=True)
    token = Range(0, 2, init=0)
    hops = Range(0, 3, init=0)

    @action
    def pass_token(self, s):
        require(forall(self.Node, lambda n: s.up[n]))
        s.token = (s.token + 1) % 3
        s.hops = Min(s.hops + 1, 3)

    @invariant
    def token_in_range(self, s):
        return s.token // 3 == 0

    @liveness
    def hops_grow(self, s):
        return eventually(s.hops * 2 >= 6)
'''

REASON = "the test says so"
MODULES = {"tla": tla, "promela": promela}
EXPORTER = {"tla": "TLA+", "promela": "Promela"}


@pytest.fixture
def ring(tmp_path: Path) -> str:
    path = tmp_path / "ring.py"
    path.write_text(RING, encoding="utf-8")
    return f"{path}:Ring"


def export(ref: str, fmt: str, *extra: str) -> list[str]:
    return ["export", ref, "--format", fmt, *extra]


def refusal(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


@pytest.mark.parametrize("fmt", ["tla", "promela"])
def test_an_unsupported_operator_in_an_action_is_refused(
    fmt: str, ring: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(MODULES[fmt].RULES, "mod", Unsupported(REASON))
    out = tmp_path / "out"
    assert main(export(ring, fmt, "-o", str(out))) == 2
    line = refusal(capsys)
    assert "cannot export" in line
    assert f"the {EXPORTER[fmt]} exporter cannot express the operator 'mod' (a % b)" in line
    assert "used in action pass_token (" in line and "ring.py:" in line  # the action and its source line
    assert f"not supported because {REASON}" in line
    assert not out.exists() or not any(out.iterdir())  # nothing written


@pytest.mark.parametrize("fmt", ["tla", "promela"])
def test_the_refusal_names_the_property_that_uses_it(
    fmt: str, ring: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(MODULES[fmt].RULES, "floordiv", Unsupported(REASON))
    assert main(export(ring, fmt)) == 2
    line = refusal(capsys)
    assert "operator 'floordiv' (a // b), used in invariant token_in_range (" in line


@pytest.mark.parametrize("fmt", ["tla", "promela"])
def test_a_skipped_property_is_not_refused(
    fmt: str, ring: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    division = {"tla": "FloorDiv(token, 3)", "promela": "(token / 3)"}[fmt]  # token_in_range's `//`
    assert main(export(ring, fmt)) == 0
    assert division in capsys.readouterr().out
    monkeypatch.setitem(MODULES[fmt].RULES, "floordiv", Unsupported(REASON))
    assert main(export(ring, fmt)) == 2
    refusal(capsys)
    assert main(export(ring, fmt, "--skip", "token_in_range")) == 0
    out = capsys.readouterr().out
    assert "token_in_range" not in out and division not in out


def test_tla_refuses_a_conjunction_it_would_write_as_a_quantifier(
    ring: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the guard's `and` of up[n1], up[n2], up[n3] is written `\A n \in Node : up[n]`, a path
    # that never renders the conjunction itself: it is refused all the same
    assert main(export(ring, "tla")) == 0
    assert "\\A n \\in Node : up[n]" in capsys.readouterr().out
    monkeypatch.setitem(tla.RULES, "and", Unsupported(REASON))
    assert main(export(ring, "tla")) == 2
    assert "operator 'and' (a & b), used in action pass_token (" in refusal(capsys)


def test_only_what_is_exported_is_refused(
    ring: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # `*` occurs only in the liveness property, which TLA+ exports and Promela does not
    monkeypatch.setitem(tla.RULES, "mul", Unsupported(REASON))
    monkeypatch.setitem(promela.RULES, "mul", Unsupported(REASON))
    assert main(export(ring, "tla")) == 2
    assert "operator 'mul' (a * b), used in liveness property hops_grow (" in refusal(capsys)
    assert main(export(ring, "promela")) == 0


@pytest.mark.parametrize("fmt", ["tla", "promela"])
def test_an_operator_missing_from_a_table_is_an_internal_error(
    fmt: str, ring: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delitem(MODULES[fmt].RULES, "mod")
    assert main(export(ring, fmt)) == 4  # a bug of replicheck, not of the model
    err = capsys.readouterr().err
    assert "no rule for the IR operator 'mod'" in err and "Traceback" not in err


@pytest.mark.parametrize("reason", ["", "  ", "because it cannot"])
def test_an_unsupported_entry_needs_a_reason(reason: str) -> None:
    with pytest.raises(ValueError):
        Unsupported(reason)
