"""Import the parts of scikit-learn segmenting uses, once, at half the cost.

scikit-learn imports ``scipy.stats`` as it loads (``sklearn.utils.fixes``,
``sklearn.metrics``), though KMeans never calls it. As ``scipy.stats`` loads, SciPy
1.15+ rewrites the docstrings of hundreds of functions: its decorators parse each
docstring with SciPy's numpydoc scraper (``scipy._lib._docscrape.FunctionDoc``) to
add a table of the array libraries it supports (``xp_capabilities``, some 470
functions), a note on batches (``_apply_over_batch``), the ``axis``/``nan_policy``
parameters (``_axis_nan_policy_factory``), the ``rng`` parameter or a deprecation.
That is the largest single part of the 1.3 s import on one core, and on the command
line nothing else can run meanwhile. The functions and their behaviour do not
change; only their help text does. So, while scikit-learn is imported here, every
SciPy module's ``FunctionDoc`` keeps each docstring as it is.

Only a docstring is skipped: if SciPy renames its internals, the import here is as
slow as a plain one and as correct (``docstrings_kept`` finds nothing to change).

SciPy's copy of array-api-compat also builds its numpy namespace with ``from numpy
import *``, which imports every submodule numpy lists, ``numpy.f2py`` (the Fortran
wrapper generator, 70 ms) included; nothing in SciPy's or scikit-learn's work uses
it there, so while scikit-learn is imported here numpy does not list it
(``f2py_unlisted``).
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
    with _IMPORTING, docstrings_kept(), f2py_unlisted():
        import sklearn.cluster
        import sklearn.metrics
        import sklearn.preprocessing  # noqa: F401


class _DocstringAsIs:
    """Stands in for SciPy's ``FunctionDoc`` in its decorators: what they add to its
    sections goes nowhere (they find no parameters), and its text is the docstring as
    written, after the one line (the signature) that they drop."""

    def __init__(self, function: object) -> None:
        self._doc = getattr(function, "__doc__", None) or ""
        self._sections: dict[str, list] = {}

    def __getitem__(self, section: str) -> list:
        return self._sections.setdefault(section, [])

    def __setitem__(self, section: str, value: list) -> None:
        self._sections[section] = value

    def __str__(self) -> str:
        return "\n" + self._doc


@contextlib.contextmanager
def docstrings_kept() -> Iterator[bool]:
    """While inside, SciPy's decorators keep docstrings as written; yields whether
    anything was changed (not when ``scipy.stats`` is loaded already, nothing would be
    gained, or SciPy has no such scraper).

    The stand-in takes the scraper's place in its own module, which the modules loaded
    meanwhile import it from, and in every SciPy module loaded before that imported it
    already; on the way out each module holding the stand-in gets the scraper back."""
    if "scipy.stats" in sys.modules:
        yield False
        return
    try:
        from scipy._lib import _docscrape
    except ImportError:
        yield False
        return
    original = getattr(_docscrape, "FunctionDoc", None)
    if original is None:
        yield False
        return
    _swap_in_scipy(original, _DocstringAsIs)
    try:
        yield True
    finally:
        _swap_in_scipy(_DocstringAsIs, original)


def _swap_in_scipy(old: object, new: object) -> None:
    """Every loaded SciPy module whose ``FunctionDoc`` is ``old`` gets ``new``."""
    for name, module in list(sys.modules.items()):
        if name.startswith("scipy") and getattr(module, "FunctionDoc", None) is old:
            module.FunctionDoc = new


@contextlib.contextmanager
def f2py_unlisted() -> Iterator[bool]:
    """While inside, ``from numpy import *`` and ``dir(numpy)`` leave out ``f2py``; yields
    whether they did (not once it or SciPy's numpy namespace is loaded, or where numpy
    lists no such name). ``import numpy.f2py`` and ``numpy.f2py`` work as ever."""
    import numpy

    names, listing = getattr(numpy, "__all__", None), getattr(numpy, "__dir__", None)
    if (
        "numpy.f2py" in sys.modules
        or "scipy._lib.array_api_compat.numpy" in sys.modules
        or not isinstance(names, list)
        or "f2py" not in names
        or not callable(listing)
    ):
        yield False
        return
    numpy.__all__ = [name for name in names if name != "f2py"]
    numpy.__dir__ = lambda: [name for name in listing() if name != "f2py"]
    try:
        yield True
    finally:
        numpy.__all__, numpy.__dir__ = names, listing
