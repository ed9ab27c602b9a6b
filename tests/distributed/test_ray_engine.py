"""The ray engine on a local Ray (one per module, started by the fixture): the batch engine's
counts and counterexample through the public API and the CLI, for 1, 2, 3 and 5 partitions;
a partition killed mid-run ends the run as incomplete, naming the last checkpoint, and the run
resumes from it to the uninterrupted counts.

Skipped, with the reason, only when Ray is not installed (CI installs the `ray` extra)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest

ray = pytest.importorskip("ray", reason="the ray engine's tests need Ray: pip install 'replicheck[ray]'")

import replicheck as r  # noqa: E402
from replicheck.explore import CheckOptions, check  # noqa: E402
from replicheck.registry import load  # noqa: E402
from replicheck.report.results import RunStats  # noqa: E402
from tests.cli.helpers import run  # noqa: E402
from tests.distributed.helpers import summary  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.xdist_group("ray")]  # one local Ray at a time (pytest -n)


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=5, include_dashboard=False, log_to_driver=False, object_store_memory=200 << 20,
             namespace="replicheck-tests", logging_level="ERROR")
    yield
    ray.shutdown()


def test_die_hard_gives_the_batch_engines_counts_and_trace() -> None:
    batch = r.check("classic.die_hard", engine="batch")
    got = r.check("classic.die_hard", engine="ray", partitions=2)
    assert summary(got.details) == summary(batch.details)
    assert len(got.traces["big_is_not_4"]) == len(batch.traces["big_is_not_4"])
    assert got.exit_code == 1


@pytest.mark.parametrize("parts", [1, 2, 3, 5])
def test_two_phase_equals_the_batch_engine_for_any_partitions(parts: int) -> None:
    batch = r.check("classic.two_phase", settings={"RM": 4}, engine="batch")
    got = r.check("classic.two_phase", settings={"RM": 4}, engine="ray", partitions=parts)
    assert summary(got.details) == summary(batch.details)
    assert got.details.stats.workers == parts


def test_cli_on_ray(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "classic.die_hard", "--engine", "ray", "--partitions", "3", "-q")
    assert code == 1
    assert "Counterexample to big_is_not_4 (6 steps)" in out
    assert "engine             ray" in out


def _actor_named(suffix: str) -> Any:
    mine = f"replicheck-{os.getpid()}-"
    names = [a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
             if a["name"].startswith(mine) and a["name"].endswith(suffix)]
    assert len(names) == 1, names
    return ray.get_actor(names[0], namespace="replicheck-tests")


@pytest.mark.slow
def test_a_killed_partition_ends_incomplete_and_the_run_resumes(tmp_path: Path) -> None:
    info = load("classic.two_phase")
    program = info.cls(RM=5).compile()
    whole = check(program, CheckOptions(engine="batch"))
    killed: list[int] = []

    def kill_at_level_6(stats: RunStats) -> None:
        if stats.depth >= 6 and not killed:
            ray.kill(_actor_named("-p1"), no_restart=True)
            killed.append(stats.depth)

    opts = CheckOptions(engine="ray", partitions=3, checkpoint=str(tmp_path), progress=kill_at_level_6,
                        progress_interval=0.0)
    cut = check(program, opts)
    assert killed
    assert not cut.stats.complete and cut.stats.stop_reason == "partition died"
    assert cut.exit_code == 3
    assert any(f"--resume {tmp_path}" in w and "partition 1" in w for w in cut.warnings), cut.warnings
    resumed = check(program, CheckOptions(engine="ray", partitions=2, resume=str(tmp_path)))
    assert summary(resumed) == summary(whole)
