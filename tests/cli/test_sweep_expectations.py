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
        ('[("fast", "holds")]', "`expected` is list"),
        ('{"fast": "holds"}', "`expected['fast']` is 'holds', not a dict of verdicts"),
        ('{"fast": {"binary": ["holds"]}}', "is ['holds']"),
        ('{"fast": {"deadlock": "holds"}}', "which the model does not check (check_deadlock = False)"),
    ],
)
def test_a_mistaken_expectation_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           expected: str, fragment: str) -> None:
    code, _, err = sweep(capsys, tmp_path, expected)
    assert code == 2
    assert_one_line_error(err)
    assert fragment in err


REASONED = MODEL.replace('    x = Range(0, 1, init=0)', '    reasons = {reasons}\n    top: int = 1\n    x = Range(0, "top", init=0)')


def sweep_reasons(capsys: pytest.CaptureFixture[str], tmp_path: Path, reasons: str,
                  *argv: str) -> tuple[int, str, str]:
    path = tmp_path / "flip.py"
    path.write_text(REASONED.format(expected='{"fast": {"binary": "holds"}, "slow": {"binary": "holds"}}',
                                    reasons=reasons))
    return run(capsys, "sweep", str(path), "--quiet", *argv)


def test_md_shows_each_expectations_reason(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = sweep_reasons(capsys, tmp_path, '{"fast": "x is 0 or 1.", "slow": "Slowly, still 0 or 1."}',
                                 "--format", "md")
    assert code == 0
    assert "Why these verdicts are expected:\n\n- `fast`: x is 0 or 1.\n- `slow`: Slowly, still 0 or 1." in out


def test_reasons_show_only_where_expectations_are_compared(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    code, out, _ = sweep_reasons(capsys, tmp_path, '{"fast": "x is 0 or 1."}', "--format", "md",
                                 "--variant", "fast", "--set", "top=2")  # expectations are for top=1
    assert code == 0 and "Why these verdicts" not in out


def test_an_expectation_without_a_reason_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = sweep_reasons(capsys, tmp_path, '{"fast": "x is 0 or 1."}', "--format", "md",
                                 "--variant", "slow")
    assert code == 0
    assert "Why these verdicts are expected:\n\n- `slow`: no reason given (add a sentence" in out
    assert "x is 0 or 1." not in out  # `fast` is not in the table


@pytest.mark.parametrize(
    ("reasons", "fragment"),
    [
        ('{"fsat": "typo"}', "`reasons` names the variant 'fsat', which `expected` does not"),
        ('{"fast": ""}', "`reasons['fast']` is ''"),
        ('{"fast": 3}', "`reasons['fast']` is 3"),
    ],
)
def test_a_mistaken_reason_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, reasons: str,
                                      fragment: str) -> None:
    code, _, err = sweep_reasons(capsys, tmp_path, reasons)
    assert code == 2
    assert_one_line_error(err)
    assert fragment in err


def test_reasons_that_are_not_a_dict_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = sweep_reasons(capsys, tmp_path, '["x is 0 or 1."]')
    assert code == 2
    assert_one_line_error(err)
    assert "`reasons` is list" in err
