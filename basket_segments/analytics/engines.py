"""Which engine runs an analysis, by name: one choice for the command line and the dashboard.

``local`` (pandas, scikit-learn, efficient-apriori) needs nothing more;
``spark`` needs ``requirements-spark.txt`` and Java 17, and is imported only
when chosen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from basket_segments.analytics.errors import DataError

if TYPE_CHECKING:
    from basket_segments.analytics.stages import Engine

ENGINES = ("local", "spark")
DEFAULT_ENGINE = "local"


def choose_engine(engine: str | None, environ: Mapping[str, str]) -> str:
    """The engine asked for: ``engine``, else ``BASKET_SEGMENTS_ANALYTICS_ENGINE`` (or its
    older name ``ANALYTICS_ENGINE``), else local.

    >>> choose_engine(None, {}), choose_engine(None, {"ANALYTICS_ENGINE": "Spark"})
    ('local', 'spark')
    >>> choose_engine(None, {"BASKET_SEGMENTS_ANALYTICS_ENGINE": "spark"})
    'spark'
    """
    named = environ.get("BASKET_SEGMENTS_ANALYTICS_ENGINE") or environ.get("ANALYTICS_ENGINE")
    chosen = (engine or named or DEFAULT_ENGINE).strip().lower()
    if chosen not in ENGINES:
        raise DataError(f"BASKET_SEGMENTS_ANALYTICS_ENGINE must be local or spark, not '{chosen}'.")
    return chosen


def engine_named(
    name: str, spark_master: str | None = None, spark_conf: Mapping[str, str] | None = None
) -> Engine:
    """An engine for the dashboard's jobs: the local one, or Spark on the process's session
    (started on first use and kept, since starting Spark takes seconds)."""
    if choose_engine(name, {}) == "local":
        from basket_segments.analytics.local import LocalEngine

        return LocalEngine()
    from basket_segments.analytics.spark.engine import SparkEngine
    from basket_segments.analytics.spark.session import start_spark

    return SparkEngine(start_spark(spark_master, spark_conf))
