"""A model file that calls sys.exit(0) at import."""

import sys

from replicheck.lang import Model, Range, action

sys.exit(0)  # BROKEN: SystemExit at import


class Never(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        s.x = 0
