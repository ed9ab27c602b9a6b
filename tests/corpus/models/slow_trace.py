"""A model that is slow to trace (each action instance sleeps a millisecond): 3,000
instances take over 3 seconds, so --max-seconds stops the trace and a progress line shows."""

import time

from replicheck.lang import Model, Range, action


class SlowTrace(Model):
    name = "corpus.slow_trace"
    x = Range(0, 2999, init=0)

    @action
    def set_to(self, s, v: Range(0, 2999)):
        time.sleep(0.001)
        s.x = v
