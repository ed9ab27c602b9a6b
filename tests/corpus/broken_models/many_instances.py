"""A model whose action is traced once per element of a sort: fine at the default size,
refused before tracing at --set RM=100000."""

from replicheck.lang import Model, Range, Sort, action


class ManyInstances(Model):
    name = "corpus.many_instances"
    RM = Sort("RM", default=3)
    done = Range(0, 1, init=0)

    @action
    def commit(self, s, rm: RM):  # BROKEN: with --set RM=100000
        s.done = 1
