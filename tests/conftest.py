"""Session-wide test settings.

`JAVA_TOOL_OPTIONS=-XX:TieredStopAtLevel=1` for the TLC runs (tests/export/test_peers.py,
tests/export/test_tla_partial.py, tests/models/test_tla_examples.py): the JVM compiles with
its quick compiler only. TLC runs here are seconds long, much of it the JVM starting, and this
cuts their CPU time by a third to a half (measured once each: 1.5 s to 0.8 s on an async
termination probe, 9.4 s to 6.1 s on ebs.control_plane zone_cap's 95,828 states). It changes
how TLC's own code is compiled, not what TLC checks or prints on stdout (the JVM names the
option on stderr). Options already in JAVA_TOOL_OPTIONS are kept."""

from __future__ import annotations

import os
from typing import Iterator

import pytest

QUICK_JVM = "-XX:TieredStopAtLevel=1"


@pytest.fixture(scope="session", autouse=True)
def quick_jvm() -> Iterator[None]:
    before = os.environ.get("JAVA_TOOL_OPTIONS")
    os.environ["JAVA_TOOL_OPTIONS"] = f"{before} {QUICK_JVM}" if before else QUICK_JVM
    yield
    if before is None:
        os.environ.pop("JAVA_TOOL_OPTIONS", None)
    else:
        os.environ["JAVA_TOOL_OPTIONS"] = before
