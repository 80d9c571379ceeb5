"""What this process may use of the machine it runs on."""

from __future__ import annotations

import os


def usable_cpus() -> int:
    """The CPUs this process may run on: its affinity (``taskset``, a container's
    cpuset), not the machine's count.

    Pinned to one CPU, a worker process beside this one only takes turns with it and
    adds its start and the pickling of what crosses: the parallel paths pay off only
    when this says more than one.

    >>> 1 <= usable_cpus() <= (os.cpu_count() or 1)
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1
