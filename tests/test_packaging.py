"""The package a user installs: one import package, `replicheck`, built from three folders.

pyproject.toml maps `replicheck` to checker/, `replicheck.models` to models/ and
`replicheck.properties` to properties/. These tests check that the list of packages names
every folder, that the wheel holds exactly one top-level import package, and that the
installed wheel works from another folder with a `models/` package of the user's own in it.

The wheel is built from a copy of the source tree, and the tests that use it run in one
pytest-xdist group: two workers building in the checkout at once race on setuptools' build/
and egg-info folders (a CI run failed that way).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+; CI runs 3.11

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def folder_packages() -> set[str]:
    """Every folder with an __init__.py under the three roots, as the package it installs as."""
    mapping = PYPROJECT["tool"]["setuptools"]["package-dir"]
    found = set()
    for package, folder in mapping.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder).parts
            found.add(".".join([package, *rel]))
    return found


def test_the_package_list_names_every_folder() -> None:
    assert set(PYPROJECT["tool"]["setuptools"]["packages"]) == folder_packages()


def test_the_three_folders_map_into_one_import_package() -> None:
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {
        "replicheck": "checker",
        "replicheck.models": "models",
        "replicheck.properties": "properties",
    }
    assert PYPROJECT["project"]["name"] == "replicheck"
    assert PYPROJECT["project"]["scripts"] == {"replicheck": "replicheck.cli:main"}


def test_the_licence_is_apache_2_and_shipped() -> None:
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text


def test_version_is_one_string_shared_by_the_package_and_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    import replicheck
    from replicheck.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"replicheck {replicheck.__version__}"
    assert PYPROJECT["project"]["dynamic"] == ["version"]


def test_python_dash_m_runs_the_cli() -> None:
    out = subprocess.run([sys.executable, "-m", "replicheck", "--version"], capture_output=True, text=True,
                         check=True, cwd=ROOT.parent)
    assert out.stdout.startswith("replicheck ")


NOT_SOURCE = shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("source") / "replicheck"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                            "--disable-pip-version-check", "-w", str(out), str(source)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = out.glob("replicheck-*.whl")
    return found


@pytest.mark.slow
@pytest.mark.xdist_group("wheel")
def test_the_wheel_installs_one_top_level_package(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {n.split("/")[0] for n in names}
    dist_info = {t for t in tops if t.endswith(".dist-info")}
    assert tops - dist_info == {"replicheck"}
    assert {"replicheck/py.typed", "replicheck/models/ebs/election.py", "replicheck/properties/consistency.py",
            "replicheck/__main__.py"} <= set(names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


@pytest.mark.slow
@pytest.mark.xdist_group("wheel")
def test_the_installed_wheel_ignores_a_models_folder_of_the_users(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
                    "--target", str(target), str(wheel)], check=True, capture_output=True)
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "models" / "__init__.py").write_text("raise ImportError('the user models package')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), str(project)])}
    listed = subprocess.run([sys.executable, "-m", "replicheck", "list"], capture_output=True, text=True,
                            cwd=project, env=env)
    assert listed.returncode == 0, listed.stderr
    assert "ebs.election" in listed.stdout and "classic.two_phase" in listed.stdout
    where = subprocess.run([sys.executable, "-c", "import replicheck; print(replicheck.__file__)"],
                           capture_output=True, text=True, cwd=project, env=env, check=True)
    assert where.stdout.strip().startswith(str(target))
