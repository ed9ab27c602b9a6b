"""Reusable consistency properties, written once in the modelling language.

Each function builds the condition from the model's own variables, passed in as functions of
an element (so a property is independent of how a model names or shapes its state). Call them
from a model's property methods:

    @invariant
    def single_writer(self, s):
        return at_most_one(self.Replica, lambda r: (s.role[r] == Role.primary) & ~s.stuck[r])

See docs/properties.md for the precise meaning of each.
"""

from .consistency import (
    at_most_one,
    distinct_when,
    eventually_everywhere,
    never_decreases,
    responds_within,
    serving_copy_is_complete,
)

__all__ = [
    "at_most_one",
    "distinct_when",
    "serving_copy_is_complete",
    "never_decreases",
    "eventually_everywhere",
    "responds_within",
]
