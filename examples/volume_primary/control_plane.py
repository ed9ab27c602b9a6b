"""The control plane: the authority that names each volume's primary and registers its mirror."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .network import CONTROL_PLANE, Network, Unreachable


@dataclass
class VolumeRecord:
    epoch: int = 0
    primary: str | None = None
    mirror: str | None = None


@dataclass
class ControlPlane:
    network: Network
    max_epoch: int = 4
    volumes: dict[str, VolumeRecord] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.network.register(CONTROL_PLANE, self.handle)

    def record(self, volume: str) -> VolumeRecord:
        return self.volumes.setdefault(volume, VolumeRecord())

    def _send(self, to: str, message: dict[str, Any]) -> Any:
        return self.network.send(CONTROL_PLANE, to, message)

    def create_volume(self, volume: str, primary: str, mirror: str) -> bool:
        """The Create Volume API: place a primary and its mirror (which must reach each other),
        on two nodes the control plane reaches: it assigns and registers both over its links."""
        rec = self.record(volume)
        net = self.network
        if rec.epoch != 0 or primary == mirror or primary in net.down or mirror in net.down:
            return False
        if not net.connected(primary, mirror):
            return False
        if not (net.connected(CONTROL_PLANE, primary) and net.connected(CONTROL_PLANE, mirror)):
            return False  # checked first: the volume is placed on both or on neither
        self._send(primary, {"type": "assign", "volume": volume, "role": "primary", "epoch": 1, "peer": mirror})
        self._send(mirror, {"type": "assign", "volume": volume, "role": "secondary", "epoch": 1, "peer": primary})
        rec.epoch, rec.primary, rec.mirror = 1, primary, mirror
        return True

    def handle(self, sender: str, m: dict[str, Any]) -> Any:
        rec = self.record(m["volume"])
        if m["type"] == "query":  # who is the primary?
            return {"primary": rec.primary, "epoch": None}
        if m["type"] == "negotiate":  # a primary that lost its mirror, or any primary checking in
            if rec.primary != sender:
                return {"primary": rec.primary, "epoch": None}
            if rec.epoch >= self.max_epoch:
                return {"primary": sender, "epoch": None}
            rec.epoch += 1
            return {"primary": sender, "epoch": rec.epoch}
        if m["type"] == "register_mirror":
            if rec.primary != m["primary"] or rec.epoch != m["epoch"]:
                return False
            rec.mirror = sender
            return True
        raise ValueError(f"unknown message {m['type']}")

    def check_primary(self, volume: str) -> str | None:
        """Failover: when the primary cannot be reached, promote the registered mirror (which
        holds every acknowledged write). Returns the promoted node, if any."""
        rec = self.record(volume)
        if rec.epoch == 0 or rec.primary is None or rec.mirror is None or rec.epoch >= self.max_epoch:
            return None
        try:
            self._send(rec.primary, {"type": "replicate", "volume": volume, "epoch": 0, "version": None})
            return None  # the primary answers (whatever it says): no failover
        except Unreachable:
            pass
        candidate = rec.mirror
        try:
            self._send(candidate, {"type": "promote", "volume": volume, "epoch": rec.epoch + 1})
        except Unreachable:
            return None
        rec.epoch += 1
        rec.primary, rec.mirror = candidate, None
        return candidate
