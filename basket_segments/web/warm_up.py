"""What a server process does as it starts, so that its first segmentation and its
clicks pay less: scikit-learn imported in a thread, and Python's garbage collector told
that what the start made is there to stay.

Where job processes run a worker's jobs (``job_process.py``), the worker never
segments: it leaves scikit-learn to them (``JOBS_ELSEWHERE``), which saves it the
import's second of CPU beside its first requests and about 70 MiB it would hold.

The collector's full passes walk every object the process holds. In a dashboard worker
most of them (Dash, plotly, pandas, scikit-learn, the app) were made at start and live
as long as the process; a full pass over them stalled every request thread of the
worker for 100 to 200 ms at a time, mid-click. ``gc.freeze`` takes them out of every
later pass, and a higher threshold for the youngest generation lets a click's short-
lived objects go before they are counted at all. Measured on a gunicorn worker, one
user choosing segments on the Rules page (bench/README.md, "Speed on one core"):
about 8 % less CPU per click.

Answers are written with plotly's ``json`` engine. Where ``orjson`` is installed plotly
prefers it, but a Dash answer holds components, which ``orjson`` cannot write: plotly then
walks the whole answer in Python first, and the answer takes longer than the standard
library takes for it (a Rules click's 77 KB: 3.9 against 2.7 ms; a 50,000-point scatter:
44 against 34 ms). Without ``orjson``, as requirements.txt installs it, this changes
nothing.
"""

from __future__ import annotations

import gc
import os
import threading

import plotly.io

from basket_segments.analytics.segmentation import import_scikit_learn_in_background
from basket_segments.settings import JOBS_ELSEWHERE

#: The collector's thresholds in a server (Python's own: 700, 10, 10).
SERVER_GC_THRESHOLDS = (20_000, 20, 10)
#: The thread that freezes the start's objects once scikit-learn's import is done.
FREEZE_THREAD = "freeze-start-objects"


def warm_up_server() -> threading.Thread:
    """Start the import (unless job processes segment); set the collector and the JSON
    engine; the thread that freezes."""
    gc.set_threshold(*SERVER_GC_THRESHOLDS)
    plotly.io.json.config.default_engine = "json"
    jobs_elsewhere = os.environ.get(JOBS_ELSEWHERE) == "1"
    importing = None if jobs_elsewhere else import_scikit_learn_in_background()
    freezing = threading.Thread(
        target=_freeze_after, args=(importing,), name=FREEZE_THREAD, daemon=True
    )
    freezing.start()
    return freezing


def _freeze_after(importing: threading.Thread | None) -> None:
    """Once the import is done, what the process holds is out of the collector's passes."""
    if importing is not None:
        importing.join()
    gc.freeze()
