"""mypy on the package, on the shipped models, and on user models written in the documented
style (`n: Node`, `r: Role`, `b: Ballot`), with `replicheck.mypy_plugin`.

How mypy sees `replicheck`: the package installs from three folders (`checker/` is
`replicheck`, `models/` is `replicheck.models`, `properties/` is `replicheck.properties`), and
an editable install maps them with an import hook, which mypy cannot follow. `mypy_tree`
builds a directory `replicheck/` of symlinks, one to each entry of `checker/` plus `models`
and `properties`, and mypy finds it through MYPYPATH. Symlinks rather than an installed copy
(`pip install --target` of a built wheel): nothing is built or copied, so a file added to
`checker/` is seen on the next run, mypy reads the very files being edited, and the paths in
its messages are mapped back to them (`checker/lang/model.py:12: error: ...`). The same tree
on PYTHONPATH lets mypy import the plugin even where replicheck is not installed.

By hand: `.venv/bin/python -m tests.test_typing [mypy arguments]` runs mypy as CI does (with
no arguments: on what pyproject.toml's `[tool.mypy]` names, the package and its models).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from tests.test_architecture import MODULES, PACKAGE_DIRS, imports, top

ROOT = Path(__file__).resolve().parent.parent



def mypy_tree(dest: Path) -> Path:
    """`dest/replicheck/`, a tree of symlinks that mirrors the installed package; returns dest
    (the directory to put on MYPYPATH)."""
    package = dest / "replicheck"
    package.mkdir(parents=True)
    for folder, name in PACKAGE_DIRS.items():
        if name == "replicheck":
            for entry in sorted((ROOT / folder).iterdir()):
                if entry.name != "__pycache__":
                    (package / entry.name).symlink_to(entry)
        else:
            sub = name.split(".", 1)[1]
            assert "." not in sub, f"{name}: only direct subpackages are mapped"
            (package / sub).symlink_to(ROOT / folder)
    return dest


def run_mypy(tree: Path, cache: Path, args: list[str], cwd: Path = ROOT) -> tuple[int, str]:
    """mypy's exit status and output (paths inside the tree given as the repository's)."""
    env = dict(os.environ, MYPYPATH=str(tree), PYTHONPATH=os.pathsep.join([str(tree), str(ROOT)]))
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(cache), "--no-color-output", "--no-error-summary", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )
    out = proc.stdout + proc.stderr
    for folder, name in sorted(PACKAGE_DIRS.items(), key=lambda kv: -len(kv[1])):
        out = out.replace(f"{tree}/{name.replace('.', '/')}/", f"{folder}/")
    return proc.returncode, out


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mypy_tree(tmp_path_factory.mktemp("mypy_tree"))


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mypy_cache")


@pytest.mark.slow  # runs mypy: the four tests that do take about 10 s in all
def test_the_package_and_the_shipped_models_pass_mypy(tree: Path, cache: Path) -> None:
    # no targets: pyproject.toml's [tool.mypy] says what to check, and how (the plugin)
    status, out = run_mypy(tree, cache, [])
    assert status == 0, "mypy found errors:\n" + out
    assert "replicheck.mypy_plugin" in (ROOT / "pyproject.toml").read_text()


# -- a user's model, in the documented style ---------------------------------------------------

USER_MODEL = '''
from replicheck.lang import Bool, Enum, Map, Model, Range, Sort, Var, action, count, invariant, require
from replicheck.lang.faults import Crashes

Role = Enum("Role", "idle", "waiting", "holding")
Ticket = Range(0, "max_ticket")  # a parameter type: named at module level
Proc = Sort("Proc", default=2, symmetric=True)


class Lock(Crashes(Proc), Model):  # type: ignore[misc]
    Proc = Proc  # re-declared in the class, as the model needs it
    max_ticket: int = 2

    role = Map(Proc, Role, init=Role.idle)
    ticket = Map(Proc, Ticket, init=0)
    holder = Var(Proc.or_none, init=None)

    @action
    def request(self, s, p: Proc, t: Ticket, urgent: Bool):
        require((s.role[p] == Role.idle) & (t > 0) & s.up[p])
        s.ticket[p] = t + 1 if urgent and t < self.max_ticket else t
        s.role[p] = Role.waiting

    @action
    def acquire(self, s, p: Proc):
        require((s.role[p] == Role.waiting) & (s.holder == None))  # noqa: E711
        for q in self.Proc:
            if q != p:
                require(s.ticket[q] <= s.ticket[p])
        s.role[p] = Role.holding
        s.holder = p

    @action
    def release(self, s, p: Proc):
        require(s.holder == p)
        s.role[p] = Role.idle
        s.holder = self.Proc.none

    @invariant
    def one_holder(self, s):
        return count(self.Proc, lambda p: s.role[p] == Role.holding) <= 1


class Ring(Model):
    Slot = Sort("Slot", default=3)
    Mode = Enum("Mode", "on off")
    mode = Map(Slot, Mode, init=Mode.off)

    @action
    def turn_on(self, s, n: Slot, m: Mode):
        require(s.mode[n] != m)
        s.mode[n] = self.Mode.on if m == Ring.Mode.off else m
'''

# Real mistakes, each marked with (part of) the message mypy must give on its line.
BAD_MODEL = '''
from replicheck.lang import Enum, Map, Model, Range, Sort, action, require

Role = Enum("Role", "idle", "holding")
Ticket = Range(0, 3)


class Lock(Model):
    Proc = Sort("Proc", default=2)
    role = Map(Proc, Role, init=Role.idle)

    @action
    def acquire(self, s, p: Proc, t: Ticket):
        s.role[p] = Role.holdin  # E: "type[Role]" has no attribute "holdin"
        require(p.idx == 0)  # E: "Proc" has no attribute "idx"
        require(t.upper())  # E: "Ticket" has no attribute "upper"
        require(s.role[p] == Role.idle, "why")  # E: Too many arguments for "require"
        for q in self.Proc:
            q.nam  # E: "Proc" has no attribute "nam"
'''

PLUGIN_CONFIG = "[mypy]\nplugins = replicheck.mypy_plugin\n"


def write(dest: Path, name: str, source: str, config: str | None) -> Path:
    dest.mkdir(exist_ok=True)
    (dest / "mypy.ini").write_text(config if config is not None else "[mypy]\n")
    path = dest / name
    path.write_text(textwrap.dedent(source).lstrip())
    return path


@pytest.mark.slow
def test_a_user_model_in_the_documented_style_passes(tree: Path, cache: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "lock.py", USER_MODEL, PLUGIN_CONFIG)
    status, out = run_mypy(tree, cache, [path.name], cwd=tmp_path)
    assert status == 0, "mypy found errors in the documented style:\n" + out
    # and the style is a valid model: it compiles
    spec = importlib.util.spec_from_file_location("lock_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lock = module.Lock().compile()
    assert {a.family for a in lock.actions} >= {"request", "acquire", "release", "crash"}
    assert any(p.name == "t" and p.value == 2 for a in lock.actions for p in a.params)
    assert {a.family for a in module.Ring().compile().actions} == {"turn_on"}


@pytest.mark.slow
def test_without_the_plugin_mypy_rejects_the_annotations(tree: Path, cache: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "lock.py", USER_MODEL, None)
    status, out = run_mypy(tree, cache, [path.name], cwd=tmp_path)
    assert status == 1
    assert 'Variable "lock.Lock.Proc" is not valid as a type' in out
    assert 'Variable "lock.Ticket" is not valid as a type' in out


@pytest.mark.slow
def test_real_type_errors_in_a_model_are_still_reported(tree: Path, cache: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "bad.py", BAD_MODEL, PLUGIN_CONFIG)
    status, out = run_mypy(tree, cache, [path.name], cwd=tmp_path)
    assert status == 1, out
    expected = {
        i: m.group(1)
        for i, line in enumerate(path.read_text().splitlines(), start=1)
        if (m := re.search(r"# E: (.*)$", line))
    }
    assert len(expected) == 5
    reported = {int(m.group(1)): m.group(2) for m in re.finditer(r"^bad\.py:(\d+): error: (.*)$", out, re.M)}
    assert sorted(reported) == sorted(expected), out
    for line, message in expected.items():
        assert message in reported[line], f"line {line}: expected {message!r}, got {reported[line]!r}"


def test_only_the_plugin_imports_mypy() -> None:
    importers = sorted(m.path for m in MODULES if any(top(i) == "mypy" for i in imports(m)))
    assert importers == ["checker/mypy_plugin.py"]


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        status, out = run_mypy(mypy_tree(Path(tmp)), ROOT / ".mypy_cache", sys.argv[1:])
    print(out, end="")
    raise SystemExit(status)
