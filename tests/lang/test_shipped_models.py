"""Every shipped model, in every variant, traces to a program that passes the IR sort checker
(the backstop behind the language's own type errors)."""

from __future__ import annotations

import pytest

from replicheck.ir import check_program
from replicheck.registry import discover

CASES = [
    (name, variant)
    for name, info in discover().items()
    for variant in [None, *info.cls.variants]
]


def test_models_are_found() -> None:
    names = {name for name, _ in CASES}
    assert {"classic.die_hard", "classic.tcommit"} <= names


@pytest.mark.parametrize(("name", "variant"), CASES, ids=[f"{n}[{v or 'default'}]" for n, v in CASES])
def test_model_traces_to_a_well_typed_program(name: str, variant: str | None) -> None:
    program = discover()[name].cls(variant=variant).compile()
    check_program(program)
    assert program.actions, f"{name} has no enabled action instance"
    assert program.inits
    for a in program.actions:
        assert a.source.line > 0 and a.source.file.endswith(".py"), f"{a.label} has no source line"
