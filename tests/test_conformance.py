"""Conformance: the implementation in examples/volume_primary refines the ebs.election model.

A Hypothesis state machine drives the implementation through operations (the instance's
requests, the nodes' and the control plane's protocol rounds, faults and repairs). After
every operation the refinement map `abstract` reads the implementation's observable state
into a state of the model (`authority` variant), and the test checks that

- the first mapped state is an initial state of the model;
- each operation is a step of the model: the mapped state after it equals the mapped state
  before it (a stutter step) or is a successor of it under some enabled action instance;
- every invariant of the model holds in the mapped state.

The correct implementation passes. The buggy one (no fencing) fails, and Hypothesis shrinks
the failing sequence of operations; the failure message shows the mapped execution so far
in replicheck's trace format.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from examples.volume_primary import Cluster
from replicheck.backends.compiled import compile_program
from replicheck.explore.traces import replay_path
from replicheck.ir import Program, State
from replicheck.ir.types import BoolType, ElemType, EnumType, show
from replicheck.models.ebs.election import Election
from replicheck.report.text import render_trace

NODES, VOLUMES = 3, 1
MODEL = Election(variant="authority", Node=NODES, Volume=VOLUMES)
PROGRAM: Program = MODEL.compile()
COMPILED = compile_program(PROGRAM)
MAX_WRITES = int(PROGRAM.settings["max_writes"])
FAULT_BUDGET = int(PROGRAM.settings["fault_budget"])
NODE_NAMES = [f"n{i + 1}" for i in range(NODES)]
VOLUME_NAMES = [f"v{i + 1}" for i in range(VOLUMES)]


class RefinementError(AssertionError):
    def __init__(self, message: str, operations: list[str]) -> None:
        super().__init__(message)
        self.operations = operations


# -- the refinement map -------------------------------------------------------------------------


class Ghosts:
    """What the model tracks but the implementation need not: the fault budget spent, and
    whether a write was acknowledged by a primary the control plane had replaced."""

    def __init__(self) -> None:
        self.faults = 0
        self.stale_ack = {v: False for v in VOLUME_NAMES}


def observe(cluster: Cluster, ghosts: Ghosts) -> dict[str, Any]:
    """The implementation's observable state, keyed like the model's variables."""
    net, cp = cluster.network, cluster.control_plane
    view: dict[str, Any] = {
        "faults": ghosts.faults,
        "up": {n: n not in net.down for n in NODE_NAMES},
        "authority_link": {n: net.connected(n, "cp") for n in NODE_NAMES},
        "link": {(a, b): net.connected(a, b) for a in NODE_NAMES for b in NODE_NAMES},
    }
    for var in ("role", "ver", "epoch", "peer"):
        view[var] = {}
    for v in VOLUME_NAMES:
        for n in NODE_NAMES:
            r = cluster.nodes[n].replica(v)
            view["role"][v, n] = r.role.value
            view["ver"][v, n] = r.version
            view["epoch"][v, n] = r.epoch
            view["peer"][v, n] = r.peer
    view["cp_epoch"] = {v: cp.record(v).epoch for v in VOLUME_NAMES}
    view["cp_primary"] = {v: cp.record(v).primary for v in VOLUME_NAMES}
    view["cp_mirror"] = {v: cp.record(v).mirror for v in VOLUME_NAMES}
    view["target"] = {v: cluster.instance.target[v] for v in VOLUME_NAMES}
    view["acked"] = {v: cluster.instance.acked[v] for v in VOLUME_NAMES}
    view["stale_ack"] = dict(ghosts.stale_ack)
    return view


def encode(program: Program, view: dict[str, Any]) -> State:
    """A state of the model from plain values (the inverse of `Program.decode_state`)."""
    out = []
    for slot in program.slots:
        table = view[slot.var]
        if slot.key:
            names = tuple(t.names[k] if isinstance(t, ElemType) else k for t, k in zip(slot.key_types, slot.key))
            value = table[names[0] if len(names) == 1 else names]
        else:
            value = table
        t = slot.domain.type
        if isinstance(t, BoolType):
            out.append(int(bool(value)))
        elif isinstance(t, EnumType):
            out.append(t.values.index(value))
        elif isinstance(t, ElemType):
            out.append(-1 if value is None else t.names.index(value))
        else:
            out.append(int(value))
    return tuple(out)


def abstract(cluster: Cluster, ghosts: Ghosts) -> State:
    """The refinement map: implementation state -> model state."""
    return encode(PROGRAM, observe(cluster, ghosts))


# -- the test harness ---------------------------------------------------------------------------

names = st.sampled_from(NODE_NAMES)
volumes = st.sampled_from(VOLUME_NAMES)


class ConformanceMachine(RuleBasedStateMachine):
    buggy = False

    def __init__(self) -> None:
        super().__init__()
        self.cluster = Cluster(NODES, VOLUMES, buggy=self.buggy, max_epoch=int(PROGRAM.settings["max_epoch"]))
        self.ghosts = Ghosts()
        self.states: list[State] = []
        self.operations: list[str] = []

    # -- checking -----------------------------------------------------------------------------
    def fail(self, why: str, post: State | None = None) -> None:
        trace = replay_path(PROGRAM, self.states)  # the mapped execution so far is a model trace
        lines = [why, "", "operations on the implementation (stutter steps included):"]
        lines += [f"  {i + 1}. {op}" for i, op in enumerate(self.operations)]
        lines += ["", "the mapped execution (a trace of the model):", "", render_trace(trace).rstrip()]
        if post is not None:
            pre = self.states[-1]
            diff = [f"  {s.name}: {show(s.domain.type, pre[s.index])} -> {show(s.domain.type, post[s.index])}"
                    for s in PROGRAM.slots if pre[s.index] != post[s.index]]
            lines += ["", f"after {self.operations[-1]} the implementation's mapped state changed:", *diff]
        raise RefinementError("\n".join(lines), list(self.operations))

    def step(self, op: str) -> None:
        self.operations.append(op)
        post = abstract(self.cluster, self.ghosts)
        pre = self.states[-1]
        if post == pre:
            return  # a stutter step: nothing the model sees changed
        if post not in COMPILED.successors(pre):
            self.fail(f"refinement violated: `{op}` is not a step of {PROGRAM.name} ({PROGRAM.variant})", post)
        self.states.append(post)
        k = COMPILED.violated_invariant(post)
        if k >= 0:
            name = PROGRAM.invariants()[k].name
            self.fail(f"invariant {name} of the model is false in the implementation's mapped state")

    @initialize()
    def start(self) -> None:
        first = abstract(self.cluster, self.ghosts)
        assert first in COMPILED.initial_states(), "the implementation does not start in an initial state"
        self.states = [first]

    @invariant()
    def within_bounds(self) -> None:
        pass  # bounds are kept by the preconditions below; refinement is checked in `step`

    def created(self) -> bool:
        return any(self.cluster.control_plane.record(v).epoch > 0 for v in VOLUME_NAMES)

    # -- the instance ---------------------------------------------------------------------------
    @precondition(lambda self: not self.created())
    @rule(v=volumes, p=names, q=names)
    def create_volume(self, v: str, p: str, q: str) -> None:
        self.cluster.create_volume(v, p, q)
        self.step(f"create_volume({v}, {p}, {q})")

    @precondition(created)
    @rule(v=volumes)
    def write(self, v: str) -> None:
        target = self.cluster.instance.target[v]
        if target is None or self.cluster.nodes[target].replica(v).version >= MAX_WRITES:
            return  # the model bounds the writes; stay within its bounds
        stale = self.cluster.nodes[target].replica(v).epoch < self.cluster.control_plane.record(v).epoch
        if self.cluster.write(v) is not None and stale:
            self.ghosts.stale_ack[v] = True
        self.step(f"write({v})")

    @rule(v=volumes)
    def retarget(self, v: str) -> None:
        self.cluster.retarget(v)
        self.step(f"retarget({v})")

    # -- the protocol ---------------------------------------------------------------------------
    @precondition(created)
    @rule(n=names, v=volumes)
    def node_round(self, n: str, v: str) -> None:
        done = self.cluster.nodes[n].tick(v)
        self.step(f"{n}.tick({v})" + (f" -> {done}" if done else ""))

    def mirrorless_primary(self) -> bool:
        return any(r.role.value == "primary" and r.peer is None
                   for node in self.cluster.nodes.values() for r in node.replicas.values())

    @precondition(mirrorless_primary)
    @rule(v=volumes, p=names)
    def remirror(self, v: str, p: str) -> None:
        # the node picks its new mirror itself: the first node (by name) that takes the copy
        chosen = self.cluster.nodes[p].remirror(v, NODE_NAMES)
        self.step(f"{p}.remirror({v})" + (f" -> {chosen}" if chosen else ""))

    @precondition(created)
    @rule(v=volumes)
    def control_plane_round(self, v: str) -> None:
        self.cluster.control_plane.check_primary(v)
        self.step(f"control_plane.check_primary({v})")

    # -- faults (within the model's budget) and repairs -------------------------------------------
    def can_fault(self) -> bool:
        return self.ghosts.faults < FAULT_BUDGET

    @precondition(can_fault)
    @rule(a=names, b=names)
    def partition(self, a: str, b: str) -> None:
        if a == b or not self.cluster.network.connected(a, b):  # the model cuts live links only
            return
        self.ghosts.faults += 1
        self.cluster.partition(a, b)
        self.step(f"partition({a}, {b})")

    @rule(a=names, b=names)
    def heal(self, a: str, b: str) -> None:
        self.cluster.heal(a, b)
        self.step(f"heal({a}, {b})")

    @precondition(can_fault)
    @rule(n=names)
    def cut_authority(self, n: str) -> None:
        if not self.cluster.network.connected(n, "cp"):
            return
        self.ghosts.faults += 1
        self.cluster.cut_authority(n)
        self.step(f"cut_authority({n})")

    @rule(n=names)
    def heal_authority(self, n: str) -> None:
        self.cluster.heal_authority(n)
        self.step(f"heal_authority({n})")

    @precondition(can_fault)
    @rule(n=names)
    def crash(self, n: str) -> None:
        if n in self.cluster.network.down:
            return
        self.ghosts.faults += 1
        self.cluster.crash(n)
        self.step(f"crash({n})")

    @rule(n=names)
    def restart(self, n: str) -> None:
        if n not in self.cluster.network.down:
            return
        self.cluster.restart(n)
        self.step(f"restart({n})")


class BuggyConformanceMachine(ConformanceMachine):
    buggy = True


SETTINGS = settings(max_examples=300, stateful_step_count=25, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))

# The correct implementation refines the model: a plain pytest test that Hypothesis drives.
TestCorrectImplementationConforms = ConformanceMachine.TestCase
TestCorrectImplementationConforms.settings = SETTINGS


@pytest.mark.slow  # ~15 s, most of it Hypothesis shrinking the failing run
def test_buggy_implementation_is_caught_with_a_short_trace() -> None:
    with pytest.raises(RefinementError) as caught:
        run_state_machine_as_test(BuggyConformanceMachine, settings=SETTINGS)
    err = caught.value
    text = str(err)
    assert "Step 0: init (initial state)" in text  # the mapped execution, in replicheck's format
    assert "remirror" in text or "invariant" in text
    # shrunk: create, partition, mirror lost, keep primary, remirror is the shortest story
    assert len(err.operations) <= 8, text


def test_refinement_map_round_trips() -> None:
    cluster, ghosts = Cluster(NODES, VOLUMES), Ghosts()
    state = abstract(cluster, ghosts)
    assert state in COMPILED.initial_states()
    assert cluster.create_volume("v1", "n1", "n2")
    after = abstract(cluster, ghosts)
    assert PROGRAM.decode_state(after)["role"][("v1", "n1")] == "primary"
    assert after in COMPILED.successors(state)


def test_a_step_the_model_cannot_take_is_reported() -> None:
    machine = ConformanceMachine()
    machine.start()
    machine.cluster.instance.acked["v1"] = 1  # an acknowledgement out of nowhere
    with pytest.raises(RefinementError, match="not a step of ebs.election"):
        machine.step("acked out of nowhere")


def test_buggy_scenario_fails_and_correct_one_passes() -> None:
    """The shrunk story, replayed by hand: the primary dies, the control plane promotes the
    mirror, which re-mirrors. Without fencing the new mirror never registers."""

    def play(machine: ConformanceMachine) -> None:
        machine.start()
        machine.create_volume("v1", "n1", "n2")
        machine.crash("n1")
        machine.control_plane_round("v1")
        machine.remirror("v1", "n2")

    play(ConformanceMachine())  # refines the model
    with pytest.raises(RefinementError, match="n2.remirror"):
        play(BuggyConformanceMachine())
