"""Models in a user's own files: they import the modules beside them, their traces record the
file (path and sha256), and `report` replays and renders them in every format.

The fixtures are written into tmp_path by each test; nothing here copies expected output from
the tool: the expected traces follow from the fixture models themselves."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path

import pytest

from replicheck.registry import RegistryError, load
from replicheck.report.html import GLOBAL
from tests.browser.dom import parse, row_cells

from .helpers import assert_one_line_error, run

HELPERS = '''\
from replicheck.lang import Enum

Role = Enum("Role", "idle", "busy")
LIMIT = {limit}
'''

MODEL = '''\
"""A key-value store of the user's own, with its roles and its limit in a module beside it."""

from replicheck.lang import Map, Model, Range, Sort, action, invariant, require

from helpers import LIMIT, Role


class {cls}(Model):
    name = "{name}"

    Node = Sort("Node", default=2)

    role = Map(Node, Role, init=Role.idle)
    writes = Range(0, 3, init=0)

    @action
    def write(self, s, n: Node):
        require(s.writes < 3)
        s.role[n] = Role.busy
        s.writes += 1

    @invariant
    def few_writes(self, s):
        return s.writes < LIMIT
'''


def write_model(folder: Path, limit: int = 2, cls: str = "KV", name: str = "my.kv", stem: str = "my_model") -> Path:
    """A model file `stem.py` in `folder` and its sibling helpers.py; few_writes fails after
    `limit` writes, so a shortest counterexample has `limit` steps."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "helpers.py").write_text(HELPERS.format(limit=limit), encoding="utf-8")
    path = folder / f"{stem}.py"
    path.write_text(MODEL.format(cls=cls, name=name), encoding="utf-8")
    return path


def check_trace(capsys: pytest.CaptureFixture[str], model: str, trace: Path) -> dict:
    code, out, err = run(capsys, "check", model, "-q", "--trace-out", str(trace))
    assert code == 1, err  # few_writes is violated
    return json.loads(trace.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


# -- importing ------------------------------------------------------------------------------


def test_a_model_file_imports_the_module_beside_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_model(tmp_path / "proj", limit=2)
    path_before = list(sys.path)
    code, out, err = run(capsys, "check", str(path), "--json")
    assert code == 1, err
    [few] = [v for v in json.loads(out)["verdicts"] if v["property"] == "few_writes"]
    assert few["status"] == "violated"
    assert len(few["trace"]["states"]) == 3  # the initial state and LIMIT = 2 writes
    # the folder was not left on sys.path, nor its helpers in sys.modules
    assert sys.path == path_before
    assert "helpers" not in sys.modules


def test_the_value_from_the_sibling_module_is_the_one_used(tmp_path: Path) -> None:
    info = load(str(write_model(tmp_path / "p", limit=3)))
    assert info.cls.few_writes.__globals__["LIMIT"] == 3
    assert [v.name for v in info.cls().compile().vars] == ["role", "writes"]
    assert info.file is not None and info.file.cls == "KV" and info.file.given == str(tmp_path / "p" / "my_model.py")


def test_no_bytecode_is_written_into_the_users_folder(tmp_path: Path) -> None:
    load(str(write_model(tmp_path / "p")))
    assert not (tmp_path / "p" / "__pycache__").exists()


def test_two_files_with_the_same_basename_load_each_its_own_sibling(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    one = write_model(tmp_path / "one", limit=1, cls="One", name="kv.one", stem="model")
    two = write_model(tmp_path / "two", limit=3, cls="Two", name="kv.two", stem="model")
    a, b = load(str(one)), load(str(two))
    assert (a.name, b.name) == ("kv.one", "kv.two")
    assert a.cls.__module__ != b.cls.__module__
    assert a.cls.few_writes.__globals__["LIMIT"] == 1
    assert b.cls.few_writes.__globals__["LIMIT"] == 3
    # and through the CLI in one process, in both orders
    for first, second in ((one, two), (two, one)):
        lengths = {}
        for path in (first, second):
            code, out, err = run(capsys, "check", str(path), "--json")
            assert code == 1, err
            [few] = [v for v in json.loads(out)["verdicts"] if v["property"] == "few_writes"]
            lengths[path] = len(few["trace"]["states"]) - 1
        assert lengths == {one: 1, two: 3}


def test_a_changed_file_is_loaded_as_it_is_now(tmp_path: Path) -> None:
    path = write_model(tmp_path / "p", limit=1)
    assert load(str(path)).cls.few_writes.__globals__["LIMIT"] == 1
    (tmp_path / "p" / "helpers.py").write_text(HELPERS.format(limit=2), encoding="utf-8")  # same size
    assert load(str(path)).cls.few_writes.__globals__["LIMIT"] == 2


def test_a_module_of_a_package_folder_uses_relative_and_absolute_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "root" / "kvpkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "roles.py").write_text(HELPERS.format(limit=2))
    model = MODEL.format(cls="Pk", name="kv.pkg").replace(
        "from helpers import LIMIT, Role",
        "from ..roles import LIMIT, Role\nfrom kvpkg.roles import Role as SameRole\nassert Role is SameRole",
    )
    (pkg / "sub" / "model.py").write_text(model)
    info = load(str(pkg / "sub" / "model.py"))
    assert info.name == "kv.pkg"
    assert info.cls.__module__ == "kvpkg.sub.model"
    assert info.file is not None and info.file.path == str(pkg / "sub" / "model.py")
    assert not any(name == "kvpkg" or name.startswith("kvpkg.") for name in sys.modules)
    assert info.cls().compile().name == "kv.pkg"


def test_a_package_folder_named_like_an_imported_module_is_refused(tmp_path: Path) -> None:
    pkg = tmp_path / "json"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    write_model(pkg, stem="model")
    with pytest.raises(RegistryError, match="the name json is already the module"):
        load(str(pkg / "model.py"))


def test_a_broken_sibling_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_model(tmp_path / "p")
    (tmp_path / "p" / "helpers.py").write_text("def (")
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert_one_line_error(err)
    assert "helpers.py:1: syntax error" in err


def test_a_sibling_that_raises_is_a_model_error_at_its_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_model(tmp_path / "p")
    (tmp_path / "p" / "helpers.py").write_text("raise RuntimeError('boom')")
    code, _, err = run(capsys, "check", str(path))
    assert code == 2 and "Traceback" not in err
    assert err.startswith("replicheck: model error: ") and "helpers.py:1: " in err
    assert "my_model.py raised RuntimeError: boom" in err


# -- the trace records the file ---------------------------------------------------------------


def test_the_trace_records_the_file_its_hash_and_class(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_model(tmp_path / "proj")
    monkeypatch.chdir(tmp_path)
    data = check_trace(capsys, "proj/my_model.py:KV", tmp_path / "t.json")
    recorded = data["#meta"]["replicheck"]["model_file"]
    source = (tmp_path / "proj" / "my_model.py").read_bytes()
    assert recorded == {
        "path": str(tmp_path / "proj" / "my_model.py"),
        "given": "proj/my_model.py",
        "sha256": hashlib.sha256(source).hexdigest(),
        "class": "KV",
    }
    assert data["#meta"]["replicheck"]["model"] == "my.kv"


def test_a_trace_of_a_shipped_model_records_no_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = check_trace(capsys, "classic.die_hard", tmp_path / "t.json")
    assert "model_file" not in data["#meta"]["replicheck"]
    code, out, err = run(capsys, "report", str(tmp_path / "t.json"))
    assert code == 0 and err == ""
    assert "big_is_not_4" in out


def test_prove_simulate_and_sweep_traces_record_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_model(tmp_path / "proj")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    traces = [tmp_path / "prove.json", tmp_path / "sim.json", tmp_path / "prove-json.json"]
    assert run(capsys, "prove", str(path), "--bmc", "4", "--trace-out", str(traces[0]))[0] == 1
    assert run(capsys, "simulate", str(path), "--runs", "20", "-q", "--trace-out", str(traces[1]))[0] == 1
    assert run(capsys, "prove", str(path), "--bmc", "4", "--json", "--trace-out", str(traces[2]))[0] == 1
    code, _, err = run(capsys, "sweep", str(path), "--out", str(tmp_path / "sweep"), "-q")
    assert code == 0, err
    traces += sorted((tmp_path / "sweep").glob("*.itf.json"))
    assert len(traces) >= 4
    for trace in traces:
        recorded = json.loads(trace.read_text())["#meta"]["replicheck"]["model_file"]
        assert (recorded["path"], recorded["sha256"], recorded["class"]) == (str(path), digest, "KV"), trace
        code, out, err = run(capsys, "report", str(trace))
        assert code == 0, (trace, err)
        assert err == ""


# -- report -------------------------------------------------------------------------------------


def test_report_renders_text_markdown_and_html(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_model(tmp_path / "proj")
    trace = tmp_path / "t.json"
    check_trace(capsys, str(path), trace)

    code, out, err = run(capsys, "report", str(trace))
    assert code == 0 and err == ""
    assert "Step 2" in out and "Step 3" not in out
    assert "writes: 1 -> 2" in out
    assert "Violated: few_writes (invariant)" in out

    code, out, err = run(capsys, "report", str(trace), "--format", "md")
    assert code == 0 and err == ""
    assert "`writes: 1 -> 2`" in out
    assert "**Violated:** `few_writes`" in out

    page = tmp_path / "t.html"
    code, out, err = run(capsys, "report", str(trace), "--format", "html", "-o", str(page))
    assert code == 0 and err == ""
    doc = parse(page.read_text(encoding="utf-8"))
    assert doc.by_id("title").text == "my.kv"
    assert "few_writes" in doc.by_id("verdict").text
    assert [c.find_all("span", cls="num")[0].text for c in row_cells(doc, GLOBAL, "writes")] == ["0", "1", "2"]
    roles = [c.text for lane in ("n1", "n2") for c in row_cells(doc, lane, "role")]
    assert roles.count("busy") >= 2 and "idle" in roles  # two writes, from the initial all-idle state


def test_report_finds_a_moved_file_with_model(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_model(tmp_path / "proj")
    trace = tmp_path / "t.json"
    check_trace(capsys, str(path), trace)
    code, before, _ = run(capsys, "report", str(trace))
    assert code == 0
    shutil.move(str(tmp_path / "proj"), str(tmp_path / "elsewhere"))

    code, _, err = run(capsys, "report", str(trace))
    assert code == 2
    assert_one_line_error(err)
    assert str(path) in err and "--model" in err

    code, after, err = run(capsys, "report", str(trace), "--model", str(tmp_path / "elsewhere" / "my_model.py"))
    assert code == 0, err
    assert err == ""  # the same bytes: no warning
    assert after == before
    code, after, err = run(capsys, "report", str(trace), "--model", str(tmp_path / "elsewhere" / "my_model.py:KV"))
    assert code == 0 and err == ""
    assert after == before


def test_report_model_must_be_the_traced_model(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    trace = tmp_path / "t.json"
    check_trace(capsys, str(write_model(tmp_path / "proj")), trace)
    other = write_model(tmp_path / "other", cls="KV", name="not.kv")
    code, _, err = run(capsys, "report", str(trace), "--model", str(other))
    assert code == 2
    assert_one_line_error(err)
    assert "the trace is of the model my.kv, not not.kv" in err
    assert "is not the file the trace was written with" in err  # its bytes differ too
    code, _, err = run(capsys, "report", str(trace), "--model", str(tmp_path / "missing.py"))
    assert code == 2
    assert_one_line_error(err)
    assert "missing.py" in err


def test_a_changed_file_warns_and_still_replays(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_model(tmp_path / "proj")
    trace = tmp_path / "t.json"
    check_trace(capsys, str(path), trace)
    code, before, _ = run(capsys, "report", str(trace))
    with path.open("a") as f:
        f.write("# a comment changes the hash, not the model\n")
    code, after, err = run(capsys, "report", str(trace))
    assert code == 0
    assert after == before
    [line] = err.splitlines()
    assert line.startswith("replicheck: warning:")
    assert f"the model file {path} has changed since the trace was written" in line
    old = json.loads(trace.read_text())["#meta"]["replicheck"]["model_file"]["sha256"]
    assert old[:12] in line and hashlib.sha256(path.read_bytes()).hexdigest()[:12] in line


def test_a_changed_file_that_no_longer_replays_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_model(tmp_path / "proj")
    trace = tmp_path / "t.json"
    check_trace(capsys, str(path), trace)
    path.write_text(path.read_text().replace("s.writes += 1", "s.writes += 2"))
    code, _, err = run(capsys, "report", str(trace))
    assert code == 2
    assert_one_line_error(err)  # the warning is folded into the error
    assert f"the model file {path} has changed since the trace was written" in err
    assert "does not replay against it: step 1 claims write(n=n1)" in err


def test_a_file_that_no_longer_defines_the_class_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write_model(tmp_path / "proj")
    trace = tmp_path / "t.json"
    check_trace(capsys, str(path), trace)
    path.write_text(path.read_text().replace("class KV(", "class Renamed("))
    code, _, err = run(capsys, "report", str(trace))
    assert code == 2
    assert_one_line_error(err)
    assert "defines no Model class KV (it defines: Renamed)" in err
    assert "has changed since the trace was written" in err


def test_an_old_trace_of_an_unknown_model_points_at_model(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_model(tmp_path / "proj")
    trace = tmp_path / "t.json"
    data = check_trace(capsys, str(path), trace)
    del data["#meta"]["replicheck"]["model_file"]  # as written before traces recorded the file
    trace.write_text(json.dumps(data))
    code, _, err = run(capsys, "report", str(trace))
    assert code == 2
    assert_one_line_error(err)
    assert "unknown model 'my.kv'" in err and "--model FILE" in err
    code, out, err = run(capsys, "report", str(trace), "--model", str(path))
    assert code == 0, err
    assert "few_writes" in out


def test_a_malformed_model_file_record_is_a_bad_trace_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    trace = tmp_path / "t.json"
    data = check_trace(capsys, str(write_model(tmp_path / "proj")), trace)
    data["#meta"]["replicheck"]["model_file"]["sha256"] = "not a digest"
    trace.write_text(json.dumps(data))
    code, _, err = run(capsys, "report", str(trace))
    assert code == 2
    assert_one_line_error(err)
    assert "bad trace file" in err and "sha256" in err


def test_the_json_result_records_the_model_file_in_its_traces(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    path = write_model(tmp_path)
    code, out, _ = run(capsys, "check", str(path), "--json")
    data = json.loads(out)
    assert code == data["exit_code"] == 1
    (bad,) = [v for v in data["verdicts"] if v["status"] == "violated"]
    record = bad["trace"]["#meta"]["replicheck"]["model_file"]
    assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_model_file_in_a_package_the_program_already_imported_still_loads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A package imported before (as a test suite or a notebook imports its own code) is set
    aside while the model file is loaded through replicheck's finder, and put back after."""
    pkg = tmp_path / "mymodels"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("MARK = 'the package'\n")
    (pkg / "counter.py").write_text(
        "from replicheck.lang import Model, Range, action, invariant, require\n\n\n"
        "class Counter(Model):\n"
        "    x = Range(0, 2, init=0)\n\n"
        "    @action\n"
        "    def up(self, s):\n"
        "        require(s.x < 2)\n"
        "        s.x = s.x + 1\n\n"
        "    @invariant\n"
        "    def small(self, s):\n"
        "        return s.x <= 2\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    before = importlib.import_module("mymodels")
    try:
        info = load(str(pkg / "counter.py"))
        assert info.cls.__name__ == "Counter"
        assert sys.modules["mymodels"] is before  # put back as it was
    finally:
        for name in [n for n in sys.modules if n == "mymodels" or n.startswith("mymodels.")]:
            del sys.modules[name]
