"""The consistency properties replicated storage needs, as modelling-language conditions.

Owns: single writer (`at_most_one`), single leader per term (`distinct_when`), no
acknowledged write lost (`serving_copy_is_complete`), terms only move forward
(`never_decreases`, for action properties), eventual health (`eventually_everywhere`, for
liveness) and bounded response (`responds_within`).

Must not import: anything but `replicheck.lang`.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from replicheck.lang import always_eventually, count, forall, implies

Pred = Callable[[Any], Any]


def at_most_one(domain: Iterable[Any], pred: Pred) -> Any:
    """Single writer: at most one element of `domain` satisfies `pred` (e.g. "is a primary
    that can accept writes")."""
    return count(domain, pred) <= 1


def distinct_when(domain: Iterable[Any], pred: Pred, key: Callable[[Any], Any]) -> Any:
    """Single leader per term: no two distinct elements that both satisfy `pred` share the
    same `key` (e.g. no two primaries in the same epoch)."""
    items = list(domain)
    return forall(
        [(a, b) for i, a in enumerate(items) for b in items[i + 1 :]],
        lambda ab: implies(pred(ab[0]) & pred(ab[1]), key(ab[0]) != key(ab[1])),
    )


def serving_copy_is_complete(domain: Iterable[Any], serving: Pred, holds: Pred, acknowledged: Any) -> Any:
    """No acknowledged write lost: every element that serves reads and writes (`serving`)
    holds (`holds(e)`, a position in the write history) every write acknowledged to the
    client (`acknowledged`, the position of the last acknowledged write)."""
    return forall(domain, lambda e: implies(serving(e), holds(e) >= acknowledged))


def never_decreases(pairs: Iterable[tuple[Any, Any]]) -> Any:
    """Terms only move forward: for an action property, each (before, after) pair of values
    (e.g. (s.epoch[n], t.epoch[n])) does not decrease in the step."""
    return forall(list(pairs), lambda ba: ba[1] >= ba[0])


def eventually_everywhere(domain: Iterable[Any], healthy: Pred) -> Any:
    """Eventually healthy: in every fair behaviour, states where every element of `domain`
    is healthy recur forever (always eventually). With a finite fault budget this means
    "healthy again once faults stop"."""
    return always_eventually(forall(domain, healthy))


def responds_within(domain: Iterable[Any], waiting: Pred, age: Callable[[Any], Any], limit: int) -> Any:
    """Bounded response: no waiting request (element of `domain` with `waiting`) is older
    than `limit` (a safety bound over request ages)."""
    return forall(domain, lambda e: implies(waiting(e), age(e) <= limit))
