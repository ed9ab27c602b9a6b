"""Loading models for the exporter tests."""

from __future__ import annotations

from replicheck.ir import Program
from replicheck.registry import load, parse_settings


def load_program(name: str, *settings: str, variant: str | None = None) -> Program:
    info = load(name)
    return info.cls(variant=variant, **parse_settings(info.cls, list(settings))).compile()


def checks_deadlock(name: str) -> bool:
    return bool(load(name).cls.check_deadlock)
