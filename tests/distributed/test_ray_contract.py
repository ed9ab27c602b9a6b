"""What the ray engine refuses, through the engine contract (no Ray needed: refused before it
starts), and the message when Ray is not installed."""

from __future__ import annotations

import sys

import pytest

import replicheck as r
from replicheck.engines import ENGINES, refusals
from replicheck.errors import EngineUnavailable, OptionError
from replicheck.explore import CheckOptions
from replicheck.explore.ray_engine import NEEDS_RAY, connect
from tests.cli.helpers import assert_one_line_error, run


def test_the_ray_engine_is_declared_once() -> None:
    cap = ENGINES["ray"]
    assert cap.exhaustive and cap.shortest and cap.checkpoint and cap.partitioned
    assert cap.liveness_with is None and "liveness" not in cap.kinds


@pytest.mark.parametrize(("requested", "words"), [
    ({"liveness": True}, "does not check liveness properties yet"),
    ({"measures": True}, "does not compute measures yet"),
    ({"symmetry": True}, "does not reduce by symmetry"),
    ({"workers": 2}, "--workers is an option of the batch engine"),
])
def test_refusals(requested: dict[str, object], words: str) -> None:
    assert any(words in s for s in refusals("ray", requested))


def test_other_engines_refuse_the_ray_options() -> None:
    assert refusals("batch", {"partitions": 3}) == ["--partitions is an option of the ray engine; add --engine ray"]
    assert refusals("bfs", {"checkpoint": "d"})[0].startswith("--checkpoint is an option of the batch and ray engines")
    assert refusals("batch", {"checkpoint": "d", "resume": "d"}) == []


def test_liveness_is_refused_unless_skipped(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(OptionError, match="does not check liveness properties yet"):
        r.check("ebs.election", engine="ray")
    code, _, err = run(capsys, "check", "ebs.election", "--engine", "ray")
    assert code == 2
    assert_one_line_error(err)
    assert "--no-liveness" in err


def test_ray_missing_is_one_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    with pytest.raises(EngineUnavailable) as err:
        connect(CheckOptions(engine="ray"))
    assert str(err.value) == NEEDS_RAY == "the ray engine needs Ray: pip install 'replicheck[ray]'"
    assert err.value.exit_code == 2
