"""The ray engine on a simulated three-node cluster (`ray.cluster_utils.Cluster`: a head and
two nodes in this machine, joined by address as `--ray-address` joins a real one): the batch
engine's counts, verdicts and traces for 1, 2, 3 and 5 partitions spread over the nodes.
(Every model and variant is checked against the batch engine through the same protocol in
`test_partition_protocol.py`, without Ray; here a few, over real actors and nodes.)"""

from __future__ import annotations

from typing import Any, Iterator

import pytest

ray = pytest.importorskip("ray", reason="the ray engine's tests need Ray: pip install 'replicheck[ray]'")

from replicheck.explore import CheckOptions, check  # noqa: E402
from replicheck.registry import load  # noqa: E402
from tests.distributed.helpers import summary  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.xdist_group("ray")]  # one local Ray at a time (pytest -n)

# (model, variant, stop at the first violation): a stopping violation, and --continue past several
CASES = [("classic.die_hard", None, True), ("rds.multi_az", "naive_failover", False)]


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[Any]:
    from ray.cluster_utils import Cluster

    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": 100 << 20,
                                                     "include_dashboard": False})
    c.add_node(num_cpus=2, object_store_memory=100 << 20)
    c.add_node(num_cpus=2, object_store_memory=100 << 20)
    ray.init(address=c.address, log_to_driver=False, namespace="replicheck-tests", logging_level="ERROR")
    yield c
    ray.shutdown()
    c.shutdown()


def test_the_cluster_has_three_nodes() -> None:
    assert len([n for n in ray.nodes() if n["Alive"]]) == 3


@pytest.mark.slow
@pytest.mark.parametrize(("name", "variant", "stop"), CASES, ids=[c[0] for c in CASES])
def test_equals_the_batch_engine_for_1_2_3_5_partitions(name: str, variant: str | None, stop: bool) -> None:
    info = load(name)
    program = info.cls(variant=variant).compile()
    batch = check(program, CheckOptions(engine="batch", stop_at_first=stop, deadlock=info.cls.check_deadlock))
    assert any(v.status == "violated" for v in batch.verdicts)
    for parts in (1, 2, 3, 5):
        got = check(program, CheckOptions(engine="ray", partitions=parts, stop_at_first=stop,
                                          deadlock=info.cls.check_deadlock))
        assert summary(got) == summary(batch), (name, stop, parts)
