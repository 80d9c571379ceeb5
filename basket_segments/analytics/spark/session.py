"""Start, or join, the Spark session the Spark engine runs in.

The session is where the engine meets the cluster: ``local[*]`` runs Spark in
this process's JVM on all cores, ``spark://host:7077`` (or ``yarn``, ``k8s://``)
on a cluster. Started by ``spark-submit``, the master comes from its
``--master`` and is not overridden here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from basket_segments.analytics.errors import DataError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
APP_NAME = "basket-segments"
MISSING_PYSPARK = (
    "The Spark engine needs pyspark, which is not installed here: run "
    "'pip install -r requirements-spark.txt' (Spark also needs Java 17), or use --engine local."
)
#: Settings every session gets: UTC so dates never fall into a daylight-saving gap, Arrow
#: to bring small results to pandas quickly, no progress bars over the stage lines, and
#: adaptive partitioning of cached tables too: the customer table is cached after a
#: shuffle, and with Spark's fixed 200 partitions every KMeans pass over a few thousand
#: customers ran 200 tasks (a 200-customer run took minutes instead of seconds).
BASE_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.optimizer.canChangeCachedPlanOutputPartitioning": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
    "spark.log.level": "ERROR",
}


def require_pyspark() -> None:
    """Raise a one-sentence ``DataError`` when pyspark cannot be imported."""
    try:
        import pyspark  # noqa: F401
    except ImportError as error:
        raise DataError(MISSING_PYSPARK) from error


def launched_by_spark_submit() -> bool:
    """Whether ``spark-submit`` started this process (it then owns the master setting)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def choose_master(master: str | None, submitted: bool = False) -> str | None:
    """The master to set: the one asked for, else none under spark-submit, else local.

    >>> choose_master("spark://host:7077"), choose_master(None), choose_master(None, True)
    ('spark://host:7077', 'local[*]', None)
    """
    if master:
        return master
    return None if submitted else DEFAULT_MASTER


@contextmanager
def spark_session(
    master: str | None = None, conf: Mapping[str, str] | None = None
) -> Iterator[SparkSession]:
    """A Spark session on ``master``, stopped on exit only if this call started it.

    A session that is already running (a test's, a notebook's) is joined and
    left running; ``conf`` applies to a new session (e.g. ``spark.driver.memory``).
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    running = SparkSession.getActiveSession()
    spark = start_spark(master, conf)
    try:
        yield spark
    finally:
        if running is None:
            spark.stop()


def start_spark(master: str | None = None, conf: Mapping[str, str] | None = None) -> SparkSession:
    """The process's Spark session on ``master``: the running one, else a new one that
    lasts as long as the process (the dashboard's jobs share it)."""
    require_pyspark()
    from pyspark.sql import SparkSession

    chosen = choose_master(master, launched_by_spark_submit())
    builder = SparkSession.builder.appName(APP_NAME)
    if chosen:
        builder = builder.master(chosen)
    for key, value in {**BASE_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as error:  # no Java, a bad master URL: pyspark and py4j raise many types
        raise DataError(
            f"Spark could not start on master '{chosen or 'from spark-submit'}' "
            f"({_first_line(error)}); check the master URL and that Java 17 is installed "
            "('java -version')."
        ) from error


def _first_line(error: Exception) -> str:
    """The first line of an error, without Java's stack trace.

    >>> _first_line(RuntimeError("[JAVA_GATEWAY_EXITED] gone\\n  at x"))
    '[JAVA_GATEWAY_EXITED] gone'
    """
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


@contextmanager
def out_of_memory_in_words() -> Iterator[None]:
    """Turn a Java ``OutOfMemoryError`` inside Spark into one sentence with the remedy."""
    try:
        yield
    except Exception as error:  # py4j wraps Java's errors in its own types
        if "OutOfMemoryError" not in str(error):
            raise
        raise DataError(
            "Spark ran out of memory; give it more (e.g. --spark-conf spark.driver.memory=8g "
            "in local mode) or run on a cluster."
        ) from error
