"""scikit-learn imported without SciPy rewriting docstrings (analytics.sklearn_import)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from basket_segments.analytics.sklearn_import import docstrings_kept, import_scikit_learn

#: Run in a fresh interpreter (scipy.stats must not be loaded yet): how scipy.stats'
#: docstrings came out, whether its functions work, and whether the decorator was
#: put back.
PROBE = """
import json, sys
from scipy._lib import _docscrape
parses = []
scrape = _docscrape.FunctionDoc.__init__
def counted(self, *args, **kwargs):
    parses.append(1)
    scrape(self, *args, **kwargs)
_docscrape.FunctionDoc.__init__ = counted
import numpy
numpy_names, numpy_listing = list(numpy.__all__), sorted(dir(numpy))
HELPER = sys.argv[1] == "helper"
if HELPER:
    from basket_segments.analytics.sklearn_import import import_scikit_learn
    import_scikit_learn()
else:
    import sklearn.cluster, sklearn.metrics, sklearn.preprocessing
import scipy.stats
from scipy._lib import _array_api
print(json.dumps({
    "decorator": hasattr(_array_api, "xp_capabilities"),
    "notes": sum("Array API Standard Support" in (f.__doc__ or "")
                 for f in _array_api.xp_capabilities_table),
    "parses": len(parses),
    "holders": sum(getattr(m, "FunctionDoc", None) is _docscrape.FunctionDoc
                   for m in list(sys.modules.values())),
    "put_back": all(getattr(m, "FunctionDoc", _docscrape.FunctionDoc) is _docscrape.FunctionDoc
                    for name, m in list(sys.modules.items()) if name.startswith("scipy")),
    "rankdata": scipy.stats.rankdata([30, 10, 20]).tolist(),
    "ttest": round(float(scipy.stats.ttest_ind([1, 2, 3, 4], [3, 4, 5, 6]).pvalue), 9),
    "has_doc": "rankdata" in (scipy.stats.rankdata.__doc__ or ""),
    "axis_doc": "Welch" in (scipy.stats.ttest_ind.__doc__ or ""),
    "f2py_loaded": "numpy.f2py" in sys.modules,
    "numpy_as_before": numpy.__all__ == numpy_names and sorted(dir(numpy)) == numpy_listing,
    "f2py_importable": __import__("numpy.f2py").f2py.__name__ == "numpy.f2py",
}))
"""


def _probe(way: str) -> dict:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, way], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_the_helper_imports_scikit_learn_without_scipys_docstring_rewriting():
    plain, helped = _probe("plain"), _probe("helper")
    if not plain["decorator"]:
        pytest.fail("SciPy has no xp_capabilities any more: sklearn_import can go")
    assert plain["notes"] > 100  # SciPy parses each of these for its array-API note
    assert plain["parses"] > plain["notes"]  # and more for its other decorators
    assert helped["notes"] == 0 and helped["parses"] == 0
    # Every module that imported the scraper has it back, as many as plainly.
    assert helped["put_back"] and plain["put_back"]
    assert helped["holders"] == plain["holders"] > 2
    assert helped["rankdata"] == plain["rankdata"] == [3.0, 1.0, 2.0]
    assert helped["ttest"] == plain["ttest"]
    assert helped["has_doc"] and helped["axis_doc"]  # the docstrings as written are kept
    # numpy's Fortran wrapper generator is not imported, and numpy lists it again after.
    assert plain["f2py_loaded"] and not helped["f2py_loaded"]
    assert helped["numpy_as_before"] and helped["f2py_importable"]


def test_nothing_is_changed_once_scipy_stats_is_loaded():
    import scipy.stats  # noqa: F401
    from scipy._lib import _array_api, _docscrape

    before = _array_api.FunctionDoc
    with docstrings_kept() as changed:
        assert not changed
        assert _array_api.FunctionDoc is before and _docscrape.FunctionDoc is before
    import_scikit_learn()
    assert "sklearn.cluster" in sys.modules


def test_a_process_forked_while_the_import_lock_is_held_can_still_import():
    """A dashboard job forked while the web process's warm-up thread imports must not
    wait for a lock no thread of its own will release."""
    import os

    from basket_segments.analytics import sklearn_import

    with sklearn_import._IMPORTING:
        pid = os.fork()
        if pid == 0:  # the child: the lock must be free here
            os._exit(0 if sklearn_import._IMPORTING.acquire(timeout=5) else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
