"""The meaning of the modelling language, checked against hand-computed successors.

Each model is traced to IR and run with the reference evaluator; states are compared in their
decoded form (`Program.decode_state`): scalars as Python values, maps as dicts keyed by
element names, sets as sorted lists of names.
"""

from __future__ import annotations

from typing import Any

import pytest

from replicheck.backends.reference import ModelRuntimeError, fire, holds, initial_states
from replicheck.ir import Program, State, check_program
from replicheck.ir.types import decode, encode
from replicheck.lang import (
    Bool,
    Enum,
    If,
    Map,
    Model,
    ModelError,
    Range,
    SetOf,
    Sort,
    Var,
    action,
    action_property,
    count,
    exists,
    forall,
    invariant,
    require,
)

Role = Enum("Role", "secondary", "primary", "stale")


# -- helpers -------------------------------------------------------------------------------


def encode_state(p: Program, values: dict[str, Any]) -> State:
    """The inverse of `Program.decode_state` (every variable must be given)."""
    out = [0] * p.width
    for var in p.vars:
        v = values[var.name]
        if var.kind == "scalar":
            out[var.first_slot] = encode(var.value.type, v)
            continue
        for i in var.slot_range():
            slot = p.slots[i]
            key = tuple(decode(t, k) for t, k in zip(slot.key_types, slot.key))
            k = key[0] if len(key) == 1 else key
            if var.kind == "set":
                out[i] = int(k in v)
            else:
                out[i] = encode(var.value.type, v[k])
    return tuple(out)


def action_named(p: Program, label: str) -> Any:
    found = [a for a in p.actions if a.label == label]
    assert found, f"no action {label}; actions are {[a.label for a in p.actions]}"
    return found[0]


def step(p: Program, state: dict[str, Any], label: str) -> dict[str, Any] | None:
    """The decoded successor of a decoded state under the action `label` (None: disabled)."""
    s = fire(action_named(p, label), encode_state(p, state))
    return None if s is None else p.decode_state(s)


def inits(p: Program) -> list[dict[str, Any]]:
    return [p.decode_state(s) for _, s in initial_states(p)]


def compiled(m: Model) -> Program:
    p = m.compile()
    check_program(p)
    return p


# -- sequential assignment -----------------------------------------------------------------


class Sequential(Model):
    x = Range(0, 5, init=0)
    y = Range(0, 5, init=0)
    z = Range(0, 20, init=0)

    @action
    def copy(self, s):
        s.x = 1
        s.y = s.x  # reads the new x

    @action
    def chain(self, s):
        s.x = s.x + 1
        s.z = s.x * 2  # the new x
        s.x = s.x + 1  # the newest x

    @action
    def swap(self, s):
        old = s.x
        s.x = s.y
        s.y = old  # a Python variable holds the value read before


def test_sequential_assignment_reads_the_new_value() -> None:
    p = compiled(Sequential())
    assert step(p, {"x": 3, "y": 4, "z": 0}, "copy") == {"x": 1, "y": 1, "z": 0}
    assert step(p, {"x": 2, "y": 0, "z": 0}, "chain") == {"x": 4, "y": 0, "z": 6}
    assert step(p, {"x": 2, "y": 5, "z": 7}, "swap") == {"x": 5, "y": 2, "z": 7}


def test_action_updates_only_what_it_assigns() -> None:
    p = compiled(Sequential())
    copy = action_named(p, "copy")
    names = sorted(p.slots[slot].name for slot, _ in copy.updates)
    assert names == ["x", "y"]


# -- += on scalars and map entries ---------------------------------------------------------


class Counters(Model):
    Node = Sort("Node", default=2)
    total = Range(0, 10, init=0)
    per = Map(Node, Range(0, 5), init=0)

    @action
    def bump(self, s, n: Node):
        s.total += 2
        s.per[n] += 1
        s.per[n] += 1


def test_augmented_assignment_on_scalars_and_map_entries() -> None:
    p = compiled(Counters())
    start = {"total": 1, "per": {"n1": 0, "n2": 3}}
    assert step(p, start, "bump(n=n2)") == {"total": 3, "per": {"n1": 0, "n2": 5}}
    assert step(p, start, "bump(n=n1)") == {"total": 3, "per": {"n1": 2, "n2": 3}}


def test_out_of_domain_values_are_kept_not_wrapped() -> None:
    p = compiled(Counters())
    s = fire(action_named(p, "bump(n=n2)"), encode_state(p, {"total": 9, "per": {"n1": 0, "n2": 5}}))
    assert s is not None
    assert p.decode_state(s) == {"total": 11, "per": {"n1": 0, "n2": 7}}
    assert sorted(slot.name for slot in p.out_of_domain(s)) == ["per[n2]", "total"]


# -- state-dependent indices, none, If ------------------------------------------------------


class Election(Model):
    Node = Sort("Node", default=3)
    role = Map(Node, Role, init=Role.secondary)
    epoch = Map(Node, Range(0, 3), init=0)
    primary = Var(Node.or_none, init=None)

    @action
    def elect(self, s, n: Node):
        require(s.primary == None)  # noqa: E711 - a symbolic comparison, not Python's
        s.primary = n

    @action
    def crown(self, s):
        s.role[s.primary] = Role.primary
        s.epoch[s.primary] += 1

    @action
    def resign(self, s, n: Node):
        s.primary = If(s.primary == n, None, s.primary)

    @invariant
    def primary_epoch_small(self, s):
        return If(s.primary == None, True, s.epoch[s.primary] < 3)  # noqa: E711


def test_assignment_through_a_state_dependent_index() -> None:
    p = compiled(Election())
    start = {
        "role": {"n1": "secondary", "n2": "secondary", "n3": "stale"},
        "epoch": {"n1": 0, "n2": 1, "n3": 2},
        "primary": "n2",
    }
    assert step(p, start, "crown") == {
        "role": {"n1": "secondary", "n2": "primary", "n3": "stale"},
        "epoch": {"n1": 0, "n2": 2, "n3": 2},
        "primary": "n2",
    }


def test_assignment_through_a_none_index_is_a_run_time_error() -> None:
    p = compiled(Election())
    start = {
        "role": {"n1": "secondary", "n2": "secondary", "n3": "secondary"},
        "epoch": {"n1": 0, "n2": 0, "n3": 0},
        "primary": None,
    }
    with pytest.raises(ModelRuntimeError) as info:
        fire(action_named(p, "crown"), encode_state(p, start))
    assert info.value.source is not None and info.value.source.file.endswith("test_semantics.py")


def test_if_with_none_and_reading_through_a_state_dependent_index() -> None:
    p = compiled(Election())
    base = {
        "role": {"n1": "secondary", "n2": "secondary", "n3": "secondary"},
        "epoch": {"n1": 0, "n2": 0, "n3": 3},
    }
    assert step(p, {**base, "primary": "n3"}, "resign(n=n3)") == {**base, "primary": None}
    assert step(p, {**base, "primary": "n3"}, "resign(n=n1)") == {**base, "primary": "n3"}
    assert step(p, {**base, "primary": None}, "elect(n=n2)") == {**base, "primary": "n2"}
    assert step(p, {**base, "primary": "n1"}, "elect(n=n2)") is None
    inv = p.invariants()[0].expr
    assert holds(inv, encode_state(p, {**base, "primary": None}))  # the None branch: no read
    assert holds(inv, encode_state(p, {**base, "primary": "n2"}))
    assert not holds(inv, encode_state(p, {**base, "primary": "n3"}))


def test_initial_values_from_declarations() -> None:
    p = compiled(Election(Node=2))
    assert inits(p) == [
        {"role": {"n1": "secondary", "n2": "secondary"}, "epoch": {"n1": 0, "n2": 0}, "primary": None}
    ]


# -- quantifiers -----------------------------------------------------------------------------


class Quantifiers(Model):
    Node = Sort("Node", default=3)
    up = Map(Node, Bool, init=True)
    votes = Range(0, 3, init=0)

    @action
    def tally(self, s):
        s.votes = count(self.Node, lambda n: s.up[n])

    @action
    def all_up(self, s):
        require(forall(self.Node, lambda n: s.up[n]))
        s.votes = 3

    @action
    def some_down(self, s):
        require(exists(self.Node, lambda n: ~s.up[n]))
        s.votes = 0


@pytest.mark.parametrize(
    ("up", "tally", "all_up", "some_down"),
    [
        ((True, True, True), 3, True, False),
        ((True, False, True), 2, False, True),
        ((False, False, False), 0, False, True),
    ],
)
def test_forall_exists_count(up: tuple[bool, ...], tally: int, all_up: bool, some_down: bool) -> None:
    p = compiled(Quantifiers())
    state = {"up": dict(zip(("n1", "n2", "n3"), up)), "votes": 1}
    after = step(p, state, "tally")
    assert after is not None and after["votes"] == tally
    assert (step(p, state, "all_up") is not None) == all_up
    assert (step(p, state, "some_down") is not None) == some_down


# -- sets --------------------------------------------------------------------------------------


class Sets(Model):
    Node = Sort("Node", default=3)
    members = SetOf(Node)
    size = Range(0, 3, init=0)
    flag = Bool

    def init(self, s):
        s.flag = False

    @action
    def join(self, s, n: Node):
        require(~s.members.contains(n))
        s.members.add(n)
        s.size = s.members.size()  # sequential: counts n

    @action
    def leave(self, s, n: Node):
        require(s.members[n])
        s.members.remove(n)
        s.size = s.members.size()

    @action
    def check(self, s):
        s.flag = s.members.is_empty()

    @action
    def reset(self, s):
        s.members.clear()


def test_set_add_remove_contains_size() -> None:
    p = compiled(Sets())
    (start,) = inits(p)
    assert start == {"members": [], "size": 0, "flag": False}
    one = step(p, start, "join(n=n2)")
    assert one == {"members": ["n2"], "size": 1, "flag": False}
    assert step(p, one, "join(n=n2)") is None  # already a member
    two = step(p, one, "join(n=n3)")
    assert two == {"members": ["n2", "n3"], "size": 2, "flag": False}
    assert step(p, two, "leave(n=n1)") is None
    assert step(p, two, "leave(n=n2)") == {"members": ["n3"], "size": 1, "flag": False}
    assert step(p, two, "check") == {**two, "flag": False}
    assert step(p, start, "check") == {**start, "flag": True}
    assert step(p, two, "reset") == {**two, "members": []}


# -- multi-key maps ------------------------------------------------------------------------------


class Links(Model):
    Node = Sort("Node", default=2)
    link = Map(Node, Node, Bool, init=True)
    target = Var(Node)

    def init(self, s, t: Node):
        s.target = t

    @action
    def cut(self, s, a: Node, b: Node):
        s.link[a, b] = False

    @action
    def cut_to_target(self, s, a: Node):
        s.link[a, s.target] = False


def test_multi_key_maps() -> None:
    p = compiled(Links())
    all_up = {k: True for k in [("n1", "n1"), ("n1", "n2"), ("n2", "n1"), ("n2", "n2")]}
    start = {"link": all_up, "target": "n2"}
    assert step(p, start, "cut(a=n2, b=n1)") == {"link": {**all_up, ("n2", "n1"): False}, "target": "n2"}
    assert step(p, start, "cut_to_target(a=n1)") == {"link": {**all_up, ("n1", "n2"): False}, "target": "n2"}
    assert len([a for a in p.actions if a.family == "cut"]) == 4


def test_init_with_parameters_enumerates_initial_states() -> None:
    p = compiled(Links())
    got = inits(p)
    assert [s["target"] for s in got] == ["n1", "n2"]
    assert all(all(s["link"].values()) for s in got)
    assert [a.label for a in p.inits] == ["init(t=n1)", "init(t=n2)"]


# -- variants, settings, Range bounds naming a setting ------------------------------------------


class Fenced(Model):
    Node = Sort("Node", default=2)
    fencing: bool = True
    max_epoch: int = 2

    epoch = Range(0, "max_epoch", init=0)
    role = Map(Node, Role, init=Role.secondary)

    variants = {"no_fencing": {"fencing": False}, "tall": {"max_epoch": 4}}

    @action
    def promote(self, s, n: Node):
        require(s.epoch < self.max_epoch)
        s.epoch += 1
        s.role[n] = Role.primary
        if self.fencing:  # a setting, not state: ordinary Python
            for m in self.Node:
                if m != n:
                    s.role[m] = Role.stale

    @action_property
    def epoch_grows(self, s, t):
        return t.epoch >= s.epoch


def test_variant_accepts_dashes_and_changes_the_traced_actions() -> None:
    fenced = compiled(Fenced())
    unfenced_model = Fenced(variant="no-fencing")
    unfenced = compiled(unfenced_model)
    assert unfenced_model.variant == "no_fencing"
    assert unfenced_model.fencing is False and Fenced().fencing is True
    start = {"epoch": 0, "role": {"n1": "secondary", "n2": "secondary"}}
    assert step(fenced, start, "promote(n=n1)") == {"epoch": 1, "role": {"n1": "primary", "n2": "stale"}}
    assert step(unfenced, start, "promote(n=n1)") == {"epoch": 1, "role": {"n1": "primary", "n2": "secondary"}}


def test_range_bound_names_a_setting() -> None:
    assert Fenced().compile().var("epoch").value.hi == 2
    assert Fenced(max_epoch=5).compile().var("epoch").value.hi == 5
    assert Fenced(variant="tall").compile().var("epoch").value.hi == 4
    p = compiled(Fenced(max_epoch=1))
    start = {"epoch": 1, "role": {"n1": "secondary", "n2": "secondary"}}
    assert step(p, start, "promote(n=n1)") is None  # epoch < max_epoch is false


def test_settings_and_sort_sizes() -> None:
    m = Fenced(Node=3, max_epoch=3)
    assert m.settings() == {"Node": 3, "fencing": True, "max_epoch": 3}
    p = compiled(m)
    assert len(p.var("role").slot_range()) == 3
    assert [a.label for a in p.actions] == ["promote(n=n1)", "promote(n=n2)", "promote(n=n3)"]
    with pytest.raises(ModelError):
        Fenced(Node=0)


def test_action_property_reads_pre_and_post() -> None:
    p = compiled(Fenced())
    prop = p.action_properties()[0]
    s0 = encode_state(p, {"epoch": 1, "role": {"n1": "secondary", "n2": "secondary"}})
    s1 = encode_state(p, {"epoch": 2, "role": {"n1": "secondary", "n2": "secondary"}})
    assert holds(prop.expr, s0, s1)
    assert not holds(prop.expr, s1, s0)


class Switch(Model):
    on = Var(Bool, init=False)

    @action
    def set_to(self, s, value: Bool):
        s.on = value


def test_a_bool_action_parameter_takes_both_values() -> None:
    program = Switch().compile()
    assert sorted(a.param_values()["value"] for a in program.actions) == [False, True]
    assert {fire(a, (0,)) for a in program.actions} == {(0,), (1,)}
