"""Explaining a violation: which conjunct, which element of an expanded quantifier, which side
of an implication made an invariant false, with the values read. Expectations checked by hand
against the models' source (rds.multi_az, ebs.election)."""

from __future__ import annotations

from replicheck.explore import CheckOptions
from replicheck.explore.full import check_model
from replicheck.ir import Program
from replicheck.lang import (
    Bool,
    Enum,
    Map,
    Model,
    Range,
    Sort,
    Var,
    action,
    count,
    forall,
    implies,
    invariant,
)
from replicheck.models.ebs.election import Election
from replicheck.models.rds.multi_az import MultiAZ
from replicheck.report.explain import explain, explain_verdict, explanation_lines
from replicheck.report.markdown import render_trace_md
from replicheck.report.results import HOLDS, VIOLATED, Trace, Verdict
from replicheck.report.text import render_trace

from .helpers import die_hard_solution, path_trace

LOST_COMMIT = ["partition(a=db1, b=db2)", "commit(p=db1)", "stick(n=db1)", "failover(p=db1, q=db2)"]


def multi_az_lost_commit() -> tuple[Trace, Verdict]:
    trace = path_trace(MultiAZ(variant="naive_failover").compile(), LOST_COMMIT)
    return trace, Verdict("no_committed_loss", "invariant", VIOLATED, "", trace)


def first_violation(program: Program, prop: str) -> tuple[Trace, Verdict]:
    result = check_model(program, CheckOptions(only=frozenset({prop}), deadlock=False))
    v = result.first_violation()
    assert v is not None and v.trace is not None and v.property == prop
    return v.trace, v


def test_the_lost_commit_is_explained_by_the_promoted_replica_and_the_values() -> None:
    trace, verdict = multi_az_lost_commit()
    [e] = explain_verdict(trace, verdict)
    # forall(r: role[r] == primary => log[r] >= acked): db1 is demoted (its conjunct holds);
    # db2 was promoted with log 0 while one commit was acknowledged.
    assert e.sentence() == "no_committed_loss fails for db2: role[db2] = primary, but log[db2] = 0 < acked = 1"
    assert e.elements == ("db2",)
    assert e.premises == ("role[db2] = primary",)
    assert e.culprit == "log[db2] = 0 < acked = 1"
    assert e.conjunct == "(role[db2] == primary) => (log[db2] >= acked)"
    assert dict(e.values) == {"role[db2]": "primary", "log[db2]": "0", "acked": "1"}
    names = {trace.program.slots[i].name for i in e.slots}
    assert names == {"role[db2]", "log[db2]", "acked"}


def test_a_state_where_the_invariant_holds_has_no_explanation() -> None:
    trace, _ = multi_az_lost_commit()
    prop = next(p for p in trace.program.invariants() if p.name == "no_committed_loss")
    for step in trace.steps[:-1]:  # before the failover every primary has every commit
        assert explain(trace.program, prop.name, prop.expr, step.state) == []
    assert len(explain(trace.program, prop.name, prop.expr, trace.steps[-1].state)) == 1


def test_election_two_primaries_in_the_same_epoch_names_both_nodes() -> None:
    trace, verdict = first_violation(Election(variant="self_promote").compile(), "single_primary")
    last = trace.decoded(len(trace.steps) - 1)
    assert last["role"][("v1", "n1")] == last["role"][("v1", "n2")] == "primary"
    assert last["epoch"][("v1", "n1")] == last["epoch"][("v1", "n2")] == 2
    [e] = explain_verdict(trace, verdict)
    assert e.sentence() == (
        "single_primary fails for n1, n2: role[v1, n1] = primary and role[v1, n2] = primary, "
        "but epoch[v1, n1] = epoch[v1, n2] = 2"
    )


def test_election_acked_write_lost_on_the_new_primary() -> None:
    trace, verdict = first_violation(Election(variant="no_fencing").compile(), "no_acked_write_lost")
    [e] = explain_verdict(trace, verdict)
    assert e.sentence() == (
        "no_acked_write_lost fails for n2: target[v1] = n2 and role[v1, n2] = primary, but ver[v1, n2] = 0 < acked[v1] = 1"
    )


def test_a_negated_conjunct_is_explained_by_the_flag_that_is_set() -> None:
    # single_primary = ~stale_ack[v1] & (pairwise epochs differ): without fencing the old
    # primary acknowledges a write after the control plane moved on.
    trace, verdict = first_violation(Election(variant="no_fencing").compile(), "single_primary")
    [e] = explain_verdict(trace, verdict)
    assert e.sentence() == "single_primary fails: stale_ack[v1] = true"
    assert e.elements == ()


Color = Enum("Color", "red", "green")
Node = Sort("Node", default=3)


class Lights(Model):
    """Every node green, and the counter below 2: a conjunction with several false parts."""

    name = "test.lights"
    Node = Node
    color = Map(Node, Color, init=Color.green)
    n = Range(0, 3, init=0)
    mode = Var(Color, init=Color.green)

    @action
    def turn_red(self, s, x: Node):
        s.color[x] = Color.red
        s.n = s.n + 1

    @invariant
    def all_green(self, s):
        return forall(self.Node, lambda x: s.color[x] == Color.green) & (s.n < 2)

    @invariant
    def red_needs_mode(self, s):
        return forall(self.Node, lambda x: implies(s.color[x] == Color.red, s.mode == Color.red))


class Leaders(Model):
    """At most one leader, and exactly one: counts compared with a constant."""

    name = "test.leaders"
    Node = Node
    leader = Map(Node, Bool, init=False)
    up = Map(Node, Bool, init=True)

    @action
    def lead(self, s, x: Node):
        s.leader[x] = True

    @invariant
    def at_most_one_leader(self, s):
        return count(self.Node, lambda x: s.leader[x] & s.up[x]) <= 1

    @invariant
    def exactly_one_leader(self, s):
        return count(self.Node, lambda x: s.leader[x]) == 1


def test_a_count_names_the_elements_whose_condition_holds() -> None:
    program = Leaders().compile()
    trace = path_trace(program, ["lead(x=n1)", "lead(x=n3)"])
    [e] = explain_verdict(trace, Verdict("at_most_one_leader", "invariant", VIOLATED, "", trace))
    assert e.sentence() == (
        "at_most_one_leader fails: 2 hold where at most 1 may: "
        "for n1, leader[n1] = true and up[n1] = true; for n3, leader[n3] = true and up[n3] = true"
    )
    # the highlighted slots are the holding conditions' (n2's are not)
    assert {program.slots[i].name for i in e.slots} == {"leader[n1]", "up[n1]", "leader[n3]", "up[n3]"}
    initial = path_trace(program, [])
    [none] = explain_verdict(initial, Verdict("exactly_one_leader", "invariant", VIOLATED, "", initial))
    # too few: the conditions that do not hold, and why
    assert none.sentence() == (
        "exactly_one_leader fails: 0 hold where exactly 1 must: not for n1: leader[n1] = false; "
        "not for n2: leader[n2] = false; not for n3: leader[n3] = false"
    )
    one = path_trace(program, ["lead(x=n2)"])  # where the count is right there is nothing to explain
    assert explain_verdict(one, Verdict("exactly_one_leader", "invariant", VIOLATED, "", one)) == []


class Quorum(Model):
    """At least two acks; more than one; not exactly one; and a sum that is not a count."""

    name = "test.quorum"
    Node = Node
    acked = Map(Node, Bool, init=False)
    n = Range(0, 3, init=0)

    @action
    def ack(self, s, x: Node):
        s.acked[x] = True

    @invariant
    def quorum(self, s):
        return count(self.Node, lambda x: s.acked[x]) >= 2

    @invariant
    def more_than_one(self, s):
        return count(self.Node, lambda x: s.acked[x]) > 1

    @invariant
    def not_exactly_one(self, s):
        return count(self.Node, lambda x: s.acked[x]) != 1

    @invariant
    def fewer_than_one(self, s):
        return count(self.Node, lambda x: s.acked[x]) < 1

    @invariant
    def count_plus_a_variable(self, s):
        return count(self.Node, lambda x: s.acked[x]) + s.n <= 0


def test_every_relation_of_a_count_says_what_was_required() -> None:
    program = Quorum().compile()
    trace = path_trace(program, ["ack(x=n2)"])

    def why(prop: str) -> list[str]:
        return [e.sentence() for e in explain_verdict(trace, Verdict(prop, "invariant", VIOLATED, "", trace))]

    missing = "not for n1: acked[n1] = false; not for n3: acked[n3] = false"
    assert why("quorum") == [f"quorum fails: 1 holds where at least 2 must: {missing}"]
    assert why("more_than_one") == [f"more_than_one fails: 1 holds where more than 1 must: {missing}"]
    assert why("not_exactly_one") == ["not_exactly_one fails: 1 holds where any number but 1 may: for n2, acked[n2] = true"]
    assert why("fewer_than_one") == ["fewer_than_one fails: 1 holds where fewer than 1 may: for n2, acked[n2] = true"]
    assert why("count_plus_a_variable") == []  # not a count against a constant: a lone comparison


def test_the_deposed_primary_that_still_commits_is_named() -> None:
    # rds.multi_az false_detection: single_writer is at_most_one(accepts_commits); a false
    # detection fails over while the old primary, deposed but not stuck, still commits.
    trace, verdict = first_violation(MultiAZ(variant="false_detection").compile(), "single_writer")
    [e] = explain_verdict(trace, verdict)
    assert e.sentence() == (
        "single_writer fails: 2 hold where at most 1 may: for db1, role[db1] = deposed and "
        "stuck[db1] = false; for db2, role[db2] = primary and stuck[db2] = false"
    )


def test_every_false_conjunct_is_listed_with_its_element() -> None:
    program = Lights().compile()
    trace = path_trace(program, ["turn_red(x=n1)", "turn_red(x=n3)"])
    verdict = Verdict("all_green", "invariant", VIOLATED, "", trace)
    sentences = [e.sentence() for e in explain_verdict(trace, verdict)]
    assert sentences == [
        "all_green fails for n1: color[n1] = red != green",
        "all_green fails for n3: color[n3] = red != green",
        "all_green fails: n = 2 >= 2",
    ]
    lines = explanation_lines(explain_verdict(trace, verdict))
    assert lines == sentences


def test_more_than_three_false_conjuncts_are_counted() -> None:
    program = Lights(Node=5).compile()
    trace = path_trace(program, [f"turn_red(x=n{i})" for i in range(1, 4)])
    verdict = Verdict("red_needs_mode", "invariant", VIOLATED, "", trace)
    lines = explanation_lines(explain_verdict(trace, verdict))
    assert lines[0] == "red_needs_mode fails for n1: color[n1] = red, but mode = green != red"
    assert len(lines) == 3
    trace4 = path_trace(Lights(Node=5).compile(), [f"turn_red(x=n{i})" for i in range(1, 4)] + ["turn_red(x=n5)"])
    lines4 = explanation_lines(explain_verdict(trace4, Verdict("red_needs_mode", "invariant", VIOLATED, "", trace4)))
    assert lines4[-1] == "... and 1 more false conjunct of red_needs_mode"


def test_no_explanation_for_a_lone_comparison_or_a_verdict_that_holds() -> None:
    trace, verdict = die_hard_solution()  # big_is_not_4 is `big != 4`: nothing to split
    assert explain_verdict(trace, verdict) == []
    lost, v = multi_az_lost_commit()
    assert explain_verdict(lost, Verdict(v.property, v.kind, HOLDS, "", lost)) == []
    assert explain_verdict(lost, Verdict("no_such_property", "invariant", VIOLATED, "", lost)) == []
    assert explain_verdict(None, v) == []


def test_text_and_markdown_reports_say_why() -> None:
    trace, verdict = multi_az_lost_commit()
    text = render_trace(trace, verdict)
    assert text.rstrip().splitlines()[-2].startswith("Violated: no_committed_loss")
    assert text.rstrip().splitlines()[-1] == (
        "  why: no_committed_loss fails for db2: role[db2] = primary, but log[db2] = 0 < acked = 1"
    )
    md = render_trace_md(trace, verdict)
    assert md.rstrip().splitlines()[-1] == (
        "- **Why:** `no_committed_loss fails for db2: role[db2] = primary, but log[db2] = 0 < acked = 1`"
    )
