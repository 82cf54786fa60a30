"""Many nodes on one Redis: room leases with fencing, forwarding, presence, leadership.

Used only when `SUPPORTFLOW_REDIS_URL` is set; one process needs none of it.
"""

from supportflow.cluster.forwarding import CommandBus
from supportflow.cluster.leased_placement import LeasedPlacement, RoomLease
from supportflow.cluster.leases import Held, Lease, Leases
from supportflow.cluster.node import ClusterNode
from supportflow.cluster.redis_socket_counts import RedisSocketCounts

__all__ = [
    "ClusterNode",
    "CommandBus",
    "Held",
    "Lease",
    "LeasedPlacement",
    "Leases",
    "RedisSocketCounts",
    "RoomLease",
]
