"""TLA+ examples modelled in replicheck, each figure pinned to what TLC reports on the original.

The models: `classic.async_termination` (AsyncTerminationDetection from tlaplus/Examples'
ewd998, with its CONSTRAINT), `classic.ewd840` (EWD840, liveness under weak fairness and a
refinement) and `classic.missionaries_cannibals` (an invariant TLC finds violated). Their TLA+
originals are in tests/models/tla/ (see its README). Every figure below was measured with TLC
2.15 (rev d5b5a7f), `java -cp tla2tools.jar tlc2.TLC -workers 1 ...`; the slow `peers` tests
at the end run TLC again and check the same figures, so a pinned number is never only ours.

Beyond the three models, two probes check replicheck's @constraint against TLC's CONSTRAINT
where the two could differ: Probe.tla (invariants in states outside, initial states outside,
depth, deadlock at the edge, action properties on steps that leave, liveness under weak and
strong fairness whose actions lead outside) and ATDProbe.tla (AsyncTerminationDetection under
five fairness assumptions and six liveness properties).

On TLC's "states generated": TLC counts a successor once for every way its enumeration of the
action reaches it, and a conjunct that is a disjunction (`~active[i] \\/ color[i] = "black"
\\/ ...`) is enumerated disjunct by disjunct, so one step whose guard has two true disjuncts is
generated twice. replicheck's `transitions` counts each (state, action instance) step once:
it equals TLC's figure less the initial states for AsyncTerminationDetection (whose guards
have no disjunction) and is smaller by exactly the repeated disjuncts for the other two
(computed by hand below).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

import replicheck as r
from replicheck.cli import main
from replicheck.export import export_tla
from replicheck.export.peers import missing_tlc, run_tlc, tla2tools_jar
from replicheck.export.tla import TlaExport
from replicheck.lang import (
    Model,
    Range,
    action,
    action_property,
    always_eventually,
    constraint,
    eventually,
    eventually_always,
    exists,
    forall,
    invariant,
    leads_to,
    liveness,
    require,
)
from replicheck.models.classic.async_termination import AsyncTerminationDetection
from replicheck.models.classic.ewd840 import EWD840, Color, Passer
from replicheck.registry import load
from tests.cli.helpers import run

TLA = Path(__file__).parent / "tla"
ENGINES = ["scalar", "batch"]


# -- the three models, as `replicheck check` reports them ---------------------------------


@dataclass(frozen=True)
class Figures:
    """What TLC reports for a spec, and what replicheck must report for its model."""

    tla: str  # the module in tests/models/tla/
    cfg: str  # its TLC configuration
    tlc_flags: tuple[str, ...]
    initial: int
    generated: int  # TLC's "states generated" (initial states included)
    distinct: int
    depth: int
    transitions: int  # replicheck's: generated - initial - TLC's repeated disjuncts
    outside: int | None  # states outside the @constraint (checked, not explored)
    verdicts: dict[str, str]  # replicheck property -> verdict
    trace_steps: dict[str, int]  # replicheck property -> steps of its counterexample


def _cfg(name: str) -> str:
    # TLC 2.15 rejects the CHECK_DEADLOCK keyword of EWD840.cfg; `-deadlock` says the same
    return "".join(line for line in (TLA / name).read_text().splitlines(True) if "CHECK_DEADLOCK" not in line)


FIGURES = {
    # N = 4, CONSTRAINT pending[n] <= 3: 16 * 4^4 states with termination not yet detected,
    # plus the terminated one with it detected; the 3,840 outside have a fourth message.
    "classic.async_termination": Figures(
        "AsyncTerminationDetection", _cfg("AsyncTerminationDetection.cfg"), (),
        initial=17, generated=53_271, distinct=4_097, depth=14, transitions=53_271 - 17, outside=3_840,
        verdicts={"type_ok": "holds", "safe": "holds", "quiescence": "holds", "deadlock": "holds", "live": "holds"},
        trace_steps={},
    ),
    # N = 3; TLC's 2,001 generated = 192 initial + 1,625 steps + 184 repeated disjuncts of the
    # guards of InitiateProbe and PassToken (counted over the reachable states by hand).
    "classic.ewd840": Figures(
        "EWD840", _cfg("EWD840.cfg"), ("-deadlock",),
        initial=192, generated=2_001, distinct=302, depth=9, transitions=1_625, outside=None,
        verdicts={
            "type_ok": "holds", "termination_detection": "holds", "inv": "holds", "refines_sync_next": "holds",
            "termination_eventually_detected": "holds", "refines_sync_fairness": "holds",
        },
        trace_steps={},
    ),
    # -continue; TLC's 283 generated = 1 initial + 252 steps + 30 repeated disjuncts of IsSafe
    # (a bank with no missionary satisfies both of its disjuncts). The shortest violation of
    # Solution: TLC prints 12 states, 11 crossings.
    "classic.missionaries_cannibals": Figures(
        "MissionariesAndCannibals", _cfg("MissionariesAndCannibals.cfg"), ("-continue",),
        initial=1, generated=283, distinct=64, depth=13, transitions=252, outside=None,
        verdicts={"type_ok": "holds", "solution": "violated", "deadlock": "holds"},
        trace_steps={"solution": 11},
    ),
}
MODELS = list(FIGURES)


def _check_json(*argv: str) -> dict:
    """`replicheck check ARGV --json`, in-process; the exit code added as "exit_code"."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(["check", *argv, "--json", "-q"])
    result = json.loads(out.getvalue())
    assert result["exit_code"] == code
    return result


@pytest.fixture(scope="module")
def cli_results() -> dict[tuple[str, str], dict]:
    return {(m, e): _check_json(m, "--continue", "--engine", e) for m in MODELS for e in ENGINES}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("model", MODELS)
def test_the_counts_are_tlcs(cli_results, model: str, engine: str) -> None:
    want, stats = FIGURES[model], cli_results[model, engine]["stats"]
    assert stats["complete"]
    assert stats["initial_states"] == want.initial
    assert stats["distinct_states"] == want.distinct
    assert stats["depth"] == want.depth
    assert stats["transitions"] == want.transitions
    assert stats["constrained_states"] == want.outside


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("model", MODELS)
def test_every_verdict_is_tlcs(cli_results, model: str, engine: str) -> None:
    want, result = FIGURES[model], cli_results[model, engine]
    got = {v["property"]: v["status"] for v in result["verdicts"]}
    assert got == want.verdicts
    steps = {v["property"]: v["trace_length"] for v in result["verdicts"] if v["status"] == "violated"}
    assert steps == want.trace_steps
    assert result["exit_code"] == (1 if "violated" in want.verdicts.values() else 0)


def test_the_model_list_shows_each_docstring(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    for model in MODELS:
        module = importlib.import_module(load(model).cls.__module__)
        first_line = (module.__doc__ or "").strip().splitlines()[0]
        assert f"{model}  {first_line}\n" in out


def test_the_solution_is_a_solution() -> None:
    """Replayed outside replicheck: the boat alternates banks with one or two people, no bank
    ever has missionaries outnumbered, and everyone ends on the west bank."""
    trace = r.check("classic.missionaries_cannibals").traces["solution"]
    assert len(trace) == 11
    for i in range(len(trace.steps)):
        state = trace.decoded(i)
        assert state["bank_of_boat"] == ("E", "W")[i % 2]
        for bank in ("E", "W"):
            here = [p for (b, p), there in state["who_is_on_bank"].items() if b == bank and there]
            missionaries = sum(p.startswith("m") for p in here)
            assert missionaries == 0 or len(here) - missionaries <= missionaries, (i, bank, here)
        if i:
            before = trace.decoded(i - 1)["who_is_on_bank"]
            moved = [k for k, v in state["who_is_on_bank"].items() if v and not before[k]]
            assert 1 <= len(moved) <= 2
    assert not any(there for (b, _), there in trace.decoded(11)["who_is_on_bank"].items() if b == "E")


# -- the properties have teeth: a bug TLC finds, found the same way ------------------------


class EWD840Unstained(EWD840):
    """EWD840 with PassToken not staining the token (`tcolor' = tcolor`): a black node's
    activity goes unreported."""

    name = "test.ewd840_unstained"

    @action(fair="weak")
    def pass_token(self, s, i: Passer):
        require((s.tpos == i) & (~s.active[i] | (s.color[i] == Color.black) | (s.tcolor == Color.black)))
        s.tpos = i - 1
        s.color[i] = Color.white


# TLC -continue on EWD840.tla with that change (N = 3): 320 distinct states, depth 9; Inv is
# first violated by a 3-state trace, TerminationDetection by a 4-state one, TDSpec's
# [][Next]_vars by a 4-state one; Liveness still holds (TLC run with Liveness alone).
UNSTAINED = {
    "type_ok": ("holds", None),
    "inv": ("violated", 2),
    "termination_detection": ("violated", 3),
    "refines_sync_next": ("violated", 3),
    "termination_eventually_detected": ("holds", None),
    "refines_sync_fairness": ("holds", None),
}


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unstained_token_is_caught_as_tlc_catches_it(engine: str) -> None:
    res = r.check(EWD840Unstained, stop_at_first=False, engine=engine)
    assert (res.stats.distinct_states, res.stats.depth) == (320, 9)
    for prop, (status, steps) in UNSTAINED.items():
        assert res.verdicts[prop] == status, prop
        if steps is not None:
            assert len(res.traces[prop]) == steps, prop


# -- Probe.tla: TLC's CONSTRAINT, case by case ----------------------------------------------

X0 = Range(0, 4)


class Probe(Model):
    """Probe.tla: x counts up, y toggles, and the constraint x <= 1."""

    check_deadlock = False  # in Probe.tla every state but SpecStop's has a successor
    x = Range(0, 5, init=0)
    y = Range(0, 1, init=0)

    @constraint
    def constr(self, s):
        return s.x <= 1

    @action
    def b(self, s):
        s.y = 1 - s.y


class NoFair(Probe):
    @action
    def a(self, s):
        s.x += 1

    @liveness
    def ev_x1(self, s):
        return eventually(s.x == 1)


class WF(Probe):
    @action(fair="weak")
    def a(self, s):
        s.x += 1

    @liveness
    def ev_x1(self, s):
        return eventually(s.x == 1)

    @liveness
    def ev_x2(self, s):
        return eventually(s.x == 2)

    @liveness
    def always_ev_y0(self, s):
        return always_eventually(s.y == 0)

    @liveness
    def leads_y(self, s):
        return leads_to(s.x == 1, s.y == 1)

    @action_property
    def step_bound(self, s, t):
        return t.x <= 1


class GWF(Probe):
    @action(fair="weak")
    def a(self, s):
        require(s.y == 1)
        s.x += 1

    @liveness
    def ev_x2(self, s):
        return eventually(s.x == 2)


class GWF2(GWF):
    b = action(Probe.b, fair="weak")

    @liveness
    def leads_y(self, s):
        return leads_to(s.x == 1, s.y == 1)


class GSF2(Probe):
    b = action(Probe.b, fair="weak")

    @action(fair="strong")
    def a(self, s):
        require(s.y == 1)
        s.x += 1

    @liveness
    def ev_x2(self, s):
        return eventually(s.x == 2)


class WideNoFair(Probe):
    def init(self, s, x0: X0):
        s.x = x0
        s.y = 0

    @action
    def a(self, s):
        s.x += 1

    @liveness
    def ev_x1(self, s):
        return eventually(s.x == 1)


class Wide(WideNoFair):
    a = action(WideNoFair.a, fair="weak")

    @invariant
    def inv_x3(self, s):
        return s.x != 3

    @invariant
    def inv_x2(self, s):
        return s.x != 2

    @liveness
    def ev_low(self, s):
        return eventually(s.x <= 1)


class Stop(Model):
    x = Range(0, 3, init=0)
    y = Range(0, 1, init=0)

    @action
    def a_stop(self, s):
        require(s.x < 2)
        s.x += 1

    @constraint
    def constr(self, s):
        return s.x <= 1


class StopFree(Model):
    x = Range(0, 3, init=0)
    y = Range(0, 1, init=0)

    @action
    def a_stop(self, s):
        require(s.x < 2)
        s.x += 1


# (id, TLC cfg with CONSTRAINT Constr added unless the id says otherwise, replicheck model and
# property, TLC's verdict, steps of TLC's trace for a safety violation)
PROBES = [
    ("no_fairness", "SPECIFICATION SpecNoFair\nPROPERTY EvX1", NoFair, "ev_x1", "violated", None),
    # WF(A), and A leads outside from x = 1: stuttering there is unfair, as TLC's ENABLED A
    # holds; so these hold, EvX2 vacuously (x = 2 is never in the graph)
    ("wf_ev_x1", "SPECIFICATION SpecWF\nPROPERTY EvX1", WF, "ev_x1", "holds", None),
    ("wf_ev_x2", "SPECIFICATION SpecWF\nPROPERTY EvX2", WF, "ev_x2", "holds", None),
    ("wf_always_ev_y0", "SPECIFICATION SpecWF\nPROPERTY AlwaysEvY0", WF, "always_ev_y0", "holds", None),
    ("wf_leads_y", "SPECIFICATION SpecWF\nPROPERTY LeadsY", WF, "leads_y", "holds", None),
    # an action property is checked on the step that leaves the constraint
    ("wf_step_bound", "SPECIFICATION SpecWF\nPROPERTY StepBound", WF, "step_bound", "violated", 2),
    # A enabled only when y = 1: with B weakly fair too, B toggling y at x = 1 is fair to A
    # under WF, and unfair under SF
    ("guarded_wf", "SPECIFICATION SpecGWF\nPROPERTY EvX2", GWF, "ev_x2", "violated", None),
    ("guarded_wf_b_fair", "SPECIFICATION SpecGWF2\nPROPERTY EvX2", GWF2, "ev_x2", "violated", None),
    ("guarded_wf_b_fair_leads_y", "SPECIFICATION SpecGWF2\nPROPERTY LeadsY", GWF2, "leads_y", "holds", None),
    ("guarded_sf_b_fair", "SPECIFICATION SpecGSF2\nPROPERTY EvX2", GSF2, "ev_x2", "holds", None),
    # initial states outside the constraint: checked against the invariants, not explored,
    # not in the liveness graph (EvLow would fail from x = 3 if they were)
    ("wide_inv_x3", "SPECIFICATION SpecWideWF\nINVARIANT InvX3", Wide, "inv_x3", "violated", 0),
    ("wide_inv_x2", "SPECIFICATION SpecWideWF\nINVARIANT InvX2", Wide, "inv_x2", "violated", 0),
    ("wide_ev_x1", "SPECIFICATION SpecWideWF\nPROPERTY EvX1", Wide, "ev_x1", "holds", None),
    ("wide_ev_low", "SPECIFICATION SpecWideWF\nPROPERTY EvLow", Wide, "ev_low", "holds", None),
    ("wide_no_fairness", "SPECIFICATION SpecWideNoFair\nPROPERTY EvX1", WideNoFair, "ev_x1", "violated", None),
    # a state whose only successor is outside is no deadlock; without the constraint it is
    ("stop_at_constraint", "SPECIFICATION SpecStop", Stop, "deadlock", "holds", None),
    ("stop_without_constraint", "SPECIFICATION SpecStop", StopFree, "deadlock", "violated", 2),
]
# TLC's distinct states and depth for each probe model (complete runs)
PROBE_COUNTS = {NoFair: (4, 3), WF: (4, 3), GWF: (4, 4), GWF2: (4, 4), GSF2: (4, 4), Wide: (4, 2),
                WideNoFair: (4, 2), Stop: (2, 2), StopFree: (3, 3)}


def _probe_check(cls: type[Model], engine: str) -> r.Result:
    deadlock = cls in (Stop, StopFree)
    return r.check(cls, stop_at_first=False, engine=engine, deadlock=deadlock)


@pytest.fixture(scope="module")
def probe_results() -> dict[tuple[type[Model], str], r.Result]:
    return {(cls, e): _probe_check(cls, e) for cls in PROBE_COUNTS for e in ENGINES}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("pid", "cfg", "cls", "prop", "verdict", "steps"), PROBES, ids=[p[0] for p in PROBES])
def test_a_constraint_means_what_tlcs_does(probe_results, pid, cfg, cls, prop, verdict, steps, engine) -> None:
    res = probe_results[cls, engine]
    assert res.verdicts[prop] == verdict
    if steps is not None:
        assert len(res.traces[prop]) == steps
    assert (res.stats.distinct_states, res.stats.depth) == PROBE_COUNTS[cls]


# -- ATDProbe.tla: AsyncTerminationDetection under more fairness ----------------------------


class ATDProps(AsyncTerminationDetection):
    N: int = 3  # 513 distinct states, as TLC counts with N = 3

    @liveness
    def l1(self, s):
        return leads_to(self.terminated(s), s.termination_detected)

    @liveness
    def l2(self, s):
        return eventually(self.terminated(s))

    @liveness
    def l3(self, s):
        return always_eventually(forall(self.nodes(), lambda n: s.pending[n] == 0))

    @liveness
    def l4(self, s):
        return eventually_always(forall(self.nodes(), lambda n: ~s.active[n]))

    @liveness
    def l5(self, s):
        return leads_to(exists(self.nodes(), lambda n: s.active[n]), self.terminated(s))

    @liveness
    def l6(self, s):
        return leads_to(exists(self.nodes(), lambda n: s.pending[n] > 0),
                        forall(self.nodes(), lambda n: s.pending[n] == 0))


class S0(ATDProps):
    detect_termination = action(AsyncTerminationDetection.detect_termination)  # no fairness


class S1(ATDProps):
    pass


class S2(ATDProps):
    rcv_msg = action(AsyncTerminationDetection.rcv_msg, fair="weak")


class S3(ATDProps):
    send_msg = action(AsyncTerminationDetection.send_msg, fair="weak")


class S4(ATDProps):
    rcv_msg = action(AsyncTerminationDetection.rcv_msg, fair="strong")


ATD_SPECS = {"S0": S0, "S1": S1, "S2": S2, "S3": S3, "S4": S4}
# TLC, one run per spec and property (CONSTANT N = 3, CONSTRAINT StateConstraint, -deadlock):
# only Live holds, and only with WF(DetectTermination); every run 4,238 generated, 513 distinct
ATD_TLC = {
    spec: {f"L{k}": ("holds" if k == 1 and spec != "S0" else "violated") for k in range(1, 7)}
    for spec in ATD_SPECS
}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("spec", list(ATD_SPECS))
def test_async_termination_liveness_under_more_fairness_is_tlcs(spec: str, engine: str) -> None:
    res = r.check(ATD_SPECS[spec], stop_at_first=False, engine=engine)
    assert res.stats.distinct_states == 513
    assert {k.upper(): v for k, v in res.verdicts.items() if re.fullmatch(r"l\d", k)} == ATD_TLC[spec]
    assert res.verdicts["live"] == ATD_TLC[spec]["L1"]


# -- the peers: TLC itself ------------------------------------------------------------------


@dataclass
class TlcRun:
    output: str
    generated: int | None
    distinct: int | None
    depth: int | None
    initial: int | None

    @property
    def verdict(self) -> str:
        if re.search(r"is violated|Temporal properties were violated|Deadlock reached", self.output):
            return "violated"
        return "holds" if "No error has been found" in self.output else "error"

    def first_trace_states(self) -> int:
        """States of the first trace TLC prints (a safety trace: TLC's length, one more than steps)."""
        if "is violated by the initial state" in self.output:
            return 1
        block = self.output.split("Error: The behavior up to this point is:", 1)[-1]
        block = re.split(r"\n(?:Error:|\d+ states generated)", block, maxsplit=1)[0]
        return len(re.findall(r"^State \d+:", block, re.M))


def _number(pattern: str, text: str) -> int | None:
    found = re.findall(pattern, text)
    return int(found[-1].replace(",", "")) if found else None


def tlc(tmp_path: Path, module: str, cfg: str, *flags: str) -> TlcRun:
    jar = tla2tools_jar()
    for f in TLA.glob("*.tla"):
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "run.cfg").write_text(cfg)
    cmd = ["java", "-XX:+UseParallelGC", "-cp", str(jar), "tlc2.TLC", "-workers", "1", "-nowarning",
           "-metadir", str(tmp_path / "states"), *flags, "-config", "run.cfg", f"{module}.tla"]
    text = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300).stdout
    return TlcRun(
        text,
        _number(r"([\d,]+) states generated", text),
        _number(r"([\d,]+) distinct states found", text),
        # after a liveness violation TLC prints no depth line, but its last Progress(depth)
        _number(r"depth of the complete state graph search is ([\d,]+)", text) or _number(r"Progress\((\d+)\)", text),
        _number(r"Finished computing initial states: ([\d,]+) distinct state", text),
    )


@pytest.fixture
def tlc_ok() -> None:
    reason = missing_tlc()
    if reason:
        pytest.skip(reason)


@pytest.mark.slow
@pytest.mark.peers
@pytest.mark.parametrize("model", MODELS)
def test_tlc_on_the_original_reports_the_pinned_figures(tlc_ok: None, tmp_path: Path, model: str) -> None:
    want = FIGURES[model]
    got = tlc(tmp_path, want.tla, want.cfg, *want.tlc_flags)
    assert (got.initial, got.generated, got.distinct, got.depth) == (
        want.initial, want.generated, want.distinct, want.depth), got.output[-3000:]
    assert got.verdict == ("violated" if "violated" in want.verdicts.values() else "holds"), got.output[-3000:]
    for prop, steps in want.trace_steps.items():
        assert got.first_trace_states() == steps + 1, prop


@pytest.mark.slow
@pytest.mark.peers
@pytest.mark.parametrize(("pid", "cfg", "cls", "prop", "verdict", "steps"), PROBES, ids=[p[0] for p in PROBES])
def test_tlc_on_the_probes_gives_the_pinned_verdicts(tlc_ok, tmp_path, pid, cfg, cls, prop, verdict, steps) -> None:
    text = cfg + ("" if pid.endswith("without_constraint") else "\nCONSTRAINT Constr") + "\n"
    got = tlc(tmp_path, "Probe", text)
    assert got.verdict == verdict, got.output[-3000:]
    if steps is not None:
        assert got.first_trace_states() == steps + 1
    if verdict == "holds" or steps is None:  # TLC explored everything
        assert (got.distinct, got.depth) == PROBE_COUNTS[cls], got.output[-3000:]


@pytest.mark.slow
@pytest.mark.peers
@pytest.mark.parametrize("spec", list(ATD_SPECS))
def test_tlc_on_the_async_termination_probe_gives_the_pinned_verdicts(tlc_ok, tmp_path, spec) -> None:
    for prop, verdict in ATD_TLC[spec].items():
        cfg = f"SPECIFICATION {spec}\nCONSTANT N = 3\nCONSTRAINT StateConstraint\nPROPERTY {prop}\n"
        (tmp_path / prop).mkdir()
        got = tlc(tmp_path / prop, "ATDProbe", cfg, "-deadlock")
        assert got.verdict == verdict, (prop, got.output[-3000:])
        assert got.distinct == 513


def _export(model: str, liveness: bool) -> TlaExport:
    """The model's TLA+ export; with liveness, its cfg runs Spec (with the fairness) and
    checks the liveness properties too."""
    program = load(model).cls().compile()
    export = export_tla(program, deadlock=bool(load(model).cls.check_deadlock))
    if not liveness:
        return export
    names = [p.name for p in program.liveness()]
    cfg = export.cfg.replace("INIT Init\nNEXT Next\n", "SPECIFICATION Spec\n") + "PROPERTY\n" + "".join(
        f"    {n}\n" for n in names)
    return replace(export, cfg=cfg)


@pytest.mark.slow
@pytest.mark.peers
def test_the_exported_ewd840_under_tlc_agrees(tlc_ok: None, tmp_path: Path) -> None:
    run_ = run_tlc(_export("classic.ewd840", liveness=True), str(tmp_path))
    assert run_.errors == [], run_.output[-3000:]
    assert (run_.distinct_states, run_.depth) == (302, 9)
    assert "Checking 2 branches of temporal properties" in run_.output  # the liveness was checked


@pytest.mark.slow
@pytest.mark.peers
def test_the_exported_missionaries_under_tlc_find_the_solution(tlc_ok: None, tmp_path: Path) -> None:
    run_ = run_tlc(_export("classic.missionaries_cannibals", liveness=False), str(tmp_path))
    assert run_.violations == [("invariant", "solution")], run_.output[-3000:]
    assert run_.trace_lengths == [12]  # TLC's states: the initial one and 11 steps, as replicheck's


@pytest.mark.slow
@pytest.mark.peers
def test_the_exported_async_termination_under_tlc_agrees(tlc_ok: None, tmp_path: Path) -> None:
    run_ = run_tlc(_export("classic.async_termination", liveness=True), str(tmp_path))
    assert run_.errors == [], run_.output[-3000:]
    assert (run_.distinct_states, run_.depth) == (4_097, 14)
