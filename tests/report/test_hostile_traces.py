"""Trace files are untrusted input (issue 13, item 3): `report` on a hostile file.

Each test is a regression test for one finding of the audit or one limit of
`replicheck.report.replay`: files that are too large, not regular files, nested too deeply,
too long, or that would build a huge model are refused quickly with one line and exit 2;
a file claiming a verdict its trace does not show is refused saying what it does show; and
every string of a file or a model is escaped in HTML (checked in Chromium too: the payloads
execute nothing) and made visible, never interpreted, in text and Markdown.

The models are written into tmp_path by each test (the `KINDS` file: one model per kind of
verdict); expected messages follow from those models, not from the tool's output.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from html import escape
from pathlib import Path
from typing import Any

import pytest

from replicheck.report import replay as replay_module
from replicheck.report.html import content_security_policy, render_html
from replicheck.report.itf import trace_to_itf
from replicheck.report.markdown import render_trace_md
from replicheck.report.replay import (
    MAX_TRACE_FILE_BYTES,
    MAX_TRACE_NESTING,
    MAX_TRACE_SORT_SIZE,
    MAX_TRACE_STATES,
    TraceFileError,
    check_settings,
    load_trace_file,
    replay,
    verify_claim,
)
from replicheck.report.results import HOLDS, VIOLATED, Verdict
from replicheck.report.text import render_trace
from tests.browser.chromium import Browser, find_chromium
from tests.browser.dom import parse
from tests.cli.helpers import assert_one_line_error, run

from .helpers import path_trace, tiny

KINDS = '''\
"""Small models for the hostile-trace tests: one for each kind of verdict a trace can show."""

from replicheck.lang import (
    Bool, Enum, Map, Model, Range, Sort, Var, action, action_property, count, eventually, invariant,
    liveness, reachable, require,
)

Role = Enum("Role", "idle", "busy")


class KV(Model):
    """few_writes fails after `limit` writes (by write(n=n1) twice, so not_all_busy holds
    there); rollback breaks epoch_monotonic, never writes_monotonic."""

    name = "test.kv"
    Node = Sort("Node", default=2)
    limit: int = 2
    variants = {"strict": {"limit": 1}}

    role = Map(Node, Role, init=Role.idle)
    writes = Range(0, 3, init=0)
    epoch = Range(0, 2, init=0)

    @action
    def write(self, s, n: Node):
        require(s.writes < 3)
        s.role[n] = Role.busy
        s.writes += 1

    @action
    def bump(self, s):
        require(s.epoch < 2)
        s.epoch += 1

    @action
    def rollback(self, s):
        require(s.epoch > 0)
        s.epoch -= 1

    @invariant
    def few_writes(self, s):
        return s.writes < self.limit

    @invariant
    def not_all_busy(self, s):
        return count(self.Node, lambda n: s.role[n] == Role.busy) < 2

    @action_property
    def epoch_monotonic(self, s, t):
        return t.epoch >= s.epoch

    @action_property
    def writes_monotonic(self, s, t):
        return t.writes >= s.writes

    @reachable
    def one_write(self, s):
        return s.writes == 1


class Stops(Model):
    """inc stops at 2: a deadlock after two steps."""

    name = "test.stops"
    x = Range(0, 2, init=0)

    @action
    def inc(self, s):
        require(s.x < 2)
        s.x += 1


class Overflows(Model):
    """inc is unguarded: the third leaves 0..2."""

    name = "test.overflows"
    x = Range(0, 2, init=0)

    @action
    def inc(self, s):
        s.x += 1


class Divides(Model):
    """divide divides by zero once x is 2: a model error after two steps."""

    name = "test.divides"
    x = Range(0, 2, init=0)
    y = Range(0, 4, init=0)

    @action
    def inc(self, s):
        require(s.x < 2)
        s.x += 1

    @action
    def divide(self, s):
        s.y = 4 // (2 - s.x)


class Live(Model):
    """inc is weakly fair, toggle is not: every fair behaviour reaches x = 2 (reaches_two
    holds), but b need never be set (flag_set is violated by a lasso)."""

    name = "test.live"
    x = Range(0, 2, init=0)
    b = Var(Bool, init=False)

    @action(fair="weak")
    def inc(self, s):
        require(s.x < 2)
        s.x += 1

    @action
    def toggle(self, s):
        s.b = ~s.b

    @liveness
    def reaches_two(self, s):
        return eventually(s.x == 2)

    @liveness
    def flag_set(self, s):
        return eventually(s.b)


class StepDivides(Model):
    """ratio divides by zero on the step into x = 2: a model error on a step."""

    name = "test.step_divides"
    x = Range(0, 2, init=0)

    @action
    def inc(self, s):
        require(s.x < 2)
        s.x += 1

    @action_property
    def ratio(self, s, t):
        return t.x // (2 - t.x) >= 0
'''

# Payloads: each sets the page's title and marks the body if it runs.
MARK = "document.title='PWNED';document.body.setAttribute('data-pwned','1')"
IMG = f'<img src=x onerror="{MARK}">'
SCRIPT = f"<script>{MARK}</script>"
SVG = f"<svg onload=\"{MARK}\"></svg>"
TERM = "\x1b]0;PWNED\x07\x1b[2J\x9b31m\u202e"  # set the window title, clear the screen, C1 CSI, bidi override

HOSTILE = f'''\
"""A model whose every name is a payload: element names, an enum value, the model's name, a
string setting and a variant."""

from replicheck.lang import Enum, Map, Model, Range, Sort, action, invariant, require

Role = Enum("Role", "idle", {json.dumps(IMG + TERM)})


class Hostile(Model):
    name = {json.dumps("test.hostile" + SCRIPT)}
    Node = Sort("Node", default=2, prefix={json.dumps(SVG + TERM)})
    note: str = {json.dumps(SCRIPT + IMG + TERM)}
    variants = {{{json.dumps("v" + SCRIPT)}: {{}}}}

    role = Map(Node, Role, init=Role.idle)
    writes = Range(0, 2, init=0)

    @action
    def write(self, s, n: Node):
        require(s.writes < 2)
        s.role[n] = Role.members[1]
        s.writes += 1

    @invariant
    def few_writes(self, s):
        return s.writes < 1
'''

CHROMIUM = find_chromium()


# -- helpers --------------------------------------------------------------------------------


@pytest.fixture()
def kinds(tmp_path: Path) -> Path:
    path = tmp_path / "kinds.py"
    path.write_text(KINDS, encoding="utf-8")
    return path


def _trace(capsys: pytest.CaptureFixture[str], model: str, out: Path, *extra: str) -> dict[str, Any]:
    code, _, err = run(capsys, "check", model, "-q", "--trace-out", str(out), *extra)
    assert code == 1, err
    return json.loads(out.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _refused(capsys: pytest.CaptureFixture[str], path: Path, *extra: str) -> str:
    """The one-line error of `report path` (exit 2), without its `replicheck: error: ...` prefix."""
    code, out, err = run(capsys, "report", str(path), *extra)
    assert code == 2, (out, err)
    assert_one_line_error(err)
    return err.strip().removeprefix("replicheck: error: bad trace file: ")


def _shorten(data: dict[str, Any], n: int = 1) -> dict[str, Any]:
    data["states"] = data["states"][:-n]
    return data


def _claim(data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    data["#meta"]["replicheck"].update(fields)
    return data


def _cli(*argv: str, timeout: float = 60) -> tuple[subprocess.CompletedProcess[str], float]:
    """`replicheck ARGV` in a fresh process, with a time bound (a hang fails the test)."""
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "replicheck.cli", *argv], capture_output=True, text=True, timeout=timeout, check=False
    )
    return proc, time.monotonic() - start


# -- 1. bounded size and nesting ------------------------------------------------------------


def test_report_dev_zero_is_refused_quickly() -> None:
    proc, seconds = _cli("report", "/dev/zero", timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert_one_line_error(proc.stderr)
    assert "/dev/zero: it is a character device, not a regular file" in proc.stderr
    assert seconds < 30


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "trace.fifo"
    os.mkfifo(fifo)
    proc, _ = _cli("report", str(fifo), timeout=60)  # opening it for reading would block forever
    assert proc.returncode == 2, proc.stderr
    assert_one_line_error(proc.stderr)
    assert "it is a named pipe (FIFO), not a regular file" in proc.stderr


def test_a_directory_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert _refused(capsys, tmp_path) == f"cannot read the trace file {tmp_path}: it is a directory"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(MAX_TRACE_FILE_BYTES + 1)  # sparse: no 64 MiB written
    start = time.monotonic()
    message = _refused(capsys, big)
    assert time.monotonic() - start < 5
    assert message == (
        f"the trace file {big} is 67,108,865 bytes; trace files are limited to 67,108,864 bytes (MAX_TRACE_FILE_BYTES)"
    )
    assert MAX_TRACE_FILE_BYTES == 64 * 2**20


def test_the_size_limit_is_on_the_bytes_read_too(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kinds: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file at the limit is read; one byte more is refused, whatever stat said."""
    trace = tmp_path / "t.json"
    _trace(capsys, f"{kinds}:Stops", trace)
    size = trace.stat().st_size
    monkeypatch.setattr(replay_module, "MAX_TRACE_FILE_BYTES", size)
    assert load_trace_file(trace)["#meta"]["replicheck"]["model"] == "test.stops"
    monkeypatch.setattr(replay_module, "MAX_TRACE_FILE_BYTES", size - 1)
    with pytest.raises(TraceFileError, match=f"is {size:,} bytes; trace files are limited to {size - 1:,} bytes"):
        load_trace_file(trace)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux's /proc")
def test_a_regular_file_whose_size_lies_is_read_only_up_to_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc files are regular files of size 0 that yield bytes: the cap holds on the bytes read."""
    assert Path("/proc/self/status").stat().st_size == 0
    monkeypatch.setattr(replay_module, "MAX_TRACE_FILE_BYTES", 10)
    with pytest.raises(TraceFileError, match="^the trace file /proc/self/status is more than 10 bytes; trace files are limited to 10 bytes"):
        load_trace_file("/proc/self/status")


@pytest.mark.parametrize("depth", [MAX_TRACE_NESTING + 1, 100_000])
def test_json_nested_too_deep_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, depth: int) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"#meta": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
    assert _refused(capsys, path) == (
        f"{path} is nested too deeply: more than {MAX_TRACE_NESTING} levels of lists and objects (MAX_TRACE_NESTING)"
    )


def test_json_nested_to_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    inner = MAX_TRACE_NESTING - 1  # the top-level object is the first level
    path.write_text('{"#meta": ' + "[" * inner + "]" * inner + "}", encoding="utf-8")
    with pytest.raises(TraceFileError, match='has no "#meta" object'):  # past the nesting check
        load_trace_file(path)


def test_too_many_states_are_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    data = _trace(capsys, f"{kinds}:Stops", tmp_path / "t.json")
    data["states"] = data["states"][:1] * (MAX_TRACE_STATES + 1)
    path = _write(tmp_path / "long.json", data)
    assert _refused(capsys, path) == (
        f"{path} has 100,001 states; traces are limited to 100,000 states (MAX_TRACE_STATES)"
    )


def test_a_huge_sort_size_is_refused_before_the_model_is_built(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    data = _trace(capsys, f"{kinds}:KV", tmp_path / "t.json", "--only", "few_writes")
    data["#meta"]["replicheck"]["settings"]["Node"] = 10**9
    path = _write(tmp_path / "huge.json", data)
    proc, seconds = _cli("report", str(path), timeout=60)  # building Node=10**9 would never end
    assert proc.returncode == 2, proc.stderr
    assert_one_line_error(proc.stderr)
    assert (
        f"the trace's settings make the sort Node of size 1,000,000,000; a trace is replayed only for sorts of at "
        f"most {MAX_TRACE_SORT_SIZE} elements (MAX_TRACE_SORT_SIZE)"
    ) in proc.stderr
    assert seconds < 30


def test_a_huge_integer_setting_is_refused_before_the_model_is_built(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    data = _trace(capsys, f"{kinds}:KV", tmp_path / "t.json", "--only", "few_writes")
    data["#meta"]["replicheck"]["settings"]["limit"] = -(10**12)
    assert "the trace's setting limit is -1,000,000,000,000; a trace is replayed only for integer settings" in (
        _refused(capsys, _write(tmp_path / "huge.json", data))
    )


def test_a_model_that_runs_out_of_memory_while_building_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Below the limits, a model may still explode (ebs.remirror's init at Node=12 does):
    a MemoryError while building is a one-line refusal, not a traceback."""
    from replicheck.lang.model import Model

    trace = tmp_path / "t.json"
    _trace(capsys, f"{kinds}:Stops", trace)

    def explode(self: Model) -> None:
        raise MemoryError

    monkeypatch.setattr(Model, "compile", explode)
    assert _refused(capsys, trace) == "the model is too large to build with the trace's settings (none): out of memory"


def test_sizes_at_the_limits_are_not_refused_by_them() -> None:
    check_settings({"Node": MAX_TRACE_SORT_SIZE, "limit": replay_module.MAX_TRACE_INT_SETTING}, {"Node"})
    with pytest.raises(TraceFileError, match="sort Node of size 25"):
        check_settings({"Node": MAX_TRACE_SORT_SIZE + 1}, {"Node"})


# -- 3. the claimed verdict is re-evaluated ---------------------------------------------------


def test_a_genuine_trace_of_each_kind_is_accepted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    cases = [("KV", "few_writes", "invariant"), ("KV", "epoch_monotonic", "action"), ("Stops", "deadlock", "deadlock"),
             ("Overflows", "domain", "domain"), ("Divides", "model error", "error"), ("Live", "flag_set", "liveness")]
    for cls, prop, kind in cases:
        only = ["--only", prop] if cls == "KV" else []
        trace = tmp_path / f"{cls}-{prop}.json"
        _trace(capsys, f"{kinds}:{cls}", trace, *only)
        code, out, err = run(capsys, "report", str(trace), "--json")
        assert code == 0, err
        verdict = json.loads(out)["verdict"]
        assert (verdict["property"], verdict["kind"], verdict["status"]) == (prop, kind, "violated")


def test_a_shortened_trace_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path) -> None:
    data = _trace(capsys, f"{kinds}:KV", tmp_path / "t.json", "--only", "few_writes")
    assert _refused(capsys, _write(tmp_path / "short.json", _shorten(data))) == (
        "the trace's last state satisfies few_writes; the file claims it is violated"
    )


def test_a_trace_that_goes_on_past_the_violation_says_where_it_was() -> None:
    program = tiny()  # no_leader is false from elect until resign
    trace = replay(program, trace_to_itf(path_trace(program, ["elect(n=n1)", "resign(n=n1)"])))
    with pytest.raises(TraceFileError) as info:
        verify_claim(trace, Verdict("no_leader", "invariant", VIOLATED, "", trace))
    assert str(info.value) == (
        "the trace's last state satisfies no_leader (state 1 violates it, but the trace goes on); "
        "the file claims it is violated"
    )


def test_a_property_that_holds_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path) -> None:
    data = _claim(_trace(capsys, f"{kinds}:KV", tmp_path / "t.json", "--only", "few_writes"), status="holds")
    assert _refused(capsys, _write(tmp_path / "holds.json", data)) == (
        'the trace claims few_writes is "holds"; a trace of an invariant can only show a violation ("violated")'
    )


def test_a_property_that_does_not_exist_is_refused_naming_the_models_properties(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    data = _claim(_trace(capsys, f"{kinds}:KV", tmp_path / "t.json", "--only", "few_writes"), property="no_such")
    assert _refused(capsys, _write(tmp_path / "nope.json", data)) == (
        "the trace claims the property no_such, which test.kv does not have (its properties are: few_writes, "
        "not_all_busy, epoch_monotonic, writes_monotonic, one_write, deadlock, domain, model error)"
    )


def test_a_trace_of_one_invariant_relabelled_as_another_says_which_it_violates(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    data = _claim(_trace(capsys, f"{kinds}:KV", tmp_path / "t.json", "--only", "few_writes"), property="not_all_busy")
    assert _refused(capsys, _write(tmp_path / "other.json", data)) == (
        "the trace replays, but its last state violates few_writes, not not_all_busy"
    )


def test_a_kind_the_model_does_not_give_the_property_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    data = _claim(_trace(capsys, f"{kinds}:KV", tmp_path / "t.json", "--only", "few_writes"), kind="liveness")
    assert _refused(capsys, _write(tmp_path / "kind.json", data)) == (
        "the trace claims few_writes is a liveness property; in test.kv it is an invariant"
    )


def test_an_action_property_is_re_evaluated_on_the_last_step(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    data = _trace(capsys, f"{kinds}:KV", tmp_path / "t.json", "--only", "epoch_monotonic")  # bump, rollback
    other = _claim(json.loads(json.dumps(data)), property="writes_monotonic")
    assert _refused(capsys, _write(tmp_path / "other.json", other)) == (
        "the trace replays, but its last step violates epoch_monotonic, not writes_monotonic"
    )
    assert _refused(capsys, _write(tmp_path / "short.json", _shorten(data))) == (
        "the trace's last step satisfies epoch_monotonic; the file claims it violates it"
    )
    assert _refused(capsys, _write(tmp_path / "none.json", _shorten(data))) == (
        "the trace has no step, so it cannot violate the action property epoch_monotonic"
    )


def test_a_claimed_deadlock_with_a_successor_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    data = _trace(capsys, f"{kinds}:Stops", tmp_path / "t.json")
    assert _refused(capsys, _write(tmp_path / "short.json", _shorten(data))) == (
        "the trace's last state has a successor (by inc), so it is no deadlock; the file claims one"
    )


def test_a_claimed_domain_violation_inside_the_domain_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    data = _trace(capsys, f"{kinds}:Overflows", tmp_path / "t.json")
    assert _refused(capsys, _write(tmp_path / "short.json", _shorten(data))) == (
        "every value of the trace's last state is inside its domain; the file claims a domain violation"
    )


def test_a_claimed_model_error_where_there_is_none_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    data = _trace(capsys, f"{kinds}:Divides", tmp_path / "t.json")
    assert _refused(capsys, _write(tmp_path / "short.json", _shorten(data))) == (
        "the reference evaluator meets no model error in the trace's last state or step; the file claims one"
    )


def test_a_model_error_on_the_last_step_is_accepted_as_each_engine_ends_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    """The explorer's trace ends before the step whose action property raises; BMC's after it."""
    bfs = _trace(capsys, f"{kinds}:StepDivides", tmp_path / "bfs.json")
    code, out, err = run(capsys, "prove", f"{kinds}:StepDivides", "--bmc", "4", "--trace-out", str(tmp_path / "bmc.json"))
    assert code == 1, out + err
    bmc = json.loads((tmp_path / "bmc.json").read_text(encoding="utf-8"))
    assert (len(bfs["states"]), len(bmc["states"])) == (2, 3)
    for path in (tmp_path / "bfs.json", tmp_path / "bmc.json"):
        code, _, err = run(capsys, "report", str(path))
        assert code == 0, err
    assert _refused(capsys, _write(tmp_path / "short.json", _shorten(bfs))) == (
        "the reference evaluator meets no model error in the trace's last state or step; the file claims one"
    )


def test_a_liveness_claim_without_a_loop_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    data = _trace(capsys, f"{kinds}:Live", tmp_path / "t.json")
    del data["loop"]
    assert _refused(capsys, _write(tmp_path / "noloop.json", data)) == (
        'the trace has no "loop", so it is no lasso and cannot show a violation of the liveness property flag_set'
    )


def test_a_lasso_that_does_not_violate_the_claimed_property_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    data = _trace(capsys, f"{kinds}:Live", tmp_path / "t.json")  # x reaches 2, then stutters with b false
    other = _claim(json.loads(json.dumps(data)), property="reaches_two")
    assert _refused(capsys, _write(tmp_path / "other.json", other)).startswith(
        "the trace replays, but its lasso does not violate reaches_two: "
    )
    # an unfair lasso: toggle twice forever at x = 0, while the weakly fair inc stays enabled
    s0 = data["states"][0]
    flipped = {**s0, "b": True, "#meta": {"index": 1, "action": "toggle", "params": {}}}
    back = {**s0, "#meta": {"index": 2, "action": "toggle", "params": {}}}
    unfair = _claim({**data, "states": [s0, flipped, back], "loop": 0}, property="reaches_two")
    expected = (
        "the trace replays, but its lasso does not violate reaches_two: "
        "unfair: inc is enabled throughout the cycle but never taken"
    )
    assert _refused(capsys, _write(tmp_path / "unfair.json", unfair)) == expected
    # the same lasso without the closing step written out (the loop closes by toggle)
    unclosed = _claim({**data, "states": [s0, flipped], "loop": 0}, property="reaches_two")
    assert _refused(capsys, _write(tmp_path / "unclosed.json", unclosed)) == expected


def test_a_relabelled_variant_is_replayed_against_the_variant_it_claims(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    data = _trace(capsys, "rds.multi_az", tmp_path / "t.json", "--variant", "naive_failover")
    fixed = _claim(json.loads(json.dumps(data)), variant="fixed")
    message = _refused(capsys, _write(tmp_path / "fixed.json", fixed))
    # naive_failover's settings are the defaults; fixed sets failover_check and commit_needs_quorum
    # (models/rds/multi_az.py `variants`)
    assert message.startswith(
        "the trace claims the variant fixed, but its settings are not fixed's (failover_check = \"none\" where "
        'fixed has "witness", commit_needs_quorum = false where fixed has true); replayed against fixed, as it claims: step '
    )
    missing = _claim(json.loads(json.dumps(data)), variant="no_such")
    code, _, err = run(capsys, "report", str(_write(tmp_path / "missing.json", missing)))
    assert code == 2 and "rds.multi_az has no variant 'no_such'" in err
    assert_one_line_error(err)


def test_a_variant_whose_settings_the_file_changes_but_that_still_replays_is_shown_as_the_variant(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    data = _trace(capsys, f"{kinds}:KV", tmp_path / "t.json", "--only", "few_writes", "--variant", "strict")
    data["#meta"]["replicheck"]["settings"]["limit"] = 3  # strict sets limit 1, which the replay uses
    code, out, err = run(capsys, "report", str(_write(tmp_path / "t3.json", data)), "--json")
    assert code == 0
    assert "warning: the trace claims the variant strict, but its settings are not strict's (limit = 3 where " \
        "strict has 1); it replays against strict, as it claims" in err
    assert json.loads(out)["settings"]["limit"] == 1


def test_a_reachable_witness_is_checked_in_its_last_state(tmp_path: Path, kinds: Path) -> None:
    from replicheck.registry import load

    program = load(f"{kinds}:KV").cls().compile()
    trace = path_trace(program, ["write(n=n1)"])
    data = trace_to_itf(trace, Verdict("one_write", "reachable", HOLDS, "one_write is reachable", trace))
    replayed = replay(program, data)
    shown = verify_claim(replayed, Verdict("one_write", "reachable", HOLDS, "", replayed))
    assert shown is not None and shown.status == HOLDS and shown.kind == "reachable"
    two = replay(program, trace_to_itf(path_trace(program, ["write(n=n1)", "write(n=n2)"])))
    with pytest.raises(TraceFileError, match="^the trace's last state does not satisfy one_write; the file claims it reaches it$"):
        verify_claim(two, Verdict("one_write", "reachable", HOLDS, "", two))
    with pytest.raises(TraceFileError, match='can only show that it is reached'):
        verify_claim(replayed, Verdict("one_write", "reachable", VIOLATED, "", replayed))


# -- 2. escaping: HTML, terminal, Markdown --------------------------------------------------


@pytest.fixture()
def hostile_trace(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    """A trace of the Hostile model, whose message in the file is a payload too."""
    model = tmp_path / "hostile.py"
    model.write_text(HOSTILE, encoding="utf-8")
    trace = tmp_path / "hostile.itf.json"
    data = _trace(capsys, str(model), trace, "--variant", "v" + SCRIPT)
    data["#meta"]["replicheck"]["message"] = SCRIPT + IMG + SVG + TERM + "</script><!--<script>"
    return _write(trace, data)


def _render(capsys: pytest.CaptureFixture[str], trace: Path, *fmt: str) -> str:
    code, out, err = run(capsys, "report", str(trace), *fmt)
    assert code == 0, err
    return out


def test_every_string_in_the_html_is_escaped(capsys: pytest.CaptureFixture[str], hostile_trace: Path) -> None:
    page_path = hostile_trace.with_suffix(".html")
    _render(capsys, hostile_trace, "--format", "html", "-o", str(page_path))
    page = page_path.read_text(encoding="utf-8")
    doc = parse(page)
    # the payloads are all there, as text (escaped), and nowhere as markup
    assert doc.find_all("title")[0].text.startswith("test.hostile" + SCRIPT)
    for payload in (IMG, SCRIPT, SVG):
        assert payload not in page
        assert escape(payload) in page
    # and none is markup: no element but the renderer's own
    assert not doc.find_all("img") and not doc.find_all("svg")
    scripts = doc.find_all("script")
    assert [s.attrs.get("type") for s in scripts] == ["application/json", None]
    assert not any(k.startswith("on") for e in doc.iter() for k in e.attrs)
    assert page.count("<script") == 2 and page.count("</script>") == 2
    # the data block has no < > & at all (no </script>, no <!--), and parses back to the payloads
    data_block = scripts[0].text
    assert not set("<>&") & set(data_block)
    assert SVG in json.loads(data_block)["steps"][1]["label"]  # write(n=<svg ...>1)


def test_a_verdict_rendered_through_the_api_is_escaped_too(tmp_path: Path, kinds: Path) -> None:
    """render_html is public: a status, kind, property or message given to it directly (the
    audit's `status` finding) is escaped like everything else."""
    from replicheck.registry import load

    program = load(f"{kinds}:KV").cls().compile()
    trace = path_trace(program, ["write(n=n1)", "write(n=n1)"])
    page = render_html(trace, Verdict(SCRIPT, IMG, SVG, IMG + SCRIPT, trace), title=SCRIPT)
    doc = parse(page)
    assert not doc.find_all("img") and not doc.find_all("svg") and len(doc.find_all("script")) == 2
    assert not any(k.startswith("on") for e in doc.iter() for k in e.attrs)
    assert doc.by_id("verdict").text.startswith(SVG + ": " + SCRIPT + " (" + IMG + "): ")


def test_the_html_has_a_content_security_policy_allowing_only_its_own_script_and_style(
    capsys: pytest.CaptureFixture[str], hostile_trace: Path
) -> None:
    import base64
    import hashlib

    page_path = hostile_trace.with_suffix(".html")
    _render(capsys, hostile_trace, "--format", "html", "-o", str(page_path))
    page = page_path.read_text(encoding="utf-8")
    doc = parse(page)
    [meta] = [m for m in doc.find_all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    policy = meta.attrs["content"]
    assert policy == content_security_policy()
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"

    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    script = re.search(r"<script>(.*?)</script>", page, re.S)
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert script is not None and style is not None
    assert directives["script-src"] == sha(script.group(1))  # exactly the page's own script
    assert directives["style-src"] == sha(style.group(1))
    assert "unsafe" not in policy
    assert ' style="' not in page  # no style attributes, which the policy would block


def _ansi_codes(text: str) -> set[str]:
    return set(re.findall("\x1b\\[[0-9;]*m", text))


def test_text_and_markdown_show_control_characters_instead_of_sending_them(
    capsys: pytest.CaptureFixture[str], hostile_trace: Path
) -> None:
    text = _render(capsys, hostile_trace)
    md = _render(capsys, hostile_trace, "--format", "md")
    for out in (text, md):
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", out), repr(out)
        assert "\\x1b]0;PWNED\\x07\\x1b[2J\\x9b31m\\u202e" in out  # shown, escaped
    itf = _render(capsys, hostile_trace, "--format", "itf")
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", itf), repr(itf)
    assert json.loads(itf) == json.loads(hostile_trace.read_text(encoding="utf-8"))
    # Markdown: outside code spans, the payloads are text, not HTML a viewer would render
    verdict_line = next(line for line in md.splitlines() if line.startswith("**Violated:**"))
    assert "<script>" not in verdict_line and "&lt;script&gt;" in verdict_line


def test_colour_is_the_only_escape_sequence_in_coloured_text(tmp_path: Path, kinds: Path) -> None:
    from replicheck.registry import load

    program = load(f"{kinds}:KV").cls().compile()
    trace = path_trace(program, ["write(n=n1)", "write(n=n1)"])
    verdict = Verdict("few_writes", "invariant", VIOLATED, TERM + "message", trace)
    out = render_trace(trace, verdict, color=True)
    stripped = re.sub("\x1b\\[[0-9;]*m", "", out)
    assert "\x1b" not in stripped and "\x07" not in stripped and "\x9b" not in stripped
    assert _ansi_codes(out) <= {"\x1b[1m", "\x1b[2m", "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[36m", "\x1b[0m"}
    assert "\\x1b]0;PWNED" in out
    md = render_trace_md(trace, Verdict("few_writes", "invariant", VIOLATED, "a `` b ``` c", trace))
    assert "a `` b ``` c" in md


def test_markdown_code_spans_are_fenced_past_any_backticks() -> None:
    from replicheck.report.markdown import _code

    assert _code("x") == "`x`"
    assert _code("a ` b") == "`` a ` b ``"
    assert _code("a ``` b") == "```` a ``` b ````"


def test_an_error_message_quoting_the_file_is_one_visible_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    data = _trace(capsys, f"{kinds}:Stops", tmp_path / "t.json")
    data["states"][1]["x\x1b]0;PWNED\x07\n" + "y" * 5000] = 1
    message = _refused(capsys, _write(tmp_path / "bad.json", data))
    assert message.startswith("state 1 has the variable x\\x1b]0;PWNED\\x07\\x0ayyy")
    assert len(message) < 2100 and message.endswith("more characters)")


def test_a_model_name_with_control_characters_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kinds: Path
) -> None:
    data = _claim(_trace(capsys, f"{kinds}:Stops", tmp_path / "t.json"), model="test.stops\x1b[2J")
    del data["#meta"]["replicheck"]["model_file"]
    assert _refused(capsys, _write(tmp_path / "name.json", data)) == (
        'the trace\'s "#meta"."replicheck"."model" "test.stops\\u001b[2J" is not a name: it is longer than 200 '
        "characters or has control characters"
    )


# -- 2b. in a real browser --------------------------------------------------------------------


def _executed(page: Path, steps: int = 0) -> dict[str, Any]:
    """Open the page in Chromium, select its first steps (filling the details panel through
innerHTML with the step's names and values), and report what the payloads did."""
    assert CHROMIUM is not None
    with Browser(CHROMIUM, page.as_uri()) as browser:
        for i in range(steps):  # the page's own selection, as a click makes it (long names push columns around)
            browser.evaluate(f"window.replicheckSelect({i})")
            browser.wait_for(f"document.getElementById('details').getAttribute('data-selected') === '{i}'")
        time.sleep(0.5)  # an image's onerror fires after load
        return dict(browser.evaluate(
            "({title: document.title, pwned: document.body.getAttribute('data-pwned'),"
            " injected: document.querySelectorAll('img, svg').length,"
            " selected: document.getElementById('details') && document.getElementById('details').getAttribute('data-selected')})"
        ))


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)")
def test_in_chromium_the_payloads_execute_nothing(capsys: pytest.CaptureFixture[str], hostile_trace: Path) -> None:
    page = hostile_trace.with_suffix(".html")
    _render(capsys, hostile_trace, "--format", "html", "-o", str(page))
    seen = _executed(page, steps=2)
    assert seen["title"].startswith("test.hostile<script>") and seen["title"] != "PWNED"
    assert seen["pwned"] is None and seen["injected"] == 0
    assert seen["selected"] == "1"  # the page's own script ran, under its policy


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install -y chromium)")
def test_in_chromium_the_detection_works_and_the_policy_alone_blocks_a_payload(
    capsys: pytest.CaptureFixture[str], hostile_trace: Path
) -> None:
    """Controls: the same page with a raw payload injected runs it when the policy is removed
    (so the check above can fail), and does not while the policy is there (a second wall
    behind the escaping)."""
    page = hostile_trace.with_suffix(".html")
    _render(capsys, hostile_trace, "--format", "html", "-o", str(page))
    html = page.read_text(encoding="utf-8")
    raw = html.replace('<h1 id="title">', IMG + SCRIPT + '<h1 id="title">', 1)
    with_policy = page.with_name("with_policy.html")
    with_policy.write_text(raw, encoding="utf-8")
    without = page.with_name("without_policy.html")
    without.write_text(re.sub('<meta http-equiv="Content-Security-Policy"[^>]*>', "", raw), encoding="utf-8")
    assert _executed(without)["title"] == "PWNED"
    blocked = _executed(with_policy)
    assert blocked["title"] != "PWNED" and blocked["pwned"] is None
