"""Results read lately, kept by each server process from one request to the next.

Every click on the Rules page reads the view's mining from its pickle (tens of thousands
of rules, megabytes), filters it and draws it; reading was 5 to 10 ms of each click. A
result file is never changed in place (``storage._atomic_write`` puts a new file in its
place), so a result is known by its file: path, device, inode, size and modification
time. A file written anew, by this process or another, is another file and is read
again; a deleted one is gone at once. Who may read a path is decided before it is asked
for (``storage._result_path`` resolves the owner's dataset first), so keeping results by
path shares nothing between users.

What is kept is bounded by the size of the files (``RECENT_RESULTS_MB``, least recently
used first out); a result read here is shared by the requests that ask for it, and
nothing edits one (``Mined`` is frozen, and every view filters a copy).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The kinds of results kept between requests: those every click of a page reads (the
#: Rules page's mining, and its views drawn ahead).
KEPT_KINDS = frozenset({"mining", "drawn"})


class RecentResults:
    """Results by file identity, at most ``budget`` bytes of files, least recent out."""

    def __init__(self, budget: int) -> None:
        self.budget = max(0, int(budget))
        self._held: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def read(self, path: Path, load: Callable[[Path], Any]) -> Any | None:
        """The result in ``path`` (None when there is no such file), from memory when
        this very file was read before."""
        try:
            status = path.stat()
        except FileNotFoundError:
            return None
        identity = (str(path), status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
        with self._lock:
            if identity in self._held:
                self._held.move_to_end(identity)
                return self._held[identity][0]
        value = load(path)
        self._keep(identity, value, status.st_size)
        return value

    def held_bytes(self) -> int:
        """Bytes of the files whose results are held."""
        return self._bytes

    def _keep(self, identity: tuple, value: Any, size: int) -> None:
        if size > self.budget:
            return
        with self._lock:
            for older in [key for key in self._held if key[0] == identity[0]]:
                self._bytes -= self._held.pop(older)[1]  # an earlier file at that path
            self._held[identity] = (value, size)
            self._bytes += size
            while self._bytes > self.budget:
                self._bytes -= self._held.popitem(last=False)[1][1]
