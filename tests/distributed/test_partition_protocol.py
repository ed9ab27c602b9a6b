"""The ray engine's level protocol, with its partitions in this process (no Ray): for 1, 2, 3
and 5 partitions, the same distinct states, transitions, depth, verdicts and counterexamples
(step by step) as the batch engine, on every shipped model and variant and the fixtures, with
and without --continue (without only where a violation makes it differ). The positions the partitions give each level's states are the batch
engine's, so the traces are equal, not merely as short."""

from __future__ import annotations

from typing import Any

import pytest

from replicheck.explore import CheckOptions, check
from replicheck.explore.ray_engine import InProcess, ray_bfs
from replicheck.registry import load
from tests.distributed.helpers import summary, targets


def both(program: Any, cls: Any, parts: int, **kw: Any) -> tuple[Any, Any]:
    batch = check(program, CheckOptions(engine="batch", deadlock=cls.check_deadlock, **kw))
    opts = CheckOptions(engine="ray", deadlock=cls.check_deadlock, **kw)
    return batch, ray_bfs(program, opts, InProcess(program, opts, parts))


@pytest.mark.slow
@pytest.mark.parametrize(("name", "cls", "variant", "settings"), targets(), ids=[t[0] for t in targets()])
def test_partitioned_search_equals_the_batch_engine(name: str, cls: Any, variant: str | None,
                                                     settings: dict[str, Any]) -> None:
    program = cls(variant=variant, **settings).compile()
    violated = True
    for stop in (True, False):
        if not violated:
            # no violation: the --continue runs would repeat the runs just compared, since
            # stop_at_first is read only once a violation is recorded (explore/run.py: Run.done
            # and Run.result); 35 of the 55 targets, among them every ebs.remirror variant
            break
        batch = check(program, CheckOptions(engine="batch", stop_at_first=stop, deadlock=cls.check_deadlock))
        violated = any(v.status == "violated" for v in batch.verdicts)
        if not stop and batch.stats.distinct_states > 30_000:
            continue  # time: --continue on the largest variants (up to 278,505 states) is left to one-off runs
        for parts in (1, 2, 3, 5):
            opts = CheckOptions(engine="ray", stop_at_first=stop, deadlock=cls.check_deadlock)
            got = ray_bfs(program, opts, InProcess(program, opts, parts))
            assert summary(got) == summary(batch), (name, stop, parts)


def test_die_hard_three_partitions_same_trace() -> None:
    info = load("classic.die_hard")
    batch, got = both(info.cls().compile(), info.cls, 3)
    assert summary(got) == summary(batch)
    assert got.stats.distinct_states == 16 and got.stats.depth == 7  # TLC's and the batch engine's numbers
    (v,) = [v for v in got.verdicts if v.status == "violated"]
    assert v.trace is not None and len(v.trace.steps) == 7  # the initial state and 6 steps


@pytest.mark.parametrize("limit", [{"max_depth": 4}, {"max_states": 500}])
def test_limits_stop_cleanly_as_incomplete(limit: dict[str, Any]) -> None:
    info = load("classic.two_phase")
    program = info.cls(RM=4).compile()  # 1,568 states
    opts = CheckOptions(engine="ray", **limit)
    got = ray_bfs(program, opts, InProcess(program, opts, 2))
    assert not got.stats.complete
    assert got.stats.stop_reason == next(iter(limit))
    if "max_depth" in limit:  # the depth bound is exact: the batch engine's counts
        batch = check(program, CheckOptions(engine="batch", **limit))
        assert summary(got) == summary(batch)
    else:  # checked at level boundaries: at least the limit, fewer than all 288
        assert 500 <= got.stats.distinct_states < 1568
