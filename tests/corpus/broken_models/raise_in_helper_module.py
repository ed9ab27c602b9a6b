"""An action calling a helper beside the model file that raises: the message points at the
helper's line, the innermost frame of the user's own files."""

from broken_helper import pick  # a module beside this file

from replicheck.lang import Model, Range, action


class RaiseInHelper(Model):
    x = Range(0, 3, init=0)

    @action
    def step(self, s):
        s.x = pick(s.x)
