"""A trace as one self-contained HTML page: a timeline with one lane per element of the model's
main sort (the nodes, replicas or zones) and one column per step.

Owns: `lane_sort` (which sort the lanes are: the symmetric sort most slots are keyed by),
`build_lanes` (each slot to a lane and a row: `role[v1, n2]` is the row `role[v1]` of lane
n2; a Bool map from an element to others of the same sort, such as `link[a, b]`, is one
compact row per lane; variables keyed by no element of the sort go to the "global" lane),
and `render_html` (the page: the action of each step on top, each lane's values as they
change, the participants of each action marked, the violated property and its explanation
at the step where it fails with the slots the explanation reads highlighted, a lasso's
cycle marked, and the full state of any step on click). Inline CSS and JavaScript only: the
page fetches nothing.

A trace file is untrusted input: every text interpolated into the page goes through
`html.escape` (quote=True), the embedded JSON escapes `<`, `>` and `&`, and the page carries a
Content-Security-Policy (`content_security_policy`) that allows only its own style sheet and
script, by their sha256 hashes: no other script, inline handler, style attribute, image,
frame, form target or network fetch.

Must not import: z3, numpy, hypothesis, `replicheck.explore`, `replicheck.symbolic`, `replicheck.cli`;
nothing of checker but `replicheck.ir`, `replicheck.backends.reference` and `replicheck.report`.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from html import escape
from typing import Any

from replicheck.ir import Program, State
from replicheck.ir.program import SortInfo
from replicheck.ir.types import BoolType, ElemType, EnumType, IntType, show

from .changes import format_settings, show_var
from .explain import Explanation, explain_verdict
from .results import HOLDS, INCOMPLETE, VACUOUS, VIOLATED, Trace, Verdict

GLOBAL = "global"
# Enum values drawn in one strong colour whatever their position in the enum.
_LEADING = frozenset({"primary", "leader", "master", "writer"})


@dataclass(frozen=True)
class Row:
    """One row of a lane: a single slot (`slots` has one index), or a compact Bool row over
    the other elements of the lane's sort (`others` names them, one slot each)."""

    lane: str
    label: str
    var: str
    slots: tuple[int, ...]
    others: tuple[str, ...] = ()

    @property
    def compact(self) -> bool:
        return bool(self.others)


@dataclass(frozen=True)
class Lane:
    name: str  # an element (db1) or GLOBAL
    rows: tuple[Row, ...]


def lane_sort(program: Program) -> SortInfo | None:
    """The sort whose elements become lanes: the one the most slots are keyed by, symmetric
    sorts first (those are the nodes, replicas, zones); None if no variable is keyed by a sort."""
    best: tuple[tuple[int, int, int], SortInfo] | None = None
    for order, sort in enumerate(program.sorts):
        keyed = sum(
            1
            for slot in program.slots
            if any(isinstance(t, ElemType) and t.sort == sort.name for t in slot.key_types)
        )
        if keyed == 0:
            continue
        score = (int(sort.symmetric), keyed, -order)
        if best is None or score > best[0]:
            best = (score, sort)
    return best[1] if best else None


def build_lanes(program: Program, sort: SortInfo | None = None) -> list[Lane]:
    """The lanes of the timeline, in the sort's order, then the global lane."""
    sort = sort if sort is not None else lane_sort(program)
    names = sort.type.names if sort is not None else ()
    rows: dict[str, list[Row]] = {n: [] for n in names}
    rows[GLOBAL] = []
    for var in program.vars:
        positions = [
            p for p, d in enumerate(var.keys) if sort is not None and isinstance(d.type, ElemType) and d.type.sort == sort.name
        ]
        if not positions:
            for i in var.slot_range():
                rows[GLOBAL].append(Row(GLOBAL, program.slots[i].name, var.name, (i,)))
            continue
        at = positions[0]
        compact = (
            isinstance(var.value.type, BoolType) and len(var.keys) == 2 and len(positions) == 2
        )
        if compact:
            for lane in names:
                slots, others = [], []
                for i in var.slot_range():
                    slot = program.slots[i]
                    a, b = slot.key
                    if names[a] == lane and a != b:
                        slots.append(i)
                        others.append(names[b])
                rows[lane].append(Row(lane, var.name, var.name, tuple(slots), tuple(others)))
            continue
        by_lane: dict[str, list[Row]] = {n: [] for n in names}
        for i in var.slot_range():
            slot = program.slots[i]
            lane = names[slot.key[at]]
            rest = [show(t, k) for p, (t, k) in enumerate(zip(slot.key_types, slot.key)) if p != at]
            label = var.name + (f"[{', '.join(rest)}]" if rest else "")
            by_lane[lane].append(Row(lane, label, var.name, (i,)))
        for lane in names:
            rows[lane] += by_lane[lane]
    lanes = [Lane(n, tuple(rows[n])) for n in names]
    if rows[GLOBAL]:
        lanes.append(Lane(GLOBAL, tuple(rows[GLOBAL])))
    return lanes


# --- cells ---------------------------------------------------------------------------------


def _cell_html(program: Program, row: Row, state: State) -> str:
    if row.compact:
        parts = []
        for other, i in zip(row.others, row.slots):
            ok = bool(state[i])
            cls = "lk-on" if ok else "lk-off"
            mark = "✓" if ok else "✗"
            parts.append(f'<span class="{cls}" title="{escape(program.slots[i].name)} = {str(ok).lower()}">{escape(other)} {mark}</span>')
        return " ".join(parts)
    i = row.slots[0]
    slot = program.slots[i]
    t = slot.domain.type
    v = state[i]
    if isinstance(t, BoolType):
        if v:
            return f'<span class="b-on" title="{escape(slot.name)} = true">● true</span>'
        return f'<span class="b-off" title="{escape(slot.name)} = false">○</span>'
    if isinstance(t, EnumType):
        text = show(t, v)
        cls = "lead" if text in _LEADING else f"e{v % 8}"
        return f'<span class="pill {cls}" data-value="{escape(text)}">{escape(text)}</span>'
    if isinstance(t, ElemType):
        text = show(t, v)
        cls = "none" if text == "none" else "elem"
        return f'<span class="{cls}">{escape(text)}</span>'
    assert isinstance(t, IntType)
    d = slot.domain
    out = f'<span class="num">{v}</span>'
    if 0 <= d.lo and d.hi - d.lo <= 8 and d.hi > 0:
        cells = "".join(f'<i class="{"on" if k < v else ""}"></i>' for k in range(d.hi))
        out += f'<span class="bar" title="{v} of {d.hi}">{cells}</span>'
    return out


def _participants(trace: Trace, i: int, lanes: set[str]) -> set[str]:
    out: set[str] = set()
    for _, value in trace.steps[i].params:
        if isinstance(value, str) and value in lanes:
            out.add(value)
    return out


# --- the page ------------------------------------------------------------------------------

_CSS = """
*{box-sizing:border-box}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:16px 20px;color:#1d2330;background:#fafbfc}
h1{font-size:20px;margin:0 0 4px}
.meta{color:#5a6272;margin-bottom:10px}
.verdict{border-radius:6px;padding:10px 14px;margin:8px 0 14px;font-size:15px}
.verdict.bad{background:#fdecec;border:2px solid #d93025;color:#7a1712}
.verdict.good{background:#e8f5e9;border:2px solid #2e7d32}
.verdict .why{display:block;margin-top:4px;font-weight:600;font-size:16px}
.verdict code{font-size:14px}
.wrap{overflow-x:auto;border:1px solid #d6dae2;border-radius:6px;background:#fff}
table.tl{border-collapse:separate;border-spacing:0;min-width:100%}
.tl th,.tl td{padding:4px 8px;border-bottom:1px solid #eef0f4;border-right:1px solid #eef0f4;white-space:nowrap;text-align:left;vertical-align:middle}
.tl thead th{position:sticky;top:0;background:#f3f5f9;z-index:2;cursor:pointer;vertical-align:top;border-bottom:2px solid #c7ccd6;white-space:normal;min-width:96px;max-width:190px}
.act{overflow-wrap:anywhere}
.tl thead th.corner{cursor:default;left:0;z-index:3}
.tl th.rl{position:sticky;left:0;background:#fff;z-index:1;font-weight:500;color:#394150;min-width:150px}
.tl th.rl.hit{color:#b3261e;font-weight:700}
.tl th.rl.hit::after{content:" ◀";color:#d93025}
.tl tr.lane th{background:#e9edf5;font-size:15px;font-weight:700;color:#1d2330;border-top:2px solid #9aa3b5;position:sticky;left:0}
.tl tr.lane td{background:#e9edf5;border-top:2px solid #9aa3b5}
.tl tr.lane.global th,.tl tr.lane.global td{background:#f1ece0}
.stepno{font-size:12px;color:#6b7385}
.act{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px;color:#0b3d91;font-weight:600}
td.step{cursor:pointer;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
td.chg{background:#fff4c2}
td.part{color:#1a73e8;font-weight:700;font-size:12px}
th.col-fail,td.col-fail{border-left:2px solid #d93025;border-right:2px solid #d93025}
thead th.col-fail{background:#fdecec;color:#7a1712}
.failtag{display:block;margin-top:3px;font-size:12px;font-weight:700;color:#fff;background:#d93025;border-radius:3px;padding:1px 5px}
td.culprit{background:#ffd7d3 !important;outline:2px solid #d93025;outline-offset:-2px;font-weight:700}
td.culprit .num{color:#b3261e;font-size:15px}
th.cycle{border-top:4px solid #00838f}
.cycletag{display:block;font-size:11px;color:#00838f;font-weight:700}
th.sel,td.sel{background-image:linear-gradient(rgba(26,115,232,.10),rgba(26,115,232,.10))}
thead th.sel{outline:2px solid #1a73e8;outline-offset:-2px}
.pill{display:inline-block;padding:0 7px;border-radius:10px;font-weight:600;font-size:12px;border:1px solid transparent}
.e0{background:#eceff1;color:#37474f}.e1{background:#1a73e8;color:#fff}.e2{background:#f9ab00;color:#3b2a00}
.e3{background:#9334e6;color:#fff}.e4{background:#188038;color:#fff}.e5{background:#e8710a;color:#fff}
.e6{background:#00838f;color:#fff}.e7{background:#5f6368;color:#fff}
.lead{background:#1a73e8;color:#fff;box-shadow:0 0 0 1px #0b3d91}
.b-on{color:#3c4a63;font-weight:700}.b-off{color:#b0b6c2}
.lk-on{color:#188038}.lk-off{color:#fff;background:#d93025;border-radius:3px;padding:0 4px;font-weight:700}
.none{color:#9aa0aa;font-style:italic}.elem{color:#0b3d91;font-weight:600}
.num{display:inline-block;min-width:1.2em;font-weight:600}
.bar{display:inline-flex;gap:2px;margin-left:4px;vertical-align:middle}
.bar i{display:inline-block;width:9px;height:11px;border:1px solid #7b8494;border-radius:2px;background:#fff}
.bar i.on{background:#3c4a63;border-color:#3c4a63}
td.culprit .bar i{border-color:#b3261e}td.culprit .bar i.on{background:#b3261e}
.note{margin:8px 0;color:#00838f;font-weight:600}
.legend{margin:10px 0;color:#5a6272;font-size:12px}
.legend span{margin-right:14px}
.legend .sw{display:inline-block;width:12px;height:12px;vertical-align:middle;margin-right:4px;border:1px solid #c7ccd6}
#details{margin-top:14px;background:#fff;border:1px solid #d6dae2;border-radius:6px;padding:10px 14px}
#details h2{font-size:16px;margin:0 0 6px}
#details table{border-collapse:collapse;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
#details td{padding:2px 10px 2px 0;vertical-align:top}
#details tr.changed td{background:#fff4c2}
#details td.k{color:#394150;font-weight:600}
.legend .sw.chg-sw{background:#fff4c2}
.legend .sw.culprit-sw{background:#ffd7d3;border-color:#d93025}
.legend .acts-note{color:#1a73e8}
"""

_JS = """
(function(){
  var data = JSON.parse(document.getElementById('trace-data').textContent);
  function esc(s){return String(s).replace(/[&<>"']/g,function(c){return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c];});}
  function select(i){
    if (!(i >= 0 && i < data.steps.length)) return;
    var cells = document.querySelectorAll('[data-step]');
    for (var k = 0; k < cells.length; k++) {
      cells[k].classList.toggle('sel', cells[k].getAttribute('data-step') === String(i));
    }
    var st = data.steps[i];
    var h = '<h2 id="details-title">Step ' + i + ': ' + esc(st.label) + (i === 0 ? ' (initial state)' : '') + '</h2>';
    if (st.fails) h += '<p class="why"><b>' + esc(st.fails) + '</b></p>';
    h += '<table id="details-state">';
    for (var j = 0; j < st.state.length; j++) {
      var v = st.state[j];
      h += '<tr class="' + (v[2] ? 'changed' : '') + '" data-var="' + esc(v[0]) + '"><td class="k">' + esc(v[0]) +
           '</td><td>' + esc(v[1]) + '</td></tr>';
    }
    h += '</table>';
    var d = document.getElementById('details');
    d.innerHTML = h;
    d.setAttribute('data-selected', String(i));
  }
  document.addEventListener('click', function(ev){
    var el = ev.target.closest ? ev.target.closest('[data-step]') : null;
    if (el) { select(parseInt(el.getAttribute('data-step'), 10)); }
  });
  var m = /step-(\\d+)/.exec(location.hash || '');
  select(m ? parseInt(m[1], 10) : data.selected);
  window.replicheckSelect = select;
})();
"""


def _state_lines(program: Program, trace: Trace, i: int) -> list[list[Any]]:
    changed = set(trace.changed(i)) if i > 0 else set()
    return [[v.name, show_var(program, v, trace.steps[i].state), v.name in changed] for v in program.vars]


def _verdict_word(v: Verdict) -> str:
    return {VIOLATED: "Violated", HOLDS: "Holds", INCOMPLETE: "Incomplete", VACUOUS: "Vacuous"}.get(v.status, v.status)


def _sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy() -> str:
    """The page's policy: nothing from anywhere, except its own inline style sheet and script
    (by hash). The JSON data block is not a script the browser runs, so it needs no source."""
    return (
        f"default-src 'none'; script-src {_sha256_source(_JS)}; style-src {_sha256_source(_CSS)}; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )


_SCRIPT_UNSAFE = {"&": "\\u0026", "<": "\\u003c", ">": "\\u003e", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _json_for_script(data: Any) -> str:
    """JSON safe inside a <script> element: no `<`, `>` or `&` at all (so no `</script>` and
    no `<!--`), written as \\u escapes, which JSON.parse reads back as the same characters."""
    text = json.dumps(data, ensure_ascii=False)
    for c, escaped in _SCRIPT_UNSAFE.items():
        text = text.replace(c, escaped)
    return text


def render_html(trace: Trace, verdict: Verdict | None = None, title: str | None = None) -> str:
    """The whole page, as one string."""
    program = trace.program
    sort = lane_sort(program)
    lanes = build_lanes(program, sort)
    lane_names = {lane.name for lane in lanes if lane.name != GLOBAL}
    n = len(trace.steps)
    last = n - 1
    loop = trace.loop_start
    explanations: list[Explanation] = explain_verdict(trace, verdict)
    culprit_slots = {s for e in explanations for s in (*e.slots, *e.post_slots)}
    failing = verdict is not None and verdict.status == VIOLATED
    fail_col = last if failing and loop is None else None
    heading = title or f"{program.name}" + (f" ({program.variant})" if program.variant else "")

    out: list[str] = []
    out.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
    out.append(f'<meta http-equiv="Content-Security-Policy" content="{escape(content_security_policy())}">')
    out.append(f"<title>{escape(heading)}: counterexample</title>")
    out.append(f"<style>{_CSS}</style></head><body>")
    out.append(f'<h1 id="title">{escape(heading)}</h1>')
    sort_word = f"one lane per {sort.name} ({', '.join(sort.type.names)})" if sort else "no per-element lanes"
    out.append(
        f'<div class="meta">settings: {escape(format_settings(program.settings))} · '
        f"{len(trace)} step{'s' if len(trace) != 1 else ''} · {escape(sort_word)}</div>"
    )
    if verdict is not None:
        cls = "bad" if verdict.status in (VIOLATED, VACUOUS) else "good"
        where = ""
        if failing:
            where = f" at step {last}" if loop is None else f" by the cycle from step {loop}"
        msg = f": {escape(verdict.message)}" if verdict.message else ""
        out.append(
            f'<div class="verdict {cls}" id="verdict"><b>{escape(_verdict_word(verdict))}{where}:</b> '
            f"<code>{escape(verdict.property)}</code> ({escape(verdict.kind)}){msg}"
        )
        for e in explanations[:3]:
            out.append(f'<span class="why" data-elements="{escape(" ".join(e.elements))}">✗ {escape(e.sentence())}</span>')
        if len(explanations) > 3:
            out.append(f'<span class="why">... and {len(explanations) - 3} more false conjuncts</span>')
        out.append("</div>")

    out.append('<div class="wrap"><table class="tl" id="timeline"><thead><tr><th class="corner">step / lane</th>')
    for i, step in enumerate(trace.steps):
        classes = []
        if loop is not None and i >= loop:
            classes.append("cycle")
        if i == fail_col:
            classes.append("col-fail")
        extra = ""
        if loop is not None and i == loop:
            extra += '<span class="cycletag">↻ cycle starts</span>'
        elif loop is not None and i > loop:
            extra += '<span class="cycletag">↻ in cycle</span>'
        if i == fail_col and verdict is not None:
            extra += f'<span class="failtag">✗ {escape(verdict.property)}</span>'
        label = step.label + (" (initial)" if i == 0 else "")
        out.append(
            f'<th class="{" ".join(classes)}" data-step="{i}" id="col-{i}"><span class="stepno">step {i}</span><br>'
            f'<span class="act">{escape(label)}</span>{extra}</th>'
        )
    out.append("</tr></thead><tbody>")
    for lane in lanes:
        is_global = lane.name == GLOBAL
        lane_title = "global (not per element)" if is_global else escape(lane.name)
        if sort is not None and not is_global:
            lane_title += f' <span class="stepno">{escape(sort.name)}</span>'
        out.append(
            f'<tr class="lane{" global" if is_global else ""}" data-lane="{escape(lane.name)}">'
            f'<th class="rl">{lane_title}</th>'
        )
        for i in range(n):
            acts = lane.name in _participants(trace, i, lane_names)
            mark = "▶ acts" if acts else ""
            out.append(f'<td data-step="{i}" class="step{" part" if acts else ""}">{mark}</td>')
        out.append("</tr>")
        for row in lane.rows:
            hit = bool(culprit_slots.intersection(row.slots))
            out.append(
                f'<tr class="row" data-lane="{escape(lane.name)}" data-row="{escape(row.label)}">'
                f'<th class="rl{" hit" if hit else ""}">{escape(row.label)}</th>'
            )
            for i, step in enumerate(trace.steps):
                classes = ["step"]
                if i > 0 and any(trace.steps[i - 1].state[s] != step.state[s] for s in row.slots):
                    classes.append("chg")
                if i == fail_col:
                    classes.append("col-fail")
                if hit and i == last and failing:
                    classes.append("culprit")
                out.append(
                    f'<td class="{" ".join(classes)}" data-step="{i}">{_cell_html(program, row, step.state)}</td>'
                )
            out.append("</tr>")
    out.append("</tbody></table></div>")
    if loop is not None:
        same = last != loop and trace.steps[last].state == trace.steps[loop].state
        again = f" (step {last} is the state of step {loop} again)" if same else ""
        out.append(
            f'<p class="note" id="lasso">↻ A lasso: after step {last} the behaviour loops back to step {loop} and '
            f"repeats the cycle forever{again}.</p>"
        )
    out.append(
        '<div class="legend"><span><i class="sw chg-sw"></i>changed in this step</span>'
        '<span class="acts-note">▶ the lane takes part in the step\'s action</span>'
        '<span><i class="sw culprit-sw"></i>read by the failing condition</span>'
        '<span>◀ row the failing condition reads</span><span>click a step for its full state</span></div>'
    )
    steps_data = []
    why = "; ".join(e.sentence() for e in explanations)
    for i, step in enumerate(trace.steps):
        steps_data.append(
            {
                "label": step.label,
                "state": _state_lines(program, trace, i),
                "fails": why if (failing and i == last and why) else "",
            }
        )
    payload = _json_for_script({"steps": steps_data, "selected": last})
    out.append('<div id="details" data-selected=""><h2>Full state</h2><p>Click a step.</p></div>')
    out.append(f'<script type="application/json" id="trace-data">{payload}</script>')
    out.append(f"<script>{_JS}</script>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
