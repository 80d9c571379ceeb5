"""Basket Segments: customer segments and per-segment association rules, as a Dash dashboard.

A Flask site embeds the dashboard with one call from its own factory::

    from basket_segments import init_dashboard

    init_dashboard(app, url_base_pathname="/analytics/", logout_url="/logout")

``create_app`` builds the standalone server (``python -m basket_segments``).
Both are imported on first use, so ``python -m basket_segments.cli``
(the command line) starts without loading Dash or Flask.
"""

from __future__ import annotations

import os
from importlib import import_module
from typing import TYPE_CHECKING, Any

# OpenMP threads (scikit-learn's KMeans) that wait for work sleep instead of spinning. On a
# machine busier than its cores, spinning threads took the CPU from the ones with work:
# Suggest K's 140 KMeans runs on 885 customers took 4.3 s instead of 0.7 s, on 20,000
# customers 46 s instead of 2.2 s (bench/README.md, "Fair share"). Read when the OpenMP
# runtime loads, so it is set before anything imports scikit-learn; a value the
# environment already has is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

if TYPE_CHECKING:
    from basket_segments.app import celery_app, create_app, init_dashboard

__all__ = ["celery_app", "create_app", "init_dashboard"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module("basket_segments.app"), name)
    raise AttributeError(f"module 'basket_segments' has no attribute {name!r}")
