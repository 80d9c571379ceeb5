"""The Spark engine: the same analysis as the local engine, for data that outgrows one process.

Spark reads the file itself (CSV or Parquet, local or on a distributed file
system), derives the customer features, clusters with ``pyspark.ml`` KMeans and
mines each segment with FPGrowth, and compares periods (``over_time``); only small
results (profiles, rules, top products and, up to a size, the segments table and
the segments per period) come back to the driver.

pyspark is an optional extra (``requirements-spark.txt``) that needs Java, so
no module here imports it at import time: ``import analytics`` and the local
engine work without it, and choosing this engine without it installed gives
one sentence (``session.require_pyspark``).
"""

#: Largest segments table brought to the driver (as segments.csv); above it Spark writes it.
#: (Here, not in ``engine``: the command line's help names it without loading the engine.)
COLLECT_SEGMENTS_MAX = 2_000_000
