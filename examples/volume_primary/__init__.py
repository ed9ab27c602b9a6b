"""A small, real implementation of the volume-primary protocol that `ebs.election` models.

Storage nodes hold replicas of volumes (a role, an epoch, the last write they hold, their
peer); a control plane names each volume's primary and registers its mirror; an instance
sends its writes to the primary the control plane names. Everything talks by messages over
an in-memory network whose node-to-node links and node-to-control-plane links can be cut,
and whose nodes can crash and restart.

`Cluster(nodes=3, volumes=1, buggy=False)` is the entry point. With `buggy=True` the
implementation has the no-fencing bug of the `no_fencing` variant: a node becoming a mirror
does not check with the control plane that its new primary's epoch is current (nor register
itself), and a secondary accepts replication from any primary at any epoch.

`tests/test_conformance.py` checks, with Hypothesis, that every step of this implementation
is a step of the model (see docs/conformance.md).
"""

from .cluster import Cluster
from .control_plane import ControlPlane
from .network import Network, Unreachable
from .node import Replica, Role, StorageNode

__all__ = ["Cluster", "ControlPlane", "Network", "Unreachable", "Replica", "Role", "StorageNode"]
