"""One Spark session for the whole spark group: starting Spark costs seconds.

The group runs with ``python -m pytest -m spark`` after
``pip install -r requirements-spark.txt``; without pyspark its tests fail
with that advice rather than skip, so a missing install is never mistaken
for a pass.
"""

import pytest

from basket_segments.analytics.spark.session import spark_session

#: Two cores as on CI, no web UI (a port per test run), few shuffle partitions for tiny data.
TEST_CONF = {"spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4"}


@pytest.fixture(scope="session")
def spark():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        pytest.fail(
            "The spark tests need pyspark: pip install -r requirements-spark.txt, "
            "or leave them out with -m 'not spark'."
        )
    with spark_session("local[2]", TEST_CONF) as session:
        yield session
