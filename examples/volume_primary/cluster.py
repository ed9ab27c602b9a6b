"""The whole system: nodes, the control plane, the network, and the instance's view."""

from __future__ import annotations

from dataclasses import dataclass, field

from .control_plane import ControlPlane
from .network import CONTROL_PLANE, Network
from .node import Role, StorageNode


@dataclass
class Instance:
    """The EC2 instance: sends I/O to `target`; remembers the last acknowledged write."""

    target: dict[str, str | None] = field(default_factory=dict)
    acked: dict[str, int] = field(default_factory=dict)


class Cluster:
    def __init__(self, nodes: int = 3, volumes: int = 1, buggy: bool = False, max_epoch: int = 4) -> None:
        self.network = Network()
        self.node_names = [f"n{i + 1}" for i in range(nodes)]
        self.volume_names = [f"v{i + 1}" for i in range(volumes)]
        self.nodes = {n: StorageNode(n, self.network, buggy) for n in self.node_names}
        self.control_plane = ControlPlane(self.network, max_epoch)
        self.instance = Instance({v: None for v in self.volume_names}, {v: 0 for v in self.volume_names})
        self.buggy = buggy

    # -- the instance -----------------------------------------------------------------------------
    def create_volume(self, volume: str, primary: str, mirror: str) -> bool:
        if not self.control_plane.create_volume(volume, primary, mirror):
            return False
        self.instance.target[volume] = primary
        return True

    def write(self, volume: str) -> int | None:
        target = self.instance.target[volume]
        if target is None or not self.nodes[target].up:
            return None
        version = self.nodes[target].write(volume)
        if version is not None:
            self.instance.acked[volume] = version
        return version

    def retarget(self, volume: str) -> bool:
        """The instance asks the control plane where the writable copy is."""
        primary = self.control_plane.record(volume).primary
        if self.instance.target[volume] == primary:
            return False
        self.instance.target[volume] = primary
        return True

    # -- faults and repairs -------------------------------------------------------------------------
    def partition(self, a: str, b: str) -> None:
        self.network.partition(a, b)

    def heal(self, a: str, b: str) -> None:
        self.network.heal(a, b)

    def cut_authority(self, n: str) -> None:
        self.network.partition(n, CONTROL_PLANE)

    def heal_authority(self, n: str) -> None:
        self.network.heal(n, CONTROL_PLANE)

    def crash(self, n: str) -> None:
        self.network.down.add(n)

    def restart(self, n: str) -> None:
        self.network.down.discard(n)
        self.nodes[n].restart()

    # -- observation (what a refinement map reads) ----------------------------------------------------
    def role(self, volume: str, n: str) -> Role:
        return self.nodes[n].replica(volume).role
