"""The Promela export keeps replicheck's integers or refuses: C's 32-bit int would wrap where
replicheck's unbounded integers do not (Spin reported no error on a model whose invariant
fails in its first state)."""

from __future__ import annotations

import pytest

from replicheck.export import ExportError, export_promela
from replicheck.lang import Model, Range, action, invariant
from replicheck.registry import discover


class Square(Model):
    """x * x reaches 2.5e9 at x = 50,000: beyond 32 bits."""

    check_deadlock = False
    x = Range(0, 50_000, init=50_000)

    @action
    def stay(self, s):
        s.x = s.x

    @invariant
    def small_square(self, s):
        return s.x * s.x < 5


class SmallSquare(Square):
    x = Range(0, 40_000, init=40_000)  # 1.6e9: fits


def test_an_intermediate_beyond_32_bits_is_refused_with_the_expression() -> None:
    with pytest.raises(ExportError, match=r"x \* x may reach 0\.\.2500000000, beyond Promela's 32-bit int"):
        export_promela(Square().compile())


def test_values_within_32_bits_export() -> None:
    assert "small_square" in export_promela(SmallSquare().compile()).pml


@pytest.mark.parametrize("name", list(discover()))
def test_every_shipped_model_still_exports(name: str) -> None:
    info = discover()[name]
    for variant in list(info.cls.variants)[:2] or [None]:
        export_promela(info.cls(variant=variant).compile())
