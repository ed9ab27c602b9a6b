"""replicheck.interrupts: a signal is an interrupt wherever it lands, even inside a ctypes call
(Z3's Python API makes one for every solver operation)."""

from __future__ import annotations

import ctypes
import os
import signal
from typing import Any, Iterator

import pytest

from replicheck import api, interrupts
from replicheck.report.results import INCOMPLETE


@pytest.fixture
def installed() -> Iterator[None]:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    interrupts.reset()
    interrupts.install()
    yield
    interrupts.reset()
    for sig, handler in before.items():
        signal.signal(sig, handler)


class SignalsWhileConverted:
    """A ctypes argument whose conversion is where the signal lands."""

    def __init__(self, sig: signal.Signals) -> None:
        self.sig = sig

    @property
    def _as_parameter_(self) -> int:
        os.kill(os.getpid(), self.sig)
        return 1


def c_abs() -> Any:
    """The C library's abs, declared to take an int (ctypes converts its argument)."""
    absolute = ctypes.CDLL(None).abs
    absolute.argtypes = [ctypes.c_int]
    return absolute


def interrupted_ctypes_call(sig: signal.Signals) -> ctypes.ArgumentError:
    with pytest.raises(ctypes.ArgumentError) as caught:
        c_abs()(SignalsWhileConverted(sig))
    return caught.value


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_ctypes_call_is_recognised_as_the_interrupt(installed: None, sig: signal.Signals) -> None:
    err = interrupted_ctypes_call(sig)
    assert interrupts.raised_inside_native_code(err)
    assert interrupts.received() == sig.name


def test_a_ctypes_error_without_a_signal_is_not_an_interrupt(installed: None) -> None:
    with pytest.raises(ctypes.ArgumentError) as caught:
        c_abs()("not a number")
    assert not interrupts.raised_inside_native_code(caught.value)
    with pytest.raises(ctypes.ArgumentError), interrupts.through_native_calls():
        c_abs()("not a number")


def test_through_native_calls_raises_the_interrupt_again(installed: None) -> None:
    with pytest.raises(interrupts.Interrupted) as caught, interrupts.through_native_calls():
        c_abs()(SignalsWhileConverted(signal.SIGTERM))
    assert caught.value.signal_name == "SIGTERM"


def test_prove_interrupted_inside_the_solver_api_is_incomplete_not_an_error(
    installed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import replicheck.symbolic as symbolic

    def bmc_interrupted_in_a_z3_call(*args: object, **kwargs: object) -> None:
        raise interrupted_ctypes_call(signal.SIGINT)

    monkeypatch.setattr(symbolic, "bmc", bmc_interrupted_in_a_z3_call)
    result = api.prove("classic.die_hard", bmc=5)
    assert result.verdicts and set(result.verdicts.values()) == {INCOMPLETE}
    assert result.exit_code == 3
    assert "interrupted (SIGINT)" in result.details.stats.stop_reason
