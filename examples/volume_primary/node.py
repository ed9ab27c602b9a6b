"""A storage node: one replica per volume, and the node's side of the protocol."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

from .network import CONTROL_PLANE, Network, Unreachable


class Role(enum.Enum):
    EMPTY = "empty"
    SECONDARY = "secondary"
    PRIMARY = "primary"
    BLOCKED = "blocked"  # a primary that lost its mirror: no I/O until it has negotiated


@dataclass
class Replica:
    role: Role = Role.EMPTY
    epoch: int = 0
    version: int = 0  # the last write this replica holds
    peer: str | None = None  # a primary's mirror, a secondary's primary


@dataclass
class StorageNode:
    name: str
    network: Network
    buggy: bool = False
    replicas: dict[str, Replica] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.network.register(self.name, self.handle)

    def replica(self, volume: str) -> Replica:
        return self.replicas.setdefault(volume, Replica())

    @property
    def up(self) -> bool:
        return self.name not in self.network.down

    def _send(self, to: str, message: dict[str, Any]) -> Any:
        return self.network.send(self.name, to, message)

    # -- messages this node receives ------------------------------------------------------------
    def handle(self, sender: str, m: dict[str, Any]) -> Any:
        r = self.replica(m["volume"])
        kind = m["type"]
        if kind == "assign":  # from the control plane at volume creation
            r.role, r.epoch, r.peer = Role(m["role"]), m["epoch"], m["peer"]
            return True
        if kind == "replicate":  # from a primary: a write, or a probe (version None)
            if not self._accepts(r, sender, m["epoch"]):
                return False
            if m["version"] is not None:
                r.version = m["version"]
            return True
        if kind == "become_mirror":  # from a primary that re-mirrors to us
            if r.role not in (Role.EMPTY, Role.SECONDARY):
                return False
            if not self.buggy:
                # fencing: check with the control plane that the primary's epoch is current,
                # and register as the volume's mirror
                if r.epoch > m["epoch"]:
                    return False
                try:
                    ok = self._send(CONTROL_PLANE, {"type": "register_mirror", "volume": m["volume"],
                                                    "primary": sender, "epoch": m["epoch"]})
                except Unreachable:
                    return False
                if not ok:
                    return False
            r.role, r.epoch, r.version, r.peer = Role.SECONDARY, m["epoch"], m["version"], sender
            return True
        if kind == "fence":  # from the control plane: a newer epoch exists
            r.epoch = m["epoch"]
            return True
        if kind == "promote":  # from the control plane
            r.role, r.epoch, r.peer = Role.PRIMARY, m["epoch"], None
            return True
        raise ValueError(f"unknown message {kind}")

    def _accepts(self, r: Replica, primary: str, epoch: int) -> bool:
        if r.role is not Role.SECONDARY:
            return False
        if self.buggy:
            return True  # the bug: any primary, any epoch
        return r.peer == primary and r.epoch <= epoch

    # -- what the node does on its own ----------------------------------------------------------
    def write(self, volume: str) -> int | None:
        """A write from the instance: replicate to the mirror, then acknowledge (the new
        version) or refuse (None)."""
        r = self.replica(volume)
        if not self.up or r.role is not Role.PRIMARY or r.peer is None:
            return None
        version = r.version + 1
        try:
            ok = self._send(r.peer, {"type": "replicate", "volume": volume, "epoch": r.epoch, "version": version})
        except Unreachable:
            return None
        if not ok:
            return None
        r.version = version
        return version

    def tick(self, volume: str) -> str | None:
        """One round of the node's protocol for `volume`; returns what it did, if anything."""
        r = self.replica(volume)
        if not self.up:
            return None
        if r.role is Role.PRIMARY and r.peer is not None:
            try:
                ok = self._send(r.peer, {"type": "replicate", "volume": volume, "epoch": r.epoch, "version": None})
            except Unreachable:
                ok = False
            if not ok:
                r.role, r.peer = Role.BLOCKED, None
                return "mirror_lost"
            return None
        if r.role in (Role.PRIMARY, Role.BLOCKED):
            # a primary without a mirror, or a blocked one, checks in with the control plane;
            # a blocked one asks to keep the volume under a new epoch
            kind = "negotiate" if r.role is Role.BLOCKED else "query"
            try:
                answer = self._send(CONTROL_PLANE, {"type": kind, "volume": volume})
            except Unreachable:
                return None
            if answer["primary"] != self.name:
                r.role, r.peer = Role.SECONDARY, None
                return "step_down"
            if r.role is Role.BLOCKED and answer["epoch"] is not None:
                r.role, r.epoch = Role.PRIMARY, answer["epoch"]
                return "keep_primary"
        return None

    def remirror(self, volume: str, candidates: list[str]) -> str | None:
        """A primary without a mirror copies the volume to the first of `candidates` that
        takes it; returns that node, or None."""
        for c in candidates:
            if c != self.name and self.remirror_to(volume, c):
                return c
        return None

    def remirror_to(self, volume: str, candidate: str) -> bool:
        """A primary without a mirror copies the volume to `candidate`."""
        r = self.replica(volume)
        if not self.up or r.role is not Role.PRIMARY or r.peer is not None or candidate == self.name:
            return False
        try:
            ok = self._send(candidate, {"type": "become_mirror", "volume": volume, "epoch": r.epoch,
                                        "version": r.version})
        except Unreachable:
            return False
        if ok:
            r.peer = candidate
        return bool(ok)

    def restart(self) -> None:
        """A restarted primary does not know whether it still is one: it must negotiate."""
        for r in self.replicas.values():
            if r.role is Role.PRIMARY:
                r.role = Role.BLOCKED
