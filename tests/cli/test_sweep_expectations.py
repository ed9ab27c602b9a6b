"""`sweep` refuses expectations that would silently check nothing: an unknown variant, an
unknown property or a verdict that is not one."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import assert_one_line_error, run

MODEL = '''\
from replicheck.lang import Model, Range, action, invariant, require


class Flip(Model):
    """x flips between 0 and 1."""

    name = "test.flip"
    check_deadlock = False
    variants = {{"fast": {{}}, "slow": {{}}}}
    expected = {expected}
    x = Range(0, 1, init=0)

    @action
    def flip(self, s):
        s.x = 1 - s.x

    @invariant
    def binary(self, s):
        return s.x <= 1
'''


def sweep(capsys: pytest.CaptureFixture[str], tmp_path: Path, expected: str) -> tuple[int, str, str]:
    path = tmp_path / "flip.py"
    path.write_text(MODEL.format(expected=expected))
    return run(capsys, "sweep", str(path), "--quiet")


def test_expectations_of_real_variants_and_properties_are_checked(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path) -> None:
    code, out, _ = sweep(capsys, tmp_path, '{"fast": {"binary": "holds"}, "slow": {"binary": "violated"}}')
    assert code == 1 and "NO: binary: expected violated, got holds" in out


@pytest.mark.parametrize(
    ("expected", "fragment"),
    [
        ('{"fsat": {"binary": "holds"}}', "names the variant 'fsat'"),
        ('{"fast": {"binray": "holds"}}', "names the property 'binray'"),
        ('{"fast": {"binary": "ok"}}', "is 'ok'"),
    ],
)
def test_a_mistaken_expectation_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           expected: str, fragment: str) -> None:
    code, _, err = sweep(capsys, tmp_path, expected)
    assert code == 2
    assert_one_line_error(err)
    assert fragment in err
