"""An in-memory network: synchronous request/response messages over links that can be cut."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

CONTROL_PLANE = "cp"


class Unreachable(Exception):
    """The message could not be delivered (link cut, or the receiver is down)."""


@dataclass
class Network:
    """Endpoints are node names and `CONTROL_PLANE`. Links are symmetric; a cut link drops
    every message in both directions. `handlers[name]` receives `(sender, message)`."""

    handlers: dict[str, Callable[[str, dict[str, Any]], Any]] = field(default_factory=dict)
    cut: set[frozenset[str]] = field(default_factory=set)
    down: set[str] = field(default_factory=set)
    delivered: int = 0

    def register(self, name: str, handler: Callable[[str, dict[str, Any]], Any]) -> None:
        self.handlers[name] = handler

    def connected(self, a: str, b: str) -> bool:
        return a == b or frozenset((a, b)) not in self.cut

    def partition(self, a: str, b: str) -> None:
        self.cut.add(frozenset((a, b)))

    def heal(self, a: str, b: str) -> None:
        self.cut.discard(frozenset((a, b)))

    def send(self, sender: str, receiver: str, message: dict[str, Any]) -> Any:
        """Deliver `message` and return the receiver's reply, or raise Unreachable."""
        if sender in self.down or receiver in self.down or not self.connected(sender, receiver):
            raise Unreachable(f"{sender} -> {receiver}: {message.get('type')}")
        self.delivered += 1
        return self.handlers[receiver](sender, message)
