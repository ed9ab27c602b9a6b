"""A model file that raises a BaseException subclass (not an Exception) at import."""

from replicheck.lang import Model, Range, action


class Stop(BaseException):
    pass


raise Stop("the file stops here")  # BROKEN: BaseException at import


class Never(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        s.x = 0
