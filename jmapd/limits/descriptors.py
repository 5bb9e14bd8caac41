"""The process's file-descriptor limit: raised at start where the system allows, and what of it the
connections may use.

Each connection is a descriptor. When they run out, accept() fails for everyone and so do the store,
the index and the worker pipes: a few hundred idle connections (a common service default allows
1,024 descriptors) would lock out every real client. So the soft limit is raised towards the hard one,
and the total of connections is kept below it with room left for everything else.
"""

from __future__ import annotations

try:
    import resource
except ImportError:  # pragma: no cover - not on POSIX
    resource = None  # type: ignore[assignment]

# Raising the soft limit further buys nothing a single process can use, and some kernels allocate
# per-descriptor tables eagerly.
WANTED = 65536
# Descriptors kept for LMDB, the index segments, worker pipes, logs and the listening sockets: an
# eighth of the limit, and never fewer than this.
RESERVED_AT_LEAST = 128


def raise_descriptor_limit(wanted: int = WANTED) -> int:
    """Raise the soft RLIMIT_NOFILE towards `wanted` (never above the hard limit); returns the limit
    now in force."""
    if resource is None:  # pragma: no cover
        return 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return wanted if soft == resource.RLIM_INFINITY else soft


def descriptor_limit() -> int:
    if resource is None:  # pragma: no cover
        return 1024
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return WANTED if soft == resource.RLIM_INFINITY else soft


def connections_allowed(limit: int) -> int:
    """How many connections a process with `limit` descriptors may hold."""
    return max(1, limit - max(RESERVED_AT_LEAST, limit // 8))
