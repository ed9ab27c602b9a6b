"""Replaying a trace file: every way a file can be wrong is rejected with a specific reason."""

from __future__ import annotations

import copy
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from replicheck.report.itf import trace_to_itf, write_itf
from replicheck.report.replay import TraceFileError, load_trace_file, replay, trace_source
from replicheck.report.results import Verdict

from .helpers import die_hard, die_hard_solution, path_trace, tiny


def _die_hard_data() -> dict[str, Any]:
    trace, verdict = die_hard_solution()
    return trace_to_itf(trace, verdict)


def _rejects(data: dict[str, Any], program: Any = None) -> str:
    with pytest.raises(TraceFileError) as info:
        replay(program or die_hard(), data)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_value_outside_its_domain_is_rejected() -> None:
    data = _die_hard_data()
    data["states"][3]["big"] = {"#bigint": "9"}
    assert _rejects(data) == "state 3: big = 9 is outside its domain 0..5"


def test_a_skipped_step_is_rejected_naming_the_claimed_action() -> None:
    data = _die_hard_data()
    del data["states"][3]  # empty_small: state 2 (3, 2) is followed by state 4 (2, 0)
    for i, state in enumerate(data["states"]):
        state["#meta"]["index"] = i
    assert _rejects(data) == (
        "step 3 claims big_to_small, but from state 2 it leads to small = 3 where the file has small = 2, "
        "big = 2 where the file has big = 0; no other action leads from state 2 to state 3 "
        "(small: 3 -> 2, big: 2 -> 0) either"
    )


def test_a_skipped_step_without_claimed_actions_is_rejected() -> None:
    data = _die_hard_data()
    del data["states"][3]
    for state in data["states"]:
        del state["#meta"]
    assert _rejects(data) == (
        "step 3 is not a step of classic.die_hard: no action leads from state 2 to state 3 "
        "(small: 3 -> 2, big: 2 -> 0)"
    )


def test_a_mislabelled_step_is_rejected_naming_the_action_that_fits() -> None:
    data = _die_hard_data()
    data["states"][1]["#meta"]["action"] = "fill_small"
    assert _rejects(data) == (
        "step 1 claims fill_small, but from state 0 it leads to small = 3 where the file has small = 0, "
        "big = 0 where the file has big = 5; the step is fill_big, not fill_small"
    )


def test_a_claimed_action_that_is_disabled_is_rejected() -> None:
    data = trace_to_itf(path_trace(tiny(), ["elect(n=n2)", "resign(n=n2)"]))
    data["states"][2]["#meta"]["params"] = {"n": "n1"}
    assert _rejects(data, tiny()).startswith("step 2 claims resign(n=n1), but it is not enabled in state 1;")


def test_an_action_the_model_does_not_have_is_rejected() -> None:
    data = _die_hard_data()
    data["states"][2]["#meta"]["action"] = "drink"
    assert _rejects(data) == "step 2 claims the action drink, which classic.die_hard does not have"


def test_parameters_the_action_does_not_take_are_rejected() -> None:
    data = trace_to_itf(path_trace(tiny(), ["elect(n=n2)"]))
    data["states"][1]["#meta"]["params"] = {"n": "n7"}
    assert _rejects(data, tiny()) == (
        'step 1 claims elect(n="n7"), which is not an instance of elect in test.tiny (it takes n)'
    )


def test_a_wrong_initial_state_is_rejected() -> None:
    data = _die_hard_data()
    data["states"][0]["big"] = {"#bigint": "3"}
    assert _rejects(data) == (
        "state 0 is not an initial state of classic.die_hard: it has big = 3 where the initial state has big = 0"
    )


def test_an_unknown_variable_is_rejected() -> None:
    data = _die_hard_data()
    data["states"][2]["medium"] = {"#bigint": "1"}
    assert _rejects(data) == (
        "state 2 has the variable medium, which classic.die_hard does not declare (its variables are small, big)"
    )
    data = _die_hard_data()
    data["vars"].append("medium")
    assert _rejects(data).startswith("the trace has the variable medium, which classic.die_hard does not declare")


def test_a_missing_variable_is_rejected() -> None:
    data = _die_hard_data()
    del data["states"][4]["small"]
    assert _rejects(data) == "state 4 has no value for the variable small"


def test_values_of_the_wrong_kind_are_rejected() -> None:
    program = tiny()
    good = trace_to_itf(path_trace(program, ["elect(n=n2)"]))
    cases = [
        ("role", {"#map": [["n1", "secondary"], ["n2", "boss"], ["n3", "secondary"]]},
         "state 1: the value of role is wrong: at key n2: \"boss\" is not a value of Role (one of secondary, primary)"),
        ("role", {"#map": [["n1", "secondary"], ["n2", "primary"]]},
         "state 1: the value of role is wrong: it has no entry for the key n3"),
        ("role", {"#map": [["n1", "secondary"], ["n1", "primary"], ["n3", "secondary"]]},
         "state 1: the value of role is wrong: the key n1 appears twice"),
        ("leader", "n2",
         'state 1: the value of leader is wrong: "n2" is not a Node or none (expected {"tag": "Some", '
         '"value": "<name>"} or {"tag": "None", "value": {"#tup": []}})'),
        ("voters", {"#set": ["n9"]},
         "state 1: the value of voters is wrong: \"n9\" is not an element of Node (one of n1, n2, n3)"),
        ("voters", ["n2"], 'state 1: the value of voters is wrong: ["n2"] is not a set (expected {"#set": [...]})'),
        ("epoch", "zero",
         'state 1: the value of epoch is wrong: "zero" is not an integer (expected {"#bigint": "<digits>"})'),
    ]
    for var, value, message in cases:
        data = copy.deepcopy(good)
        data["states"][1][var] = value
        assert _rejects(data, program) == message


def test_an_out_of_range_value_ends_a_domain_violation_trace_but_nowhere_else() -> None:
    program = tiny()
    trace = path_trace(program, ["bump", "bump", "bump"])
    assert trace.decoded(3)["epoch"] == 3
    domain = Verdict("epoch", "domain", "violated", "epoch = 3 is outside 0..2", trace)
    assert replay(program, trace_to_itf(trace, domain)) == trace
    assert _rejects(trace_to_itf(trace), program) == "state 3: epoch = 3 is outside its domain 0..2"


def test_a_loop_index_must_name_a_state_the_trace_can_return_to() -> None:
    data = _die_hard_data()
    data["loop"] = 2
    assert _rejects(data) == (
        "the trace says it loops back to state 2, but no action leads from its last state (state 6) to state 2"
    )
    data["loop"] = 7
    assert _rejects(data) == 'the trace\'s "loop" is 7, not a state index 0..6'


def test_a_trace_of_another_model_is_rejected() -> None:
    assert _rejects(_die_hard_data(), tiny()) == "the trace is of the model classic.die_hard, not test.tiny"


def test_a_state_out_of_order_is_rejected() -> None:
    data = _die_hard_data()
    data["states"][2]["#meta"]["index"] = 5
    assert _rejects(data) == "state 2 says it is state 5 (its #meta index)"


# --- loading the file -----------------------------------------------------------------------


def _load_rejects(path: Path) -> str:
    with pytest.raises(TraceFileError) as info:
        load_trace_file(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_file_that_does_not_exist_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "nope.itf.json"
    assert _load_rejects(path) == f"cannot read the trace file {path}: it does not exist"


def test_a_file_that_is_not_json_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "bad.itf.json"
    path.write_text('{"#meta": {}, "states": [\n  {"big": 1},\n  oops\n]}\n')
    assert _load_rejects(path) == f"{path} is not JSON: Expecting value at line 3, column 3"
    path.write_text('{"x": NaN}')
    assert _load_rejects(path) == f"{path} is not JSON: NaN is not a JSON number"


def test_a_pickle_is_never_unpickled(tmp_path: Path) -> None:
    path = tmp_path / "trace.pickle"
    path.write_bytes(pickle.dumps({"#meta": {}, "states": []}))
    assert _load_rejects(path) == f"{path} is not a JSON trace file: it is not UTF-8 text"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ([1, 2], "is not an ITF trace: its top level is a list, not an object"),
        ({"states": [{}]}, 'is not an ITF trace: it has no "#meta" object'),
        ({"#meta": {"replicheck": {"version": 1}}}, 'is not an ITF trace: it has no "states" list'),
        ({"#meta": {"replicheck": {"version": 1}}, "states": []}, 'has no states: its "states" list is empty'),
        ({"#meta": {"format": "ITF"}, "states": [{}]},
         'was not written by replicheck (no "#meta"."replicheck"."version"), so it cannot be replayed'),
        ({"#meta": {"replicheck": {"version": 2}}, "states": [{}]},
         "is a replicheck trace of version 2; this replicheck reads version 1"),
    ],
)
def test_a_file_of_the_wrong_shape_is_rejected(tmp_path: Path, content: Any, reason: str) -> None:
    path = tmp_path / "t.itf.json"
    path.write_text(json.dumps(content))
    assert _load_rejects(path) == f"{path} {reason}"


def test_the_source_must_name_a_model_with_plain_settings(tmp_path: Path) -> None:
    data = _die_hard_data()
    assert trace_source(data) == ("classic.die_hard", {}, None)
    data["#meta"]["replicheck"]["settings"] = {"Node": [1, 2]}
    with pytest.raises(TraceFileError, match="setting Node is a list"):
        trace_source(data)
    del data["#meta"]["replicheck"]["model"]
    with pytest.raises(TraceFileError, match="does not name its model"):
        trace_source(data)


def test_a_good_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "t.itf.json"
    write_itf(path, _die_hard_data())
    assert load_trace_file(path) == _die_hard_data()
    assert [p.name for p in tmp_path.iterdir()] == ["t.itf.json"]
