"""Exporters: a traced model as a TLA+ module (with its TLC configuration) or a Promela model.

Owns: `export` (one entry point by format), the TLA+ exporter (`tla`), the Promela exporter
(`promela`), what their operator tables share (`rules`: one entry per IR primitive, a rule or
an explicit `Unsupported` refusal), and `peers` (finding and running TLC and Spin on the exported files, parsing
their state counts). Exporters read only the IR: they never evaluate the model.

Must not import: replicheck.lang, replicheck.backends, replicheck.explore, replicheck.symbolic,
replicheck.report; no z3, numpy or hypothesis.
"""

from __future__ import annotations

from typing import Iterable

from replicheck.ir import Program

from .common import ExportError
from .promela import PromelaExport, export_promela
from .tla import TlaExport, export_tla

FORMATS = ("tla", "promela")


def export(program: Program, fmt: str, *, deadlock: bool = False, skip: Iterable[str] = ()) -> dict[str, str]:
    """The files (name -> text) of `program` exported in format `fmt` ("tla" or "promela")."""
    if fmt == "tla":
        return export_tla(program, deadlock=deadlock, skip=skip).files()
    if fmt == "promela":
        return export_promela(program, deadlock=deadlock, skip=skip).files()
    raise ExportError(f"unknown export format {fmt!r}; expected one of {', '.join(FORMATS)}")


__all__ = ["ExportError", "FORMATS", "PromelaExport", "TlaExport", "export", "export_promela", "export_tla"]
