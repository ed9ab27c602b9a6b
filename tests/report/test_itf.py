"""ITF trace files: the encoding of every kind of value, and the round trip through replay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replicheck.ir.types import INT, NONE_INDEX, ElemType, EnumType
from replicheck.report.itf import (
    FORMAT_DESCRIPTION,
    itf_to_json,
    trace_to_itf,
    value_from_itf,
    value_to_itf,
    write_itf,
)
from replicheck.report.replay import load_trace_file, replay, trace_source, trace_verdict
from replicheck.report.results import Trace

from .helpers import DIE_HARD_SOLUTION, die_hard, die_hard_solution, path_trace, shortest_path, tiny


def test_the_die_hard_solution_ends_with_four_gallons_in_the_big_jug() -> None:
    trace, _ = die_hard_solution()
    # By hand: (0,0) fill_big (0,5) pour (3,2) empty_small (0,2) pour (2,0) fill_big (2,5) pour (3,4).
    assert [(s["small"], s["big"]) for s in (trace.decoded(i) for i in range(7))] == [
        (0, 0), (0, 5), (3, 2), (0, 2), (2, 0), (2, 5), (3, 4),
    ]
    assert len(trace) == 6
    assert shortest_path(die_hard(), lambda s: s["big"] == 4) == DIE_HARD_SOLUTION


def test_the_top_level_meta_says_what_the_trace_is_and_where_it_came_from() -> None:
    trace, verdict = die_hard_solution()
    data = trace_to_itf(trace, verdict, {"model": "classic.die_hard", "settings": {"x": 1}, "variant": "v"})
    meta = data["#meta"]
    assert meta["format"] == "ITF"
    assert meta["format-description"] == FORMAT_DESCRIPTION
    assert meta["source"] == "classic.die_hard"
    assert "big_is_not_4" in meta["description"]
    assert meta["replicheck"] == {
        "version": 1, "model": "classic.die_hard", "settings": {"x": 1}, "variant": "v",
        "property": "big_is_not_4", "kind": "invariant", "status": "violated",
        "message": "the big jug holds 4 gallons",
    }
    assert data["vars"] == ["small", "big"]
    assert "loop" not in data


def test_each_state_has_its_index_action_and_values_with_integers_as_bigints() -> None:
    trace, _ = die_hard_solution()
    states = trace_to_itf(trace)["states"]
    assert states[0] == {"#meta": {"index": 0, "action": "init", "params": {}},
                         "small": {"#bigint": "0"}, "big": {"#bigint": "0"}}
    assert states[6] == {"#meta": {"index": 6, "action": "big_to_small", "params": {}},
                         "small": {"#bigint": "3"}, "big": {"#bigint": "4"}}


def test_the_source_defaults_to_the_programs_name_settings_and_variant() -> None:
    data = trace_to_itf(path_trace(tiny(), []))
    pc = data["#meta"]["replicheck"]
    assert (pc["model"], pc["settings"], pc["variant"]) == ("test.tiny", {"Node": 3}, None)
    assert "property" not in pc


def test_maps_sets_none_and_two_key_maps_have_their_itf_encodings() -> None:
    trace = path_trace(tiny(), ["elect(n=n2)", "connect(a=n1, b=n3)"])
    states = trace_to_itf(trace)["states"]
    assert states[0]["leader"] == {"tag": "None", "value": {"#tup": []}}
    assert states[0]["voters"] == {"#set": []}
    assert states[1]["leader"] == {"tag": "Some", "value": "n2"}
    assert states[1]["voters"] == {"#set": ["n2"]}
    assert states[1]["role"] == {"#map": [["n1", "secondary"], ["n2", "primary"], ["n3", "secondary"]]}
    assert states[1]["#meta"]["params"] == {"n": "n2"}
    link = states[2]["link"]["#map"]
    assert len(link) == 9
    assert [{"#tup": ["n1", "n3"]}, True] in link
    assert [{"#tup": ["n3", "n1"]}, False] in link
    assert states[2]["#meta"]["params"] == {"a": "n1", "b": "n3"}


@pytest.mark.parametrize(
    ("t", "value", "itf"),
    [
        (INT, -7, {"#bigint": "-7"}),
        (EnumType("Role", ("secondary", "primary")), 1, "primary"),
        (ElemType("Node", ("n1", "n2")), 1, "n2"),
        (ElemType("Node", ("n1", "n2"), True), NONE_INDEX, {"tag": "None", "value": {"#tup": []}}),
        (ElemType("Node", ("n1", "n2"), True), 0, {"tag": "Some", "value": "n1"}),
    ],
)
def test_each_value_round_trips_through_its_itf_encoding(t: object, value: int, itf: object) -> None:
    assert value_to_itf(t, value) == itf  # type: ignore[arg-type]
    assert value_from_itf(t, itf) == value  # type: ignore[arg-type]


def test_a_plain_json_integer_is_accepted_on_input_but_a_boolean_is_not() -> None:
    assert value_from_itf(INT, 3) == 3
    with pytest.raises(ValueError, match="not an integer"):
        value_from_itf(INT, True)


def _round_trip(trace: Trace, tmp_path: Path, verdict: object = None) -> Trace:
    path = tmp_path / "trace.itf.json"
    write_itf(path, trace_to_itf(trace, verdict))  # type: ignore[arg-type]
    data = load_trace_file(path)
    return replay(trace.program, data)


def test_the_die_hard_solution_survives_itf_json_file_and_replay(tmp_path: Path) -> None:
    trace, verdict = die_hard_solution()
    back = _round_trip(trace, tmp_path, verdict)
    assert [s.state for s in back.steps] == [s.state for s in trace.steps]
    assert [(s.action, s.params) for s in back.steps] == [(s.action, s.params) for s in trace.steps]
    assert back == trace


def test_maps_sets_none_and_parameters_survive_the_round_trip(tmp_path: Path) -> None:
    trace = path_trace(tiny(), ["elect(n=n2)", "connect(a=n1, b=n3)", "bump", "resign(n=n2)", "elect(n=n3)"])
    assert _round_trip(trace, tmp_path) == trace


def test_a_lasso_keeps_its_loop_index(tmp_path: Path) -> None:
    closing = path_trace(die_hard(), ["fill_small", "fill_big", "empty_big"], loop_start=1)
    assert trace_to_itf(closing)["loop"] == 1
    assert _round_trip(closing, tmp_path) == closing
    back_edge = path_trace(die_hard(), ["fill_big"], loop_start=0)  # empty_big leads back to step 0
    assert _round_trip(back_edge, tmp_path).loop_start == 0


def test_the_source_and_verdict_can_be_read_back(tmp_path: Path) -> None:
    trace, verdict = die_hard_solution()
    data = json.loads(itf_to_json(trace_to_itf(trace, verdict, {"model": "classic.die_hard",
                                                                 "settings": {"Node": 2}, "variant": None})))
    assert trace_source(data) == ("classic.die_hard", {"Node": 2}, None)
    back = trace_verdict(data, trace)
    assert back is not None
    assert (back.property, back.kind, back.status, back.message) == (
        verdict.property, verdict.kind, verdict.status, verdict.message)
    assert trace_verdict(trace_to_itf(trace)) is None


def test_the_json_text_is_stable_sorted_and_indented() -> None:
    trace, verdict = die_hard_solution()
    text = itf_to_json(trace_to_itf(trace, verdict))
    assert text == itf_to_json(trace_to_itf(trace, verdict))
    assert text.endswith("}\n")
    assert text.startswith('{\n  "#meta": {\n    "description":')
    assert json.loads(text) == trace_to_itf(trace, verdict)
