"""Ctrl-C and SIGTERM: one way for every phase of a run to stop and report what it knows.

Owns: `install()` (the CLI calls it once: SIGINT and SIGTERM both raise `Interrupted`, a
`KeyboardInterrupt`, so every phase that already stops cleanly on Ctrl-C, with its partial
summary, does so on SIGTERM too), `through_native_calls()` (an interrupt that ctypes reported
as an `ArgumentError` is raised again as the interrupt), `received()` (the name of the signal that interrupted
this process, or None: a loop over several runs, such as `sweep`, stops instead of starting the
next one) and `reset()` (for tests). A second signal interrupts again (a phase that is slow to
stop is stopped, with a shorter summary); the exit code of an interrupted run is 3
(incomplete).

Must not import: anything of replicheck (every package may import this module).
"""

from __future__ import annotations

import ctypes
import signal
from contextlib import contextmanager
from types import FrameType
from typing import Iterator

_received: str | None = None


class Interrupted(KeyboardInterrupt):
    """The run was interrupted by a signal (SIGINT or SIGTERM); `signal_name` says which."""

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


def _handler(signum: int, frame: FrameType | None) -> None:
    global _received
    name = signal.Signals(signum).name
    _received = _received or name
    raise Interrupted(name)


def install() -> None:
    """SIGINT and SIGTERM raise `Interrupted` in the main thread (once)."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _handler)


def note(err: BaseException | None = None) -> str:
    """Record an interrupt that arrived as a plain KeyboardInterrupt (the default SIGINT
    handler, a solver's own) and return the signal's name."""
    global _received
    if _received is None:
        _received = err.signal_name if isinstance(err, Interrupted) else "SIGINT"
    return _received


def raised_inside_native_code(err: BaseException) -> bool:
    """Is `err` an interrupt that native code turned into another error? A signal that lands
    while ctypes converts a call's arguments (Z3's Python API does so on every call) raises
    `Interrupted` inside that conversion, and ctypes reports it as an `ArgumentError` naming it."""
    return _received is not None and isinstance(err, ctypes.ArgumentError) and Interrupted.__name__ in str(err)


@contextmanager
def through_native_calls() -> Iterator[None]:
    """Inside, an interrupt that ctypes reported as an `ArgumentError` is raised again as the
    `Interrupted` it was, so every `except KeyboardInterrupt` that reports a partial result
    sees it."""
    try:
        yield
    except ctypes.ArgumentError as err:
        if not raised_inside_native_code(err):
            raise
        raise Interrupted(note()) from err


def received() -> str | None:
    """The signal that interrupted this process, or None."""
    return _received


def reset() -> None:
    global _received
    _received = None


__all__ = ["Interrupted", "install", "note", "received", "reset"]
