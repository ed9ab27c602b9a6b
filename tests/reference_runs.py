"""Runs that several test modules compare against, made once per test session and then only
read: the scalar engine's breadth-first search of a model in continue mode without liveness,
the reference of tests/test_engines.py (both tests) and of
tests/stateful/test_simulate_finds_short_bugs.py. Each of those made exactly this call for
itself; on the largest variants (ebs.outage's, up to 553,440 states) one run takes seconds."""

from __future__ import annotations

from functools import cache
from typing import Any

import replicheck as r
from replicheck.lang import Model


@cache
def _bfs(cls: type[Model], variant: str | None, settings: tuple[tuple[str, Any], ...]) -> r.Result:
    return r.check(cls, variant=variant, settings=dict(settings), stop_at_first=False, liveness=False,
                   engine="scalar", strategy="bfs")


def bfs_continue(cls: type[Model], variant: str | None, settings: dict[str, Any]) -> r.Result:
    """`r.check(cls, variant, settings, stop_at_first=False, liveness=False)` with the scalar
    engine's breadth-first search (the default engine), once per session."""
    return _bfs(cls, variant, tuple(sorted(settings.items())))
