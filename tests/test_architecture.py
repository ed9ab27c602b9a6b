"""The import rules of DESIGN.md section 2, checked on the source of every module in checker/.

- the engine (`checker/`, installed as `replicheck`) never imports `replicheck.models` or
  `replicheck.properties` (the CLI loads models by name);
- only `checker/backends/z3*.py` and `checker/symbolic/` import z3;
- only `checker/stateful.py` imports hypothesis; only `checker/explore/ray_engine.py` imports ray
  (lazily: Ray is an optional extra);
- only `checker/backends/numpy*.py`, `checker/explore/store*.py`, the batch engine
  `checker/explore/batch*.py`, the ray engine and checkpoints (`checker/explore/ray_*.py`,
  `checkpoint.py`) and the graph analyses `checker/explore/{graph,liveness}.py` import numpy
  (and scipy);
- `checker/ir` imports nothing else of `checker`; `checker/lang` imports only `replicheck.ir`
  and itself;
- every module's docstring says what it must not import.

Imports are read with `ast`, so imports inside functions and under `TYPE_CHECKING` count too.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKER = ROOT / "checker"


@dataclass(frozen=True)
class Module:
    path: str  # relative to the repository root, with forward slashes: checker/ir/nodes.py
    name: str  # dotted: replicheck.ir.nodes
    tree: ast.Module


# The folders and the import packages they install as (pyproject.toml's package-dir).
PACKAGE_DIRS = {"checker": "replicheck", "models": "replicheck.models", "properties": "replicheck.properties"}


def module_name(rel: str) -> str:
    parts = rel[: -len(".py")].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([PACKAGE_DIRS[parts[0]], *parts[1:]])


def parse(rel: str, source: str) -> Module:
    return Module(rel, module_name(rel), ast.parse(source, filename=rel))


def checker_modules() -> list[Module]:
    out = []
    for path in sorted(CHECKER.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        out.append(parse(rel, path.read_text(encoding="utf-8")))
    return out


def imports(mod: Module) -> set[str]:
    """Every module `mod` imports (absolute dotted names; `from a import b` gives a and a.b)."""
    is_pkg = mod.path.endswith("__init__.py")
    package = mod.name.split(".") if is_pkg else mod.name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(mod.tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names if alias.name != "*")
    return found


def top(name: str) -> str:
    return name.split(".")[0]


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


MODULES = checker_modules()
IDS = [m.path for m in MODULES]


def test_checker_modules_are_found() -> None:
    names = {m.name for m in MODULES}
    assert {"replicheck", "replicheck.ir.nodes", "replicheck.lang.model", "replicheck.backends.reference"} <= names


# -- the rules, as functions of one module: a list of offending imports ----------------------


def never_models_or_properties(mod: Module) -> list[str]:
    return sorted(
        i
        for i in imports(mod)
        if top(i) in ("models", "properties")
        or within(i, "replicheck.models")
        or within(i, "replicheck.properties")
    )


def _only(library: str, allowed: tuple[str, ...]) -> Callable[[Module], list[str]]:
    def rule(mod: Module) -> list[str]:
        if any(fnmatch(mod.path, pattern) for pattern in allowed):
            return []
        return sorted(i for i in imports(mod) if top(i) == library)

    rule.__name__ = f"only_{library}"
    return rule


only_z3 = _only("z3", ("checker/backends/z3*.py", "checker/symbolic/*"))
only_hypothesis = _only("hypothesis", ("checker/stateful.py",))
only_numpy = _only(
    "numpy",
    (
        "checker/backends/numpy*.py",
        "checker/explore/store*.py",
        "checker/explore/batch*.py",
        "checker/explore/graph.py",
        "checker/explore/liveness.py",
        "checker/explore/checkpoint.py",
        "checker/explore/ray_*.py",
    ),
)
only_ray = _only("ray", ("checker/explore/ray_engine.py",))


def ir_is_self_contained(mod: Module) -> list[str]:
    if not within(mod.name, "replicheck.ir"):
        return []
    return sorted(i for i in imports(mod)
                  if top(i) == "replicheck" and not within(i, "replicheck.ir") and not within(i, "replicheck.errors"))


def lang_imports_only_ir(mod: Module) -> list[str]:
    if not within(mod.name, "replicheck.lang"):
        return []
    return sorted(
        i
        for i in imports(mod)
        if top(i) == "replicheck"
        and not (within(i, "replicheck.ir") or within(i, "replicheck.lang") or within(i, "replicheck.errors"))
    )


RULES = [never_models_or_properties, only_z3, only_hypothesis, only_numpy, only_ray, ir_is_self_contained,
         lang_imports_only_ir]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
@pytest.mark.parametrize("mod", MODULES, ids=IDS)
def test_import_rule(mod: Module, rule: Callable[[Module], list[str]]) -> None:
    bad = rule(mod)
    assert not bad, f"{mod.path} breaks the rule {rule.__name__}: it imports {', '.join(bad)}"


@pytest.mark.parametrize("mod", MODULES, ids=IDS)
def test_docstring_says_what_the_module_must_not_import(mod: Module) -> None:
    doc = ast.get_docstring(mod.tree) or ""
    assert "must not import" in doc.lower(), (
        f"{mod.path}: its docstring must say what the module must not import "
        "(a line starting 'Must not import: ...')"
    )


# -- the checker of the rules can fail: synthetic modules that break each rule ---------------


@pytest.mark.parametrize(
    ("path", "source", "rule"),
    [
        ("checker/cli.py", "import replicheck.models.classic.die_hard", never_models_or_properties),
        ("checker/sweep.py", "from replicheck.properties import safety", never_models_or_properties),
        ("checker/explore/bfs.py", "import z3", only_z3),
        ("checker/backends/reference.py", "from z3 import Int", only_z3),
        ("checker/report/text.py", "def f():\n    import hypothesis.strategies", only_hypothesis),
        ("checker/explore/bfs.py", "import numpy as np", only_numpy),
        ("checker/ir/nodes.py", "from replicheck.lang import Model", ir_is_self_contained),
        ("checker/ir/nodes.py", "from ..backends import reference", ir_is_self_contained),
        ("checker/ir/__init__.py", "from ..lang import terms", ir_is_self_contained),
        ("checker/lang/model.py", "from replicheck.backends.reference import fire", lang_imports_only_ir),
        ("checker/lang/model.py", "from .. import report", lang_imports_only_ir),
        (
            "checker/lang/model.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from replicheck.explore import bfs",
            lang_imports_only_ir,
        ),
    ],
)
def test_rules_catch_violations(path: str, source: str, rule: Callable[[Module], list[str]]) -> None:
    assert rule(parse(path, source))


@pytest.mark.parametrize(
    ("path", "source", "rule"),
    [
        ("checker/backends/z3_backend.py", "import z3", only_z3),
        ("checker/symbolic/bmc.py", "import z3", only_z3),
        ("checker/stateful.py", "from hypothesis import strategies", only_hypothesis),
        ("checker/backends/numpy_batch.py", "import numpy", only_numpy),
        ("checker/explore/store.py", "import numpy", only_numpy),
        ("checker/ir/nodes.py", "from .types import BOOL\nfrom replicheck.ir import program", ir_is_self_contained),
        ("checker/lang/model.py", "from replicheck.ir import nodes\nfrom . import errors", lang_imports_only_ir),
        ("checker/registry.py", "import importlib\nimportlib.import_module('replicheck.models.x')", never_models_or_properties),
    ],
)
def test_rules_allow_what_is_allowed(path: str, source: str, rule: Callable[[Module], list[str]]) -> None:
    assert rule(parse(path, source)) == []


def test_relative_imports_resolve() -> None:
    assert imports(parse("checker/lang/model.py", "from .errors import ModelError")) == {
        "replicheck.lang.errors",
        "replicheck.lang.errors.ModelError",
    }
    assert "replicheck.ir" in imports(parse("checker/lang/__init__.py", "from ..ir import nodes"))
    assert "replicheck.lang.terms" in imports(parse("checker/lang/__init__.py", "from . import terms"))


# -- ARCHITECTURE.md stays true: it names every package and top-level module of checker/ ------


def architecture_doc() -> str:
    return (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")


def named_units() -> list[str]:
    """checker/'s subpackages (as `checker/x/`) and its top-level modules (as `checker/x.py`)."""
    units = [f"checker/{p.name}/" for p in sorted(CHECKER.iterdir()) if (p / "__init__.py").is_file()]
    units += [f"checker/{p.name}" for p in sorted(CHECKER.glob("*.py"))]
    return units


@pytest.mark.parametrize("unit", named_units())
def test_architecture_md_names_every_package_and_module(unit: str) -> None:
    """A package is named as a whole (`checker/explore/`) or module by module (`checker/backends/x.py`)."""
    doc = architecture_doc()
    if f"`{unit}`" in doc:
        return
    if unit.endswith("/"):
        modules = [f"{unit}{m.name}" for m in sorted((ROOT / unit).glob("*.py")) if m.name != "__init__.py"]
        missing = [m for m in modules if f"`{m}`" not in doc]
        assert not missing, f"ARCHITECTURE.md names neither `{unit}` nor {', '.join(missing)}: add what they own"
        return
    raise AssertionError(f"ARCHITECTURE.md's table has no row for `{unit}`: add what it owns")


def test_architecture_md_names_only_modules_that_exist() -> None:
    import re

    for path in re.findall(r"`(checker/[\w/]+(?:\.py)?)`", architecture_doc()):
        assert (ROOT / path).exists(), f"ARCHITECTURE.md names {path}, which does not exist"


def test_architecture_md_states_the_package_mapping() -> None:
    doc = architecture_doc()
    for folder, package in PACKAGE_DIRS.items():
        assert f"`{folder}/` is `{package}`" in doc


LEAVES = ("replicheck.errors", "replicheck.engines", "replicheck.interrupts")  # ARCHITECTURE.md: "leaves anyone may import"


def leaf(name: str) -> bool:
    return any(within(name, m) for m in LEAVES)


def test_errors_is_a_leaf_every_package_may_import() -> None:
    (mod,) = [m for m in MODULES if m.name == "replicheck.errors"]
    assert not [i for i in imports(mod) if top(i) == "replicheck"]


def test_engines_is_a_leaf_importing_only_errors() -> None:
    (mod,) = [m for m in MODULES if m.name == "replicheck.engines"]
    assert {i for i in imports(mod) if top(i) == "replicheck"} <= {"replicheck.errors", "replicheck.errors.OptionError"}


# -- each module's docstring claim, "Must not import: ...", checked against its real imports --

LIBRARIES = {"z3", "numpy", "hypothesis", "scipy", "networkx", "mypy", "ray"}
SHORT_NAMES = {"models": "replicheck.models", "properties": "replicheck.properties", "checker": "replicheck"}


def _claim(doc: str) -> str:
    """The sentence after "Must not import:" (up to its full stop)."""
    import re

    m = re.search(r"Must not import:(.*?)(?:\.(?:\s|$)|$)", doc, re.S)
    return " ".join(m.group(1).split()) if m else ""


def _names(text: str) -> set[str]:
    import re

    found = {SHORT_NAMES.get(n, n) for n in re.findall(r"`([\w.]+)`", text)}
    found |= {w for w in re.findall(r"[\w.]+", text) if w.startswith("replicheck.")}
    return found | {w for w in re.findall(r"\b\w+\b", text) if w in LIBRARIES}


def own_package(mod: Module) -> str:
    """The package a module may import freely: its own (a top-level module: only itself)."""
    pkg = mod.name if mod.path.endswith("__init__.py") else mod.name.rsplit(".", 1)[0]
    return mod.name if pkg == "replicheck" else pkg


def module_level_imports(mod: Module) -> set[str]:
    body = ast.Module(body=[n for n in mod.tree.body if isinstance(n, (ast.Import, ast.ImportFrom))], type_ignores=[])
    return imports(Module(mod.path, mod.name, body))


def claim_breaches(mod: Module) -> list[str]:
    """Imports the module's docstring says it does not make."""
    import re

    claim = _claim(ast.get_docstring(mod.tree) or "")
    own = own_package(mod)
    everything = imports(mod)
    bad: list[str] = []
    for clause in claim.split(";"):
        module_level = "at module level" in clause
        got = module_level_imports(mod) if module_level else everything
        ours = {i for i in got if top(i) == "replicheck" and not within(i, own) and not leaf(i)}
        plain = re.sub(r"\([^)]*\)", "", clause)
        if re.search(r"\b(but|outside|other part)\b", plain):
            allowed = _names(plain.split("but", 1)[1] if "but" in plain else plain)
            if "outside" in plain or "other part" in plain:
                allowed = {own}
            bad += sorted(i for i in ours if not any(within(i, a) or within(a, i) for a in allowed))
            libs = _names(plain) & LIBRARIES
            bad += sorted(i for i in got if top(i) in libs)
        elif re.search(r"\banything\b", plain):
            bad += sorted(ours)
        else:
            for name in _names(plain):
                bad += sorted(i for i in got if within(i, name))
    return sorted(set(bad))


@pytest.mark.parametrize("mod", MODULES, ids=IDS)
def test_each_module_imports_nothing_its_docstring_rules_out(mod: Module) -> None:
    bad = claim_breaches(mod)
    assert not bad, f"{mod.path}: its docstring says it must not import {', '.join(bad)}, but it does"


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ('"""X.\n\nMust not import: z3, numpy.\n"""\nimport numpy', "numpy"),
        ('"""X.\n\nMust not import: anything of checker but `replicheck.ir`.\n"""\nfrom replicheck.explore import bfs',
         "replicheck.explore"),
        ('"""X.\n\nMust not import: `replicheck.cli`.\n"""\ndef f():\n    from replicheck import cli', "replicheck.cli"),
        ('"""X.\n\nMust not import: hypothesis (at module level).\n"""\nimport hypothesis', "hypothesis"),
    ],
)
def test_the_claim_check_can_fail(path: str, source: str) -> None:
    assert source in " ".join(claim_breaches(parse("checker/report/text.py", path)))


def test_the_claim_check_allows_what_is_allowed() -> None:
    lazy = '"""X.\n\nMust not import: hypothesis (at module level).\n"""\ndef f():\n    import hypothesis'
    assert claim_breaches(parse("checker/api.py", lazy)) == []


# -- ARCHITECTURE.md's "may import" column, checked against every module's real imports -----


def may_import_table() -> list[tuple[list[str], set[str] | None]]:
    """(paths of the row, the packages its modules may import; None: anything above)."""
    import re

    rows = []
    for line in architecture_doc().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`checker/"):
            continue
        paths = re.findall(r"`(checker/[\w/.]+)`", cells[0])
        allowed_text = cells[2]
        if "everything" in allowed_text:
            rows.append((paths, None))
            continue
        names = {n for n in re.findall(r"`([\w.]+)`", allowed_text) if n not in LIBRARIES}
        rows.append((paths, {n if n.startswith("replicheck") else f"replicheck.{n}" for n in names}))
    return rows


def table_breaches(mod: Module) -> list[str]:
    own = own_package(mod)
    bad = []
    for paths, allowed in may_import_table():
        if not any(mod.path == p or (p.endswith("/") and mod.path.startswith(p)) for p in paths) or allowed is None:
            continue
        for i in imports(mod):
            if top(i) != "replicheck" or within(i, own) or leaf(i) or i == "replicheck":
                continue
            if not any(within(i, a) or within(a, i) for a in allowed):
                bad.append(i)
    return sorted(set(bad))


def test_the_may_import_table_covers_the_packages() -> None:
    covered = {p for paths, _ in may_import_table() for p in paths}
    assert {"checker/ir/", "checker/lang/", "checker/explore/", "checker/report/", "checker/symbolic/"} <= covered


@pytest.mark.parametrize("mod", MODULES, ids=IDS)
def test_each_module_imports_only_what_architecture_md_allows(mod: Module) -> None:
    bad = table_breaches(mod)
    assert not bad, f"{mod.path} imports {', '.join(bad)}, which ARCHITECTURE.md's 'may import' column does not allow"
