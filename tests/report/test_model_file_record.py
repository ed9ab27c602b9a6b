"""The model file a trace records ("#meta"."replicheck"."model_file"): written by `source_of`
and `trace_to_itf`, read back (shape-checked only) by `trace_model_file`."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from replicheck.report.itf import source_of, trace_to_itf
from replicheck.report.replay import TraceFileError, replay, trace_model_file, trace_source
from replicheck.report.results import CheckResult

from .helpers import die_hard, die_hard_solution

RECORD = {"path": "/home/me/proj/my_model.py", "given": "proj/my_model.py", "sha256": "ab" * 32, "class": "DieHard"}


def _data(model_file: dict[str, str] | None) -> dict[str, Any]:
    trace, verdict = die_hard_solution()
    return trace_to_itf(trace, verdict, source_of(CheckResult("classic.die_hard", {}, None), model_file))


def test_source_of_takes_model_settings_and_variant_from_the_result() -> None:
    result = CheckResult("my.kv", {"Node": 2, "fast": True}, "naive")
    assert source_of(result) == {"model": "my.kv", "settings": {"Node": 2, "fast": True}, "variant": "naive"}
    assert source_of(result, RECORD)["model_file"] == RECORD


def test_the_record_is_written_only_for_a_model_file() -> None:
    assert "model_file" not in _data(None)["#meta"]["replicheck"]
    assert _data(RECORD)["#meta"]["replicheck"]["model_file"] == RECORD


def test_the_record_reads_back_and_the_trace_still_replays() -> None:
    data = _data(RECORD)
    assert trace_model_file(data) == RECORD
    assert trace_source(data) == ("classic.die_hard", {}, None)
    assert replay(die_hard(), data).steps == die_hard_solution()[0].steps


def test_a_trace_without_the_record_reads_as_none() -> None:
    assert trace_model_file(_data(None)) is None


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda r: "a string", '"model_file" is a string, not an object'),
        (lambda r: {**r, "sha256": "xyz"}, "not a sha256 digest"),
        (lambda r: {**r, "sha256": "AB" * 32}, "not a sha256 digest"),  # hashlib's hexdigest is lower case
        (lambda r: {k: v for k, v in r.items() if k != "class"}, '"class" is missing'),
        (lambda r: {**r, "path": 3}, '"path" is a number, not a non-empty string'),
        (lambda r: {**r, "given": ""}, '"given" is a string, not a non-empty string'),
        (lambda r: {**r, "path": "relative/model.py"}, '"path" is not an absolute path'),
    ],
)
def test_a_malformed_record_is_refused_with_the_reason(change: Any, reason: str) -> None:
    data = _data(RECORD)
    data["#meta"]["replicheck"]["model_file"] = change(copy.deepcopy(RECORD))
    with pytest.raises(TraceFileError, match="model_file") as err:
        trace_model_file(data)
    assert reason in str(err.value)
