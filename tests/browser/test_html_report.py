"""The HTML report in a real browser (Debian's headless Chromium): the rds.multi_az
naive-failover counterexample, from `check --trace-out` through `report --format html`,
rendered, screenshotted into the test's tmp dir, its DOM read back after the page's script
ran, and a step clicked through the DevTools protocol.

The screenshot in docs/reports.md is this test's, copied into docs/images/ only on request
(`REPLICHECK_UPDATE_DOC_IMAGES=1 python -m pytest tests/browser -k screenshot -n 0`), so a
test run never rewrites a tracked file.

Skipped, with the reason, when Chromium is not installed (`apt-get install chromium`; the
CI script installs it)."""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

import pytest

from replicheck.cli import main

from .chromium import Browser, find_chromium, run_headless
from .dom import parse, row_cells

CHROMIUM = find_chromium()
ROOT = Path(__file__).resolve().parents[2]
DOC_IMAGE = ROOT / "docs" / "images" / "multi_az_naive_failover.png"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Chromium is not installed (apt-get install -y chromium): the HTML report cannot be rendered",
    ),
]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("html_report")
    trace = d / "lost_commit.itf.json"
    page = d / "lost_commit.html"
    assert main(["check", "rds.multi_az", "--variant", "naive_failover", "-q", "--trace-out", str(trace)]) == 1
    assert main(["report", str(trace), "--format", "html", "-o", str(page)]) == 0
    return page


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_screenshot(report: Path, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    shot = tmp_path / "multi_az_naive_failover.png"
    run = run_headless(CHROMIUM, report.as_uri(), "--window-size=1300,1000", f"--screenshot={shot}")
    assert shot.exists(), f"no screenshot: {run.stderr[-2000:]}"
    assert _png_size(shot) == (1300, 1000)
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
    if os.environ.get("REPLICHECK_UPDATE_DOC_IMAGES") == "1":
        DOC_IMAGE.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, DOC_IMAGE)


def test_rendered_dom_shows_the_lost_commit(report: Path) -> None:
    assert CHROMIUM is not None
    run = run_headless(CHROMIUM, report.as_uri(), "--dump-dom")
    assert run.returncode == 0, run.stderr[-2000:]
    doc = parse(run.stdout)
    # the script ran: the details panel shows the failing step, selected by default
    details = doc.by_id("details")
    assert details.attrs["data-selected"] == "4"
    assert doc.by_id("details-title").text == "Step 4: failover(p=db1, q=db2)"
    assert "no_committed_loss fails for db2: role[db2] = primary, but log[db2] = 0 < acked = 1" in details.text
    changed = [tr.attrs["data-var"] for tr in details.find_all("tr", cls="changed")]
    # failover sets both roles and the monitor's view to "alone" (models/rds/multi_az.py); the
    # mode was already "alone" since the lone commit, so role and view are what change
    assert changed == ["role", "view"]
    # the banner, and the three cells the failing condition reads, in the failing column
    assert "log[db2] = 0 < acked = 1" in doc.by_id("verdict").text
    for lane, row, value in (("db2", "role", "primary"), ("db2", "log", "0"), ("global", "acked", "1")):
        cells = row_cells(doc, lane, row)
        assert len(cells) == 5
        assert "culprit" in cells[4].classes and "culprit" not in cells[3].classes
        assert cells[4].text.strip().startswith(value)
    # the commit went to db1 only: db1's log moved to 1 at step 2, db2's never did
    assert [c.text.strip()[0] for c in row_cells(doc, "db1", "log")] == ["0", "0", "1", "1", "1"]
    assert [c.text.strip()[0] for c in row_cells(doc, "db2", "log")] == ["0", "0", "0", "0", "0"]
    # every selected-column mark is on step 4
    assert {e.attrs["data-step"] for e in doc.find_all(cls="sel")} == {"4"}


def test_a_step_can_be_chosen_by_the_address(report: Path) -> None:
    assert CHROMIUM is not None
    run = run_headless(CHROMIUM, report.as_uri() + "#step-1", "--dump-dom")
    doc = parse(run.stdout)
    assert doc.by_id("details").attrs["data-selected"] == "1"
    assert doc.by_id("details-title").text == "Step 1: partition(a=db1, b=db2)"


def test_clicking_a_step_shows_its_full_state(report: Path, tmp_path: Path) -> None:
    assert CHROMIUM is not None
    with Browser(CHROMIUM, report.as_uri()) as browser:
        browser.wait_for("document.getElementById('details').getAttribute('data-selected') === '4'")
        assert browser.evaluate("performance.getEntriesByType('resource').length") == 0  # nothing fetched
        browser.click("#col-2")
        browser.wait_for("document.getElementById('details').getAttribute('data-selected') === '2'")
        assert browser.evaluate("document.getElementById('details-title').textContent") == "Step 2: commit(p=db1)"
        changed = browser.evaluate(
            "Array.from(document.querySelectorAll('#details-state tr.changed')).map(r => r.dataset.var)"
        )
        # the lone commit: the primary's log, the acknowledgement and its mode (the monitor's
        # view changes only when the primary reports, models/rds/multi_az.py)
        assert changed == ["log", "acked", "mode"]
        values = browser.evaluate(
            "Object.fromEntries(Array.from(document.querySelectorAll('#details-state tr'))"
            ".map(r => [r.dataset.var, r.cells[1].textContent]))"
        )
        assert values["log"] == "[db1 -> 1, db2 -> 0]"
        assert values["acked"] == "1"
        assert values["role"] == "[db1 -> primary, db2 -> standby]"
        assert browser.evaluate("document.querySelectorAll('.sel').length") > 0
        assert browser.evaluate("document.querySelector('#col-2').classList.contains('sel')")
        assert not browser.evaluate("document.querySelector('#col-4').classList.contains('sel')")
        browser.screenshot(tmp_path / "after_click_step_2.png")
        assert _png_size(tmp_path / "after_click_step_2.png")[0] >= 1300
        # a click on a value cell selects its step too
        browser.click("tr[data-lane='db2'][data-row='role'] td[data-step='0']")
        browser.wait_for("document.getElementById('details').getAttribute('data-selected') === '0'")
        assert "(initial state)" in browser.evaluate("document.getElementById('details-title').textContent")
