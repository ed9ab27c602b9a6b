"""Colour on a terminal, plain text elsewhere, and none at all when NO_COLOR is set."""

from __future__ import annotations

import os
import pty
import subprocess
import sys

import pytest


def output_on_a_terminal(env_extra: dict[str, str]) -> str:
    """What `replicheck check classic.die_hard` writes to a pseudo-terminal."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | env_extra
    proc = subprocess.Popen([sys.executable, "-m", "replicheck", "check", "classic.die_hard", "--quiet"],
                            stdout=follower, stderr=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the follower side closed
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_a_terminal_gets_colour() -> None:
    text = output_on_a_terminal({})
    assert "Counterexample to big_is_not_4" in text
    assert "\x1b[" in text


@pytest.mark.slow
def test_no_color_turns_colour_off_on_a_terminal() -> None:
    text = output_on_a_terminal({"NO_COLOR": "1"})
    assert "Counterexample to big_is_not_4" in text
    assert "\x1b[" not in text


def test_a_pipe_gets_plain_text() -> None:
    out = subprocess.run([sys.executable, "-m", "replicheck", "check", "classic.die_hard", "--quiet"],
                         capture_output=True, text=True)
    assert "Counterexample to big_is_not_4" in out.stdout and "\x1b[" not in out.stdout
