"""Not a model: a helper module that raises, used by raise_in_helper_module.py."""


def pick(x):
    return {}["missing"]  # BROKEN: KeyError in a helper
