"""A subclass changes what it inherits: redefines a member with its decorator, removes one by
assigning None, and gets a teaching error for a redefinition that drops the decorator."""

from __future__ import annotations

import pytest

from replicheck.lang import Model, ModelError, Range, action, invariant, require


class Base(Model):
    x = Range(0, 3, init=0)

    @action
    def inc(self, s):
        require(s.x < 3)
        s.x = s.x + 1

    @action
    def reset(self, s):
        s.x = 0

    @invariant
    def small(self, s):
        return s.x < 3


class WithoutReset(Base):
    reset = None
    small = None


def test_assigning_none_removes_an_inherited_action_and_property() -> None:
    program = WithoutReset().compile()
    assert [a.family for a in program.actions] == ["inc"]
    assert [p.name for p in program.properties] == []


def test_the_base_keeps_what_the_subclass_removed() -> None:
    program = Base().compile()
    assert {a.family for a in program.actions} == {"inc", "reset"}
    assert [p.name for p in program.properties] == ["small"]


def test_redefining_an_action_without_its_decorator_is_a_teaching_error() -> None:
    with pytest.raises(ModelError) as err:

        class Forgot(Base):
            def reset(self, s):  # no @action: it would silently stay the inherited action
                s.x = 1

        Forgot().compile()
    text = str(err.value)
    assert "Forgot.reset replaces the inherited @action reset" in text
    assert "reset = None" in text and "test_inheritance.py" in text
