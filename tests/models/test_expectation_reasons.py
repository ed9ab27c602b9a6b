"""Every expectation a shipped model declares (`expected[variant]`) has a sentence of reason
(`reasons[variant]`), which `sweep --format md` prints below the matrix and docs/models show.

This test fails until each model says why: its message names the file, the class and the
variants still without a reason, and what to write."""

from __future__ import annotations

import inspect

import pytest

from replicheck.registry import discover
from replicheck.sweep import check_expectations

MODELS = discover()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_expectation_has_a_reason(name: str) -> None:
    info = MODELS[name]
    cls = info.cls
    check_expectations(info)  # names only real variants and properties (refused with exit 2 otherwise)
    reasons = {k.replace("-", "_"): v for k, v in cls.reasons.items()}
    missing = [v for v in cls.expected if not str(reasons.get(v.replace("-", "_"), "")).strip()]
    if missing:
        path = inspect.getsourcefile(cls) or cls.__module__
        lines = "\n".join(f'        "{v}": "...",' for v in missing)
        pytest.fail(
            f"{name}: `expected` has no reason for {', '.join(repr(v) for v in missing)}. In {path}, class "
            f"{cls.__name__}, beside `expected`, add (or complete) one sentence per variant saying why it gives "
            f"those verdicts (sweep --format md and the docs show it):\n\n    reasons = {{\n{lines}\n    }}",
            pytrace=False,
        )
