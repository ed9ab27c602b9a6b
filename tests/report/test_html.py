"""The HTML report, as markup: lanes chosen from the sorts, one column per step, the
violation and its explanation where it fails, a lasso marked, the full states embedded, and
nothing fetched from the network. (tests/browser/ renders it in a real Chromium.)"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from replicheck.cli import main
from replicheck.models.ebs.control_plane import ControlPlane
from replicheck.models.ebs.election import Election
from replicheck.models.rds.multi_az import MultiAZ
from replicheck.report.html import GLOBAL, build_lanes, lane_sort, render_html
from replicheck.report.itf import itf_to_json, trace_to_itf
from replicheck.report.results import VIOLATED, Verdict
from tests.browser.dom import parse, row_cells

from .helpers import die_hard, path_trace
from .test_explain import multi_az_lost_commit


def test_lanes_are_the_elements_of_the_main_symmetric_sort() -> None:
    ma = MultiAZ(variant="naive_failover").compile()
    sort = lane_sort(ma)
    assert sort is not None and sort.name == "Replica"
    lanes = build_lanes(ma)
    assert [lane.name for lane in lanes] == ["db1", "db2", GLOBAL]
    assert [r.label for r in lanes[0].rows] == ["stuck", "link", "role", "log"]
    link = lanes[1].rows[1]
    assert link.compact and link.others == ("db1",)  # the self-link is left out
    # the fault library's variables, then the model's other variables in declaration order
    assert [r.label for r in lanes[2].rows] == [
        "faults", "faults_over", "acked", "mode", "view", "witness_log", "witness_link", "affected_zone"
    ]
    election = Election().compile()
    assert lane_sort(election).name == "Node"  # type: ignore[union-attr]
    lanes = build_lanes(election)
    assert [lane.name for lane in lanes] == ["n1", "n2", "n3", GLOBAL]
    assert "role[v1]" in [r.label for r in lanes[1].rows]
    assert "cp_epoch[v1]" in [r.label for r in lanes[3].rows]
    cp = ControlPlane().compile()
    assert lane_sort(cp).name == "Zone"  # type: ignore[union-attr]
    assert [lane.name for lane in build_lanes(cp)] == ["z1", "z2", GLOBAL]  # Zone's default is 2


def test_a_model_without_sorts_has_only_the_global_lane() -> None:
    program = die_hard()
    assert lane_sort(program) is None
    assert [lane.name for lane in build_lanes(program)] == [GLOBAL]


def test_the_page_fetches_nothing() -> None:
    trace, verdict = multi_az_lost_commit()
    page = render_html(trace, verdict)
    assert page.startswith("<!DOCTYPE html>")
    for forbidden in ("http://", "https://", "src=", "<link", "@import", "url("):
        assert forbidden not in page, forbidden


def test_one_column_per_step_with_the_action_on_top() -> None:
    trace, verdict = multi_az_lost_commit()
    doc = parse(render_html(trace, verdict))
    heads = [doc.by_id(f"col-{i}") for i in range(len(trace.steps))]
    assert [h.find_all("span", cls="act")[0].text for h in heads] == [
        "init(first=db1) (initial)",
        "partition(a=db1, b=db2)",
        "commit(p=db1)",
        "stick(n=db1)",
        "failover(p=db1, q=db2)",
    ]
    assert "col-fail" in heads[4].classes and "col-fail" not in heads[3].classes
    assert "no_committed_loss" in heads[4].find_all("span", cls="failtag")[0].text


def test_the_lost_commit_is_visible_in_the_lanes() -> None:
    trace, verdict = multi_az_lost_commit()
    doc = parse(render_html(trace, verdict))
    banner = doc.by_id("verdict")
    assert "Violated at step 4" in banner.text
    assert "no_committed_loss fails for db2: role[db2] = primary, but log[db2] = 0 < acked = 1" in banner.text
    acked = row_cells(doc, GLOBAL, "acked")
    assert [c.find_all("span", cls="num")[0].text for c in acked] == ["0", "0", "1", "1", "1"]
    log2 = row_cells(doc, "db2", "log")
    assert [c.find_all("span", cls="num")[0].text for c in log2] == ["0"] * 5
    role2 = row_cells(doc, "db2", "role")
    assert [c.text for c in role2] == ["standby"] * 4 + ["primary"]
    # exactly the three cells the failing condition reads are marked, in the last column
    assert len(doc.find_all("td", cls="culprit")) == 3
    for lane, row in (("db2", "role"), ("db2", "log"), (GLOBAL, "acked")):
        assert [("culprit" in c.classes) for c in row_cells(doc, lane, row)] == [False] * 4 + [True]
    hit = [th.text for th in doc.find_all("th", cls="hit")]
    assert hit == ["role", "log", "acked"]
    # changed cells: db1's log at the commit, db2's role at the failover
    assert [("chg" in c.classes) for c in row_cells(doc, "db1", "log")] == [False, False, True, False, False]
    assert [("chg" in c.classes) for c in role2] == [False, False, False, False, True]


def test_partitions_and_participants_are_shown() -> None:
    trace, verdict = multi_az_lost_commit()
    doc = parse(render_html(trace, verdict))
    link1 = row_cells(doc, "db1", "link")
    assert [c.text.strip() for c in link1] == ["db2 ✓", "db2 ✗", "db2 ✗", "db2 ✗", "db2 ✗"]
    [lane1] = doc.find_all("tr", cls="lane", data_lane="db1")
    [lane2] = doc.find_all("tr", cls="lane", data_lane="db2")
    acts1 = ["part" in c.classes for c in lane1.find_all("td")]
    acts2 = ["part" in c.classes for c in lane2.find_all("td")]
    assert acts1 == [True, True, True, True, True]  # init(first=db1), then every action names db1
    assert acts2 == [False, True, False, False, True]  # partition(a=db1, b=db2), failover(.., q=db2)


def test_every_full_state_is_embedded_for_the_click() -> None:
    trace, verdict = multi_az_lost_commit()
    doc = parse(render_html(trace, verdict))
    data = json.loads(doc.by_id("trace-data").text)
    assert data["selected"] == 4
    assert len(data["steps"]) == 5
    step4 = {name: (value, changed) for name, value, changed in data["steps"][4]["state"]}
    assert step4["role"] == ("[db1 -> demoted, db2 -> primary]", True)
    assert step4["log"] == ("[db1 -> 1, db2 -> 0]", False)
    assert data["steps"][4]["fails"].startswith("no_committed_loss fails for db2")
    assert data["steps"][0]["fails"] == ""


def test_the_json_cannot_close_the_script_element() -> None:
    trace, _ = multi_az_lost_commit()
    page = render_html(trace, Verdict("x", "invariant", VIOLATED, "bad </script><b>", trace))
    payload = re.search(r'<script type="application/json" id="trace-data">(.*?)</script>', page, re.S)
    assert payload is not None
    assert "</" not in payload.group(1)
    assert "bad &lt;/script&gt;&lt;b&gt;" in page


def test_a_lasso_marks_its_cycle() -> None:
    trace = path_trace(die_hard(), ["fill_small", "fill_big", "empty_big"], loop_start=1)
    doc = parse(render_html(trace, Verdict("p", "liveness", VIOLATED, "", trace)))
    cycle = ["cycle" in doc.by_id(f"col-{i}").classes for i in range(4)]
    assert cycle == [False, True, True, True]
    assert "cycle starts" in doc.by_id("col-1").text
    assert "loops back to step 1" in doc.by_id("lasso").text
    assert "step 3 is the state of step 1 again" in doc.by_id("lasso").text
    assert not doc.find_all("th", cls="col-fail")  # a lasso fails by its cycle, not at one step
    assert "by the cycle from step 1" in doc.by_id("verdict").text


def test_election_lanes_show_roles_and_epochs_per_node() -> None:
    program = Election(variant="self_promote").compile()
    labels = [a.label for a in program.actions]
    assert "create_volume(v=v1, p=n1, q=n2)" in labels
    trace = path_trace(program, ["create_volume(v=v1, p=n1, q=n2)"])
    doc = parse(render_html(trace))
    assert [c.text for c in row_cells(doc, "n1", "role[v1]")] == ["empty", "primary"]
    assert [c.text for c in row_cells(doc, "n2", "role[v1]")] == ["empty", "secondary"]
    assert [c.find_all("span", cls="num")[0].text for c in row_cells(doc, "n1", "epoch[v1]")] == ["0", "1"]
    assert not doc.find_all(id="verdict")


# -- the CLI ---------------------------------------------------------------------------------


def _trace_file(tmp_path: Path) -> Path:
    trace, verdict = multi_az_lost_commit()
    path = tmp_path / "lost.itf.json"
    source = {"model": "rds.multi_az", "settings": {}, "variant": "naive_failover"}
    path.write_text(itf_to_json(trace_to_itf(trace, verdict, source)), encoding="utf-8")
    return path


def test_report_html_writes_one_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "report.html"
    code = main(["report", str(_trace_file(tmp_path)), "--format", "html", "-o", str(out)])
    assert code == 0
    doc = parse(out.read_text(encoding="utf-8"))
    assert doc.by_id("title").text == "rds.multi_az (naive_failover)"
    assert "log[db2] = 0 < acked = 1" in doc.by_id("verdict").text


def test_report_html_needs_an_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", str(_trace_file(tmp_path)), "--format", "html"])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.strip() == "replicheck: error: --format html writes a page: give the file with -o FILE"
