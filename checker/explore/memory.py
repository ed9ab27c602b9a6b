"""How much memory a process holds: resident now and at its peak.

Owns: `resident_bytes` (a process's resident set now, from /proc on Linux) and
`peak_resident_bytes` (this process's peak, from getrusage). The engines' `--max-memory`
checks and their `peak_memory` statistics read these.

Must not import: z3, numpy, hypothesis; nothing of checker.
"""

from __future__ import annotations

import os
import resource


def peak_resident_bytes() -> int:
    """This process's peak resident memory so far."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def resident_bytes(pid: int | None = None) -> int:
    """The resident memory of process `pid` now (None: this one). Without /proc (not
    Linux): this process's peak, or 0 for another process."""
    try:
        with open(f"/proc/{'self' if pid is None else pid}/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return peak_resident_bytes() if pid is None else 0


__all__ = ["peak_resident_bytes", "resident_bytes"]
