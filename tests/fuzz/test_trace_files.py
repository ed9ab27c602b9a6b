"""Fuzzed trace files for `replicheck report`: a real counterexample's ITF file, mutated the
ways a hostile or broken file can be (bytes cut or flipped, values of the wrong type, script
and terminal escapes in every string, huge numbers and settings, deep nesting, states added,
removed or reordered). `report` answers with a documented exit code, no traceback, no hang,
and the HTML it writes never carries a payload's markup unescaped."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .harness import run_in_subprocess

pytestmark = pytest.mark.slow

FUZZ = settings(max_examples=30, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

PAYLOAD = "<script>document.title='PWNED'</script><img src=x onerror=alert(1)>\x1b]0;pwned\x07\x1b[2J"
HOSTILE_VALUES: list[Any] = [PAYLOAD, None, True, -1, 0, 10**30, 1.5, "", [], {}, [PAYLOAD], {"#bigint": "9" * 50},
                             {"#bigint": PAYLOAD}, {"#set": [PAYLOAD]}, {"#map": [[PAYLOAD, PAYLOAD]]}, "x" * 100_000]


def base_trace(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("base")
    out = run_in_subprocess(["check", "classic.die_hard", "--trace-out", "base.itf.json"], folder)
    assert out.code == 1, out.err
    data: dict[str, Any] = json.loads((folder / "base.itf.json").read_text())
    return data


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return base_trace(tmp_path_factory)


def paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in the document: dict keys and list indices."""
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += paths(v, prefix + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += paths(v, prefix + (i,))
    return out


def put(doc: Any, where: tuple[Any, ...], value: Any, delete: bool = False) -> Any:
    if not where:
        return value
    parent = doc
    for key in where[:-1]:
        parent = parent[key]
    if delete:
        del parent[where[-1]]
    else:
        parent[where[-1]] = value
    return doc


@st.composite
def mutated(draw: st.DrawFn, base: dict[str, Any]) -> bytes:
    doc = copy.deepcopy(base)
    how = draw(st.sampled_from(["value", "delete", "states", "settings", "nesting", "bytes", "rename"]))
    if how in ("value", "delete"):
        where = draw(st.sampled_from(paths(doc)[1:]))
        doc = put(doc, where, draw(st.sampled_from(HOSTILE_VALUES)), delete=how == "delete")
    elif how == "states":
        states = doc["states"]
        op = draw(st.sampled_from(["drop_last", "drop_first", "reverse", "double", "empty", "one"]))
        doc["states"] = {"drop_last": states[:-1], "drop_first": states[1:], "reverse": states[::-1],
                         "double": states * 2, "empty": [], "one": states[:1]}[op]
    elif how == "settings":
        meta = doc["#meta"]["replicheck"]
        meta["settings"] = draw(st.sampled_from([{"Node": 10**9}, {"Big": 10**12}, {"x": PAYLOAD}, [], PAYLOAD]))
    elif how == "rename":
        meta = doc["#meta"]["replicheck"]
        key = draw(st.sampled_from(["property", "model", "variant", "status", "kind"]))
        meta[key] = draw(st.sampled_from(["type_ok", "nope", PAYLOAD, "holds", "classic.two_phase", "deadlock", None]))
    elif how == "nesting":  # written as text: json.dumps itself recurses
        doc["states"][0]["big"] = "@DEEP@"
    text = json.dumps(doc).encode()
    if how == "nesting":
        depth = draw(st.sampled_from([100, 10_000, 200_000]))
        text = text.replace(b'"@DEEP@"', b"[" * depth + b"0" + b"]" * depth)
    if how == "bytes":
        cut = draw(st.integers(0, len(text)))
        noise = draw(st.binary(max_size=20))
        text = text[:cut] + noise + text[cut + len(noise):]
    return text


@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_fuzzed_trace_files_are_reported_or_refused(fmt: str, base: dict[str, Any],
                                                     tmp_path_factory: pytest.TempPathFactory) -> None:
    @FUZZ
    @given(mutated(base))
    def run(data: bytes) -> None:
        folder = tmp_path_factory.mktemp("fuzz")
        (folder / "t.itf.json").write_bytes(data)
        argv = ["report", "t.itf.json", "--format", fmt] + (["-o", "page.html"] if fmt == "html" else [])
        outcome = run_in_subprocess(argv, folder)
        outcome.judge()
        assert "\x1b" not in outcome.out, "a terminal escape from the file reached the terminal"
        page = folder / "page.html"
        if page.exists():
            html = page.read_text()
            assert "<script>document.title='PWNED'" not in html and "onerror=alert" not in html

    run()


@pytest.mark.parametrize("special", ["/dev/zero", "/dev/urandom", ".", "/proc/self/mem"])
def test_a_trace_path_that_is_not_a_regular_file_is_refused(special: str, tmp_path: Path) -> None:
    outcome = run_in_subprocess(["report", special], tmp_path)
    outcome.judge()
    assert outcome.code == 2
