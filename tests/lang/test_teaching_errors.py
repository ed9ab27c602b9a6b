"""Every tracing mistake raises a ModelError that teaches: it names the model, the action (or
property, or init), the file and line of the mistake, and what to write instead.

Each model below marks the offending line with a `# MISTAKE: <tag>` comment; the tests find
that line in this file, so moving code around keeps them honest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from replicheck.lang import (
    Bool,
    Enum,
    Map,
    Model,
    ModelError,
    Range,
    SetOf,
    Sort,
    action,
    invariant,
    require,
)

THIS = Path(__file__)
FILE = THIS.name

Mode = Enum("Mode", "idle", "busy")


def line_of(tag: str) -> int:
    """The line of this file carrying `# MISTAKE: <tag>`."""
    lines = THIS.read_text(encoding="utf-8").splitlines()
    hits = [i + 1 for i, text in enumerate(lines) if re.search(rf"# MISTAKE: {re.escape(tag)}(\s|$)", text)]
    assert len(hits) == 1, f"tag {tag!r} must mark exactly one line, found {hits}"
    return hits[0]


def compile_error(make: Callable[[], Model]) -> ModelError:
    with pytest.raises(ModelError) as info:
        make().compile()
    return info.value


def assert_teaches(err: ModelError, model: str, member: str, tag: str, *fixes: str) -> None:
    msg = str(err)
    assert model in msg, f"the message does not name the model {model!r}:\n{msg}"
    assert member in msg, f"the message does not name {member!r}:\n{msg}"
    where = f"{FILE}:{line_of(tag)}"
    assert where in msg, f"the message does not point at {where}:\n{msg}"
    for fix in fixes:
        assert fix in msg, f"the message does not say {fix!r}:\n{msg}"


# -- a state value used as a Python bool ---------------------------------------------------


class IfOnState(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        if s.x == 1:  # MISTAKE: if
            s.x = 2


def test_if_on_state() -> None:
    err = compile_error(IfOnState)
    assert_teaches(err, "IfOnState", "action step", "if", "`if`", "require(cond)", "If(cond, a, b)")


class AndOnState(Model):
    x = Range(0, 3, init=0)
    y = Range(0, 3, init=0)

    @action
    def step(self, s):
        require(s.x == 1 and s.y == 2)  # MISTAKE: and
        s.x = 0


def test_and_on_state() -> None:
    assert_teaches(compile_error(AndOnState), "AndOnState", "action step", "and", "`&` instead of `and`")


class OrOnState(Model):
    x = Range(0, 3, init=0)
    y = Range(0, 3, init=0)

    @action
    def step(self, s):
        require(s.x == 1 or s.y == 2)  # MISTAKE: or
        s.x = 0


def test_or_on_state() -> None:
    assert_teaches(compile_error(OrOnState), "OrOnState", "action step", "or", "`|` instead of `or`")


class NotOnState(Model):
    flag = Bool

    def init(self, s):
        s.flag = False

    @action
    def step(self, s):
        require(not s.flag)  # MISTAKE: not
        s.flag = True


def test_not_on_state() -> None:
    assert_teaches(compile_error(NotOnState), "NotOnState", "action step", "not", "`~x`", "Not(x)")


class ChainedIntComparison(Model):
    a = Range(0, 3, init=0)
    b = Range(0, 3, init=0)

    @action
    def step(self, s):
        require(s.a == 1 & s.b == 2)  # MISTAKE: chained-int
        s.a = 0


def test_chained_comparison_of_ints_without_parentheses() -> None:
    err = compile_error(ChainedIntComparison)
    assert_teaches(err, "ChainedIntComparison", "action step", "chained-int", "(a == b) & (c < d)")


class ChainedBoolComparison(Model):
    a = Bool
    b = Bool

    def init(self, s):
        s.a = False
        s.b = False

    @action
    def step(self, s):
        require(s.a == True | s.b == False)  # MISTAKE: chained-bool  # noqa: E712
        s.a = True


def test_chained_comparison_of_bools_without_parentheses() -> None:
    err = compile_error(ChainedBoolComparison)
    assert_teaches(err, "ChainedBoolComparison", "action step", "chained-bool", "(a == b) & (c < d)")


# -- state variables -----------------------------------------------------------------------


class Misspelt(Model):
    epoch = Range(0, 3, init=0)

    @action
    def bump(self, s):
        s.epoch = s.epoc + 1  # MISTAKE: unknown-var


def test_unknown_state_variable_suggests_a_name() -> None:
    err = compile_error(Misspelt)
    assert_teaches(err, "Misspelt", "action bump", "unknown-var", "no state variable `epoc`",
                   "Did you mean `epoch`?")


class AssignsSelf(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        self.x = 1  # MISTAKE: self-assign


def test_assigning_a_model_attribute() -> None:
    err = compile_error(AssignsSelf)
    assert_teaches(err, "AssignsSelf", "action step", "self-assign", "self.x = ...", "s.x = ...")


# -- values of the wrong sort --------------------------------------------------------------


class IntToEnumMap(Model):
    Node = Sort("Node", default=2)
    mode = Map(Node, Mode, init=Mode.idle)

    @action
    def step(self, s, n: Node):
        s.mode[n] = 1  # MISTAKE: int-to-enum


def test_int_assigned_to_an_enum_map() -> None:
    err = compile_error(IntToEnumMap)
    assert_teaches(err, "IntToEnumMap", "action step(n=n1)", "int-to-enum", "the int 1",
                   "Mode.idle, Mode.busy")


class EnumToRange(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        s.x = Mode.busy  # MISTAKE: enum-to-range


def test_enum_assigned_to_a_range() -> None:
    err = compile_error(EnumToRange)
    assert_teaches(err, "EnumToRange", "action step", "enum-to-range", "expects an int", "Mode.busy")


class IntToBool(Model):
    flag = Bool

    def init(self, s):
        s.flag = False

    @action
    def step(self, s):
        s.flag = 1  # MISTAKE: int-to-bool


def test_int_assigned_to_a_bool() -> None:
    err = compile_error(IntToBool)
    assert_teaches(err, "IntToBool", "action step", "int-to-bool", "expects a Bool",
                   "Write True or False, not 1 or 0.")


# -- sets ----------------------------------------------------------------------------------


class InOnSet(Model):
    Node = Sort("Node", default=2)
    members = SetOf(Node)

    @action
    def step(self, s, n: Node):
        require(n in s.members)  # MISTAKE: in-set
        s.members.remove(n)


def test_in_on_a_set() -> None:
    err = compile_error(InOnSet)
    assert_teaches(err, "InOnSet", "action step(n=n1)", "in-set", "s.members.contains(x)")


class LenOfSet(Model):
    Node = Sort("Node", default=2)
    members = SetOf(Node)

    @invariant
    def small(self, s):
        return len(s.members) <= 1  # MISTAKE: len-set


def test_len_of_a_set() -> None:
    err = compile_error(LenOfSet)
    assert_teaches(err, "LenOfSet", "invariant small", "len-set", "s.members.size()")


# -- declarations --------------------------------------------------------------------------


class NoAnnotation(Model):
    Node = Sort("Node", default=2)
    up = Map(Node, Bool, init=True)

    @action
    def crash(self, s, n):  # MISTAKE: annotation
        s.up[n] = False


def test_missing_parameter_annotation() -> None:
    err = compile_error(NoAnnotation)
    assert_teaches(err, "NoAnnotation", "action crash", "annotation", "parameter `n`", "`n: Node`")


class WithVariants(Model):
    fencing: bool = True
    limit: int = 2
    x = Range(0, "limit", init=0)
    variants = {"no-fencing": {"fencing": False}}

    @action
    def step(self, s):
        require(s.x < self.limit)
        s.x += 1


def test_unknown_variant() -> None:
    with pytest.raises(ModelError) as info:
        WithVariants(variant="no_fences")  # MISTAKE: variant
    assert_teaches(info.value, "WithVariants", "variant 'no_fences'", "variant", "no-fencing")


def test_unknown_setting() -> None:
    with pytest.raises(ModelError) as info:
        WithVariants(limt=3)  # MISTAKE: setting
    assert_teaches(info.value, "WithVariants", "setting 'limt'", "setting", "fencing, limit")


def test_wrong_type_of_setting() -> None:
    with pytest.raises(ModelError) as info:
        WithVariants(limit="3")  # MISTAKE: setting-type
    assert_teaches(info.value, "WithVariants", "setting limit", "setting-type", "int")


class MissingInit(Model):
    x = Range(0, 3, init=0)
    y = Range(0, 3)

    def init(self, s):  # MISTAKE: missing-init
        s.x = 1


def test_missing_initial_value() -> None:
    err = compile_error(MissingInit)
    assert_teaches(err, "MissingInit", "init", "missing-init", "leaves y without a value",
                   "give its declaration an init= value")


class SilentProperty(Model):
    x = Range(0, 3, init=0)

    @invariant
    def bounded(self, s):  # MISTAKE: returns-nothing
        s.x <= 3  # noqa: B015


def test_property_that_returns_nothing() -> None:
    err = compile_error(SilentProperty)
    assert_teaches(err, "SilentProperty", "bounded", "returns-nothing", "returned nothing", "return")


class ReturningAction(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):  # MISTAKE: action-returns
        return s.x < 3


def test_action_that_returns_a_condition() -> None:
    err = compile_error(ReturningAction)
    assert_teaches(err, "ReturningAction", "action step", "action-returns", "require(cond)")


class UnknownEnumValue(Model):
    m = Range(0, 1, init=0)

    @action
    def step(self, s):
        require(s.m == Mode.bussy)  # MISTAKE: enum-value


def test_unknown_enum_value() -> None:
    err = compile_error(UnknownEnumValue)
    assert_teaches(err, "UnknownEnumValue", "action step", "enum-value", "no value 'bussy'", "idle, busy")


class ChainedRange(Model):
    x = Range(0, 5, init=0)

    @action
    def step(self, s):
        require(0 < s.x < 3)  # MISTAKE: chained-range
        s.x = 0


def test_chained_range_comparison() -> None:
    err = compile_error(ChainedRange)
    assert_teaches(err, "ChainedRange", "action step", "chained-range", "(a < x) & (x < b)")


class Ternary(Model):
    x = Range(0, 5, init=0)
    flag = Bool

    def init(self, s):
        s.flag = False

    @action
    def step(self, s):
        s.x = 1 if s.flag else 2  # MISTAKE: ternary


def test_conditional_expression_on_state() -> None:
    err = compile_error(Ternary)
    assert_teaches(err, "Ternary", "action step", "ternary", "If(cond, a, b)` instead of `a if cond else b")


class IfWithComment(Model):
    x = Range(0, 5, init=0)

    @action
    def step(self, s):
        if s.x == 1:  # primary or secondary, and not stale  # MISTAKE: if-comment
            s.x = 2


def test_words_in_a_comment_do_not_change_the_hint() -> None:
    err = compile_error(IfWithComment)
    assert_teaches(err, "IfWithComment", "action step", "if-comment", "require(cond)")
    assert "instead of `or`" not in str(err) and "instead of `and`" not in str(err)
    assert "instead of `not x`" not in str(err)


# -- a declared function without `self` ----------------------------------------------------


class ActionWithoutSelf(Model):
    x = Range(0, 3, init=0)

    @action
    def step(s):  # type: ignore[misc]  # MISTAKE: no-self-action
        s.x = 1


class InvariantWithoutSelf(Model):
    x = Range(0, 3, init=0)

    @invariant
    def small(s):  # type: ignore[misc]  # MISTAKE: no-self-invariant
        return s.x < 3


def test_an_action_without_self_is_taught_not_a_type_error() -> None:
    assert_teaches(compile_error(ActionWithoutSelf), "ActionWithoutSelf", "action step", "no-self-action",
                   "wrong number of arguments", "def step(self, s):")


def test_an_invariant_without_self_is_taught_not_a_type_error() -> None:
    assert_teaches(compile_error(InvariantWithoutSelf), "InvariantWithoutSelf", "invariant small",
                   "no-self-invariant", "wrong number of arguments", "def small(self, s):")
