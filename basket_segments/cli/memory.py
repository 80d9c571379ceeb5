"""The command line under an address-space limit (``ulimit -v``), and how it says so.

Shared and batch hosts often cap a process's address space. What counts there
is what a process reserves, not what it uses: glibc reserves 64 MB for each
thread's memory arena, and pyarrow's default allocator (mimalloc) reserves a
whole gigabyte the first time it allocates. Under a 2 GiB cap those
reservations left no room to load scikit-learn's libraries ("failed to map
segment from shared object"). Standard library only: this runs before pyarrow
is imported.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import resource
from collections.abc import MutableMapping

#: ``mallopt``'s parameter for the most glibc memory arenas (malloc.h).
M_ARENA_MAX = -8
#: Arenas glibc may keep under a limit: one per core of this machine's kind.
ARENAS_UNDER_LIMIT = 2
#: What the loader and the allocators say when the address space is used up.
OUT_OF_ADDRESS_SPACE = ("failed to map segment", "cannot allocate memory", "std::bad_alloc")
OUT_OF_MEMORY = (
    "not enough memory to analyse this data; try a smaller file or a machine with more memory."
)


def address_space_limit() -> int | None:
    """The process's address-space limit in bytes, None when it has none.

    >>> limit = address_space_limit()
    >>> limit is None or limit > 0
    True
    """
    soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


#: Share of the memory a table's values may take: reading, cleaning and mining take
#: about three times the values at their peak.
TABLE_SHARE = 4


def default_table_budget() -> int | None:
    """What a table's values may take by default: a quarter of the machine's memory or of
    the address-space limit, whichever is smaller; None where neither is known."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):  # not a POSIX system
        physical = None
    known = [size for size in (physical, address_space_limit()) if size]
    return min(known) // TABLE_SHARE if known else None


def fit_to_address_space(environ: MutableMapping[str, str] = os.environ) -> bool:
    """Reserve less address space when the process has a limit; True when it has one.

    pyarrow then takes its memory from jemalloc, which reserves as it goes (read when
    pyarrow is imported, so call this first), and glibc keeps at most
    ``ARENAS_UNDER_LIMIT`` arenas. A setting the user made is kept.
    """
    if address_space_limit() is None:
        return False
    environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to cap
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, ARENAS_UNDER_LIMIT)
    return True


def out_of_address_space(error: BaseException) -> bool:
    """Whether ``error`` means the process ran out of memory or address space.

    >>> out_of_address_space(ImportError("libx.so: failed to map segment from shared object"))
    True
    >>> out_of_address_space(ImportError("No module named 'x'"))
    False
    """
    if isinstance(error, MemoryError):
        return True
    if isinstance(error, OSError) and error.errno == errno.ENOMEM:
        return True
    text = str(error).lower()
    return isinstance(error, ImportError | OSError | RuntimeError) and any(
        words in text for words in OUT_OF_ADDRESS_SPACE
    )
