"""`--continue`: once a property is violated it is not checked again, on any engine.

A property that is already violated may raise where it was never meant to hold (here it
divides by x, and a later state has x = 0): the engines must not check it there, so they
report its violation and no model error. Found by `tests/explore/test_batch.py`'s random
programs: the scalar engine checked a violated invariant to the end of its chunk of 4,096
states and reported an internal error; the batch engine reported a model error.
"""

from __future__ import annotations

import pytest

import replicheck as r
from replicheck.lang import Model, Range, action, invariant, require


class DividesAfterItFails(Model):
    """From x = 3, `halve` goes to 1 and `clear` to 0: one level of two states, in that order.
    `ratio` (6 // x != 6) holds at 3, fails at 1, and would divide by zero at 0, the next
    state of the same level (engines check a level in chunks)."""

    check_deadlock = False
    x = Range(0, 3, init=3)

    @action
    def halve(self, s):
        require(s.x == 3)
        s.x = 1

    @action
    def clear(self, s):
        require(s.x == 3)
        s.x = 0

    @invariant
    def ratio(self, s):
        return 6 // s.x != 6

    @invariant
    def small(self, s):
        return s.x <= 3


@pytest.mark.parametrize("engine", [{"engine": "scalar"}, {"engine": "scalar", "strategy": "dfs"},
                                    {"engine": "batch"}, {"engine": "batch", "workers": 2}],
                         ids=["bfs", "dfs", "batch", "batch-2"])
def test_a_violated_invariant_is_not_checked_again_where_it_would_raise(engine: dict[str, object]) -> None:
    res = r.check(DividesAfterItFails, stop_at_first=False, **engine)
    assert res.verdicts == {"ratio": "violated", "small": "holds"}
    assert res.stats.distinct_states == 3
