"""Import the parts of scikit-learn segmenting uses, once, at half the cost.

scikit-learn imports ``scipy.stats`` as it loads (``sklearn.utils.fixes``,
``sklearn.metrics``), though KMeans never calls it. As ``scipy.stats`` loads, SciPy
1.15+ rewrites the docstring of some 470 functions to add a table of the array
libraries each supports (``scipy._lib._array_api.xp_capabilities``): it parses every
docstring with its numpydoc scraper. That is about 0.35 s of the 1.3 s import on one
core, the largest single part of it, and on the command line nothing else can run
meanwhile. The functions and their behaviour do not change; only their help text
does. So, while scikit-learn is imported here, that decorator keeps each docstring
as it is.

Only a docstring is skipped: if SciPy renames its internals, the import here is as
slow as a plain one and as correct (``docstrings_kept`` finds nothing to change).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

#: The modules ``import_scikit_learn`` loads.
MODULES = ("sklearn.cluster", "sklearn.metrics", "sklearn.preprocessing")

#: One import at a time: a second caller waits for the first's modules (as Python's
#: import lock would make it), and the decorator is put back once.
_IMPORTING = threading.Lock()


def _new_lock_in_child() -> None:
    """A forked process (a dashboard job) gets a lock of its own: one held by an importing
    thread at the fork would never be released there, that thread not being copied."""
    global _IMPORTING
    _IMPORTING = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)


def import_scikit_learn() -> None:
    """Import ``MODULES``; at once when they are loaded already."""
    if all(name in sys.modules for name in MODULES):
        return
    with _IMPORTING, docstrings_kept():
        import sklearn.cluster
        import sklearn.metrics
        import sklearn.preprocessing  # noqa: F401


class _DocstringAsIs:
    """Stands in for SciPy's ``FunctionDoc`` in ``xp_capabilities``: a note appended to
    its sections goes nowhere, and its text is the docstring as written, after the one
    line (the signature) that the decorator drops."""

    def __init__(self, function: object) -> None:
        self._doc = getattr(function, "__doc__", None) or ""
        self._sections: dict[str, list] = {}

    def __getitem__(self, section: str) -> list:
        return self._sections.setdefault(section, [])

    def __str__(self) -> str:
        return "\n" + self._doc


@contextlib.contextmanager
def docstrings_kept() -> Iterator[bool]:
    """While inside, SciPy's array-API decorator keeps docstrings as written; yields
    whether it was changed (not when ``scipy.stats`` is loaded already, nothing would
    be gained, or SciPy has no such decorator)."""
    if "scipy.stats" in sys.modules:
        yield False
        return
    try:
        from scipy._lib import _array_api
    except ImportError:
        yield False
        return
    original = getattr(_array_api, "FunctionDoc", None)
    if original is None or not hasattr(_array_api, "xp_capabilities"):
        yield False
        return
    _array_api.FunctionDoc = _DocstringAsIs
    try:
        yield True
    finally:
        _array_api.FunctionDoc = original
