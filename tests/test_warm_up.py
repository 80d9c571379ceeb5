"""A production server imports scikit-learn as it starts, not in the first segmentation.

A fresh interpreter, as gunicorn's worker is: this one has long imported it.
"""

import os
import subprocess
import sys

from tests.conftest import REPO

WORKER = """
import gc, sys, threading
import basket_segments.web.wsgi
from basket_segments.analytics.segmentation import IMPORT_THREAD
from basket_segments.web.warm_up import FREEZE_THREAD, SERVER_GC_THRESHOLDS
importing = [t for t in threading.enumerate() if t.name == IMPORT_THREAD]
freezing = [t for t in threading.enumerate() if t.name == FREEZE_THREAD]
for thread in importing + freezing:
    thread.join(120)
print(len(importing), "sklearn.cluster" in sys.modules and "sklearn.metrics" in sys.modules)
print(len(freezing), gc.get_freeze_count() > 100_000, gc.get_threshold() == SERVER_GC_THRESHOLDS)
import plotly.io
print(plotly.io.json.config.default_engine)
"""


def test_the_wsgi_worker_imports_scikit_learn_beside_its_first_requests(tmp_path):
    """The worker serves at once; the import (a second of CPU) runs in a thread, so the
    first user's first segmentation finds it done (1.63 s against 1.07 s for the medium
    benchmark file, fresh server). Then the start's objects (Dash, plotly, pandas,
    scikit-learn: hundreds of thousands) leave the garbage collector's passes."""
    environ = {key: value for key, value in os.environ.items() if not key.endswith("DATABASE_URL")}
    environ["BASKET_SEGMENTS_INSTANCE_PATH"] = str(tmp_path / "instance")
    run = subprocess.run(
        [sys.executable, "-c", WORKER],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["1", "True", "1", "True", "True", "json"]
