"""The sizes at which the tests that go over every shipped model and variant (the engines'
agreement, the recorded graph against the scalar one, the lassos, the ray engine) build them:
their defaults, except where a default is sized for the model's conclusions rather than for a
test. ebs.remirror's default, 4 nodes x 3 volumes, is where its protection matrix stops
changing (docs/models/ebs.remirror.md), and gives 1.5 to 6.6 million states a variant: minutes
a variant for the scalar engine, hours for the scalar liveness graph. Whether two engines
agree does not depend on the size, so those tests take 3 nodes x 2 volumes (5,000 to 55,000
states); tests/models/test_remirror.py checks the conclusions at the default size."""

from __future__ import annotations

from typing import Any

from replicheck.lang import Model

TEST_SIZES: dict[str, dict[str, Any]] = {"ebs.remirror": {"Node": 3, "Volume": 2}}

# Properties whose verdict at the test size differs from the declared one at the default size,
# so that a test picking cases by `expected` leaves them out: at 3 x 2, every volume's data gets
# back online (a failed node holds at most 2 copies, and 2 other nodes can take them), and
# reusing a failed node at once loses nothing (the 25-step loss needs 3 volumes).
SIZE_DEPENDENT: set[tuple[str, str]] = {("ebs.remirror", "data_back_online"), ("ebs.remirror", "no_data_loss")}


def at_test_size(name: str, cls: type[Model], variant: str | None) -> Model:
    """The shipped model `name` (class `cls`) and variant at the size the tests use."""
    return cls(variant=variant or None, **TEST_SIZES.get(name, {}))
