"""The shape of the TLA+ export, without TLC: one operator per action family, quantified in
Next over the traced bindings; sorts and settings as CONSTANTS the .cfg gives values to; the
stuttering disjunct exactly when deadlocks are not checked; and the reading of TLC's `-tool`
output by message code (on output captured from TLC 2.15)."""

from __future__ import annotations

import re

import pytest

from replicheck.export import export_tla
from replicheck.export.peers import tlc_result
from replicheck.registry import load

from .helpers import checks_deadlock, load_program

MODELS = ("classic.die_hard", "classic.tcommit", "classic.two_phase", "classic.paxos_voting",
          "ebs.election", "ebs.remirror", "ebs.control_plane", "rds.multi_az")
VARIANTS = [(m, v) for m in MODELS for v in (list(load(m).cls.variants or {}) or [None])]


@pytest.mark.parametrize("model,variant", VARIANTS, ids=[f"{m}/{v}" if v else m for m, v in VARIANTS])
def test_one_operator_per_action_family(model: str, variant: str | None) -> None:
    program = load_program(model, variant=variant)
    tla = export_tla(program, deadlock=checks_deadlock(model)).tla
    families = dict.fromkeys(a.family for a in program.actions)
    for family in families:
        params = [p.name for p in next(a for a in program.actions if a.family == family).params]
        head = f"{family}({', '.join(params)}) ==" if params else f"{family} =="
        assert tla.count(f"\n{head}\n") == 1, head
        call = f"{family}({', '.join(params)})" if params else family
        next_block = tla[tla.index("\nNext ==\n"):tla.index("\nSpec ==\n")]
        assert next_block.count(call) == 1, call
    for never in set(program.families) - set(families):
        assert never in tla  # listed as never enabled
    assert ("\n    \\/ UNCHANGED vars\n" in tla) == (not checks_deadlock(model))


def test_the_election_operators_read_like_tla() -> None:
    tla = export_tla(load_program("ebs.election")).tla
    assert "CASE" not in tla  # every family generalises without a case split
    assert "\\E a \\in Node : \\E b \\in Node \\ {a} : partition(a, b)" in tla
    assert "link' = [link EXCEPT ![a, b] = FALSE, ![b, a] = FALSE]" in tla
    assert "\\A v \\in Volume, p \\in Node : \\A q \\in Node \\ {p} : WF_vars(create_volume(v, p, q))" in tla
    assert "no_replica_is_ahead_of_the_control_plane ==\n    \\A n \\in Node : epoch[v1, n] <= cp_epoch[v1]" in tla
    assert max(len(line) for line in tla.splitlines()) <= 130


def test_sorts_and_settings_are_constants_the_cfg_gives() -> None:
    export = export_tla(load_program("ebs.election", "Node=4", "max_epoch=3"))
    assert "CONSTANTS Node, Volume" in export.tla and "ASSUME Node = {n1, n2, n3, n4}" in export.tla
    assert "ASSUME max_epoch = 3" in export.tla and "ASSUME fencing = TRUE" in export.tla
    cfg = export.cfg.splitlines()
    assert "    Node = {n1, n2, n3, n4}" in cfg and "    max_epoch = 3" in cfg and "    n4 = n4" in cfg
    assert "    none_Node = none_Node" in cfg
    assert not any("CHECK_DEADLOCK" in line for line in cfg)


def test_a_family_that_differs_by_instance_gets_a_case() -> None:
    """remirror's init places the volumes by arithmetic on its parameter: no expression over
    the parameter covers it, so the operator splits on its value, and Init quantifies."""
    tla = export_tla(load_program("ebs.remirror", "Node=3", variant="all_protections")).tla
    assert "Init == \\E placement \\in 0..215 : InitWith(placement)" in tla
    assert re.search(r"prim = \[v \\in Volume \|->\s+CASE <<placement, v>> \\in", tla)


# TLC 2.15's -tool output for classic.die_hard (abridged: progress, trace and final messages)
TOOL_OUTPUT = """@!@!@STARTMSG 2262:0 @!@!@
TLC2 Version 2.15 of Day Month 20?? (rev: d5b5a7f)
@!@!@ENDMSG 2262 @!@!@
@!@!@STARTMSG 2110:1 @!@!@
Invariant big_is_not_4 is violated.
@!@!@ENDMSG 2110 @!@!@
@!@!@STARTMSG 2121:1 @!@!@
The behavior up to this point is:
@!@!@ENDMSG 2121 @!@!@
@!@!@STARTMSG 2217:4 @!@!@
1: <Initial predicate>
/\\ big = 0
/\\ small = 0

@!@!@ENDMSG 2217 @!@!@
@!@!@STARTMSG 2217:4 @!@!@
2: <fill_big line 29, col 5 to line 31, col 26 of module classic_die_hard>
/\\ big = 5
/\\ small = 0

@!@!@ENDMSG 2217 @!@!@
@!@!@STARTMSG 2200:0 @!@!@
Progress(7) at 2026-12-01 20:09:52: 73 states generated (9,012 s/min), 14 distinct states found (1,728 ds/min), 1 states left on queue.
@!@!@ENDMSG 2200 @!@!@
@!@!@STARTMSG 2186:0 @!@!@
Finished in 818ms at (2026-12-01 20:09:52)
@!@!@ENDMSG 2186 @!@!@
"""


def test_tlc_tool_output_is_read_by_message_code() -> None:
    distinct, generated, depth, violations, errors, finished = tlc_result(TOOL_OUTPUT)
    assert (distinct, generated, depth, errors, finished) == (14, 73, None, [], True)
    assert [(v.kind, v.name, v.trace_length) for v in violations] == [("invariant", "big_is_not_4", 2)]
    complete = TOOL_OUTPUT.replace("2110:1", "2193:0").replace("2110", "2193") + (
        "@!@!@STARTMSG 2199:0 @!@!@\n97 states generated, 16 distinct states found, 0 states left on queue.\n"
        "@!@!@ENDMSG 2199 @!@!@\n@!@!@STARTMSG 2194:0 @!@!@\nThe depth of the complete state graph search is 8.\n"
        "@!@!@ENDMSG 2194 @!@!@\n"
    )
    distinct, generated, depth, violations, errors, finished = tlc_result(complete)
    assert (distinct, generated, depth, violations, errors) == (16, 97, 8, [], [])
    failed = "@!@!@STARTMSG 3002:1 @!@!@\nParsing or semantic analysis failed.\n@!@!@ENDMSG 3002 @!@!@\n"
    assert "3002" in tlc_result("Unknown operator: `a'.\n" + failed)[4][0]
    assert tlc_result("Error: no tool output")[4]


def test_a_negative_setting_is_defined_in_the_module() -> None:
    """TLC 2.15's .cfg reads no negative number (ModelConfig.parseValue makes `-` a model
    value), so such a setting is a definition, not a CONSTANT the .cfg gives."""
    import dataclasses

    program = load_program("classic.die_hard")
    export = export_tla(dataclasses.replace(program, settings={"offset": -1, "limit": 3}))
    assert "offset == -1" in export.tla and "ASSUME limit = 3" in export.tla
    assert "offset" not in export.cfg and "    limit = 3" in export.cfg
