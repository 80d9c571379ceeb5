"""Command line: ``basket-segments analyze DATA [options] [--engine local|spark]``.

The same as ``python -m basket_segments.cli analyze ...``.

Writes segments.csv, profiles.csv, rules.csv, top_products.csv and
summary.json into the output folder and prints one line per stage. Bad input
ends with one sentence on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv

from basket_segments.analytics.engines import ENGINES, choose_engine
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.local import LocalEngine
from basket_segments.analytics.periods import PeriodRule, parse_date, parse_window
from basket_segments.analytics.pipeline import Analysis, analyze
from basket_segments.analytics.rules import MAX_RULES, RuleParams
from basket_segments.analytics.sample import generate_sample
from basket_segments.analytics.segmentation import SCALINGS
from basket_segments.analytics.significance import CORRECTIONS
from basket_segments.analytics.spark import COLLECT_SEGMENTS_MAX
from basket_segments.analytics.stages import AnalysisOptions
from basket_segments.cli.memory import OUT_OF_MEMORY, default_table_budget, out_of_address_space

#: The command line's longest rule: arules' default, which gives the published Groceries counts.
MAX_LENGTH = 10
#: ``--split-date`` without a date: the middle of the data's dates.
MIDDLE = "middle"
#: The files written when periods are compared, by ``Analysis`` attribute.
PERIOD_FILES = {
    "migration": "migration.csv",
    "segments_by_period": "segments_by_period.csv",
    "rules_by_period": "rules_by_period.csv",
    "products_by_period": "top_products_by_period.csv",
}


class ShowDefaults(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` with each option's default, unless its help says it or it has none."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        unset = action.default is None or action.default is False or action.default == []
        if unset or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    """Every option, its default shown in ``--help``."""
    parser = argparse.ArgumentParser(
        prog=program_name(sys.argv[0]), description="Segment customers and mine basket rules."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "analyze",
        help="analyse a data file (CSV, Excel, Parquet)",
        formatter_class=ShowDefaults,
    )
    run.add_argument("data", nargs="?", help="data file; omit with --sample")
    run.add_argument("--sample", action="store_true", help="use the generated sample data")
    run.add_argument("--k", default="5", help="number of segments, or 'auto'")
    run.add_argument(
        "--features", nargs="+", help="feature columns (default: every numeric attribute)"
    )
    run.add_argument(
        "--scale",
        choices=SCALINGS,
        default="auto",
        help="auto: log1p of heavily skewed features, then standardise; standard: "
        "standardise only (scikit-learn's StandardScaler); none: the values as they are",
    )
    run.add_argument(
        "--no-scale", action="store_true", help="the same as --scale none (kept for old scripts)"
    )
    run.add_argument("--min-support", type=float, default=RuleParams.min_support, help="inclusive")
    run.add_argument(
        "--min-confidence", type=float, default=RuleParams.min_confidence, help="inclusive"
    )
    run.add_argument("--min-lift", type=float, default=RuleParams.min_lift, help="inclusive")
    run.add_argument(
        "--max-length",
        type=int,
        default=MAX_LENGTH,
        help="most products in a rule, both sides together, as in R's arules",
    )
    run.add_argument(
        "--max-rules",
        type=int,
        default=MAX_RULES,
        help="most rules kept per segment and for all customers, the strongest (0: no limit)",
    )
    run.add_argument(
        "--max-table-mb",
        type=float,
        default=None,
        help="refuse a file whose values take more than this once read, in MB, before it is "
        "expanded (default: a quarter of this machine's memory, or of the process's "
        "address-space limit; 0: no limit)",
    )
    run.add_argument(
        "--single-consequent",
        action="store_true",
        help="only rules with one product on the right (the arules convention)",
    )
    run.add_argument(
        "--significance",
        type=float,
        default=None,
        metavar="P",
        help="keep only rules whose p-value (Fisher's exact test), corrected for the number "
        "of rules of their segment, is at most P, e.g. 0.05 (default: every rule, as arules "
        "finds them)",
    )
    run.add_argument(
        "--correction",
        choices=CORRECTIONS,
        default=RuleParams.correction,
        help="the correction of p-values for testing many rules: holm (the chance of any "
        "chance rule), bh (Benjamini-Hochberg: the expected share of chance rules), none",
    )
    run.add_argument(
        "--basket",
        choices=("customer", "invoice"),
        default="customer",
        help="a basket is all of a customer's products, or one invoice",
    )
    run.add_argument("--no-segments", action="store_true", help="mine all baskets as one group")
    periods = run.add_mutually_exclusive_group()
    periods.add_argument(
        "--split-date",
        nargs="?",
        const=MIDDLE,
        metavar="YYYY-MM-DD",
        help="also compare two periods, before this date and from it, and write "
        "migration.csv and the *_by_period files (default without a date: the middle of the "
        "dates, rounded to a month start)",
    )
    periods.add_argument(
        "--periods",
        metavar="month|quarter|Nd",
        help="also compare calendar months, quarters or runs of N days such as 30d (default: "
        "no periods)",
    )
    run.add_argument(
        "--reference",
        type=int,
        default=None,
        metavar="N",
        help="with --split-date or --periods: fit the segments on period N, counted from 1 "
        "(default: 1, the first)",
    )
    run.add_argument("--out", default="results", help="output folder")
    run.add_argument(
        "--jobs", type=int, default=None, help="worker processes for mining (default: automatic)"
    )
    run.add_argument(
        "--n-init",
        type=int,
        default=None,
        help="KMeans restarts (default: 10; --k auto tries each K with 10 up to 20,000 "
        "customers, 3 up to 200,000, then 1, as the Spark engine segments)",
    )
    run.add_argument(
        "--engine",
        choices=ENGINES,
        help="local (pandas, scikit-learn) or spark (pyspark; needs requirements-spark.txt "
        "and Java 17) (default: $ANALYTICS_ENGINE, else local)",
    )
    run.add_argument(
        "--spark-master",
        help="Spark master URL, e.g. spark://host:7077 (default: $SPARK_MASTER, else the "
        "spark-submit master, else local[*])",
    )
    run.add_argument(
        "--spark-conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Spark setting for the session, e.g. spark.driver.memory=4g (repeatable)",
    )
    run.add_argument(
        "--segments-out",
        help="spark: Spark writes the segments table into this new folder (CSV parts, e.g. "
        "hdfs://...) (default: OUT/segments.csv, written by the driver; up to "
        f"{COLLECT_SEGMENTS_MAX:,} customers, above that Spark writes OUT/segments/)",
    )
    sample = commands.add_parser(
        "sample",
        help="write the generated sample data as CSV",
        formatter_class=ShowDefaults,
    )
    sample.add_argument("path", help="where to write the CSV")
    sample.add_argument("--customers", type=int, default=3000, help="how many customers")
    return parser


def program_name(argv0: str) -> str:
    """How the user started us, for usage lines: the console script or ``python -m``.

    >>> program_name("/venv/bin/basket-segments"), program_name("/x/cli/__main__.py")
    ('basket-segments', 'python -m basket_segments.cli')
    """
    name = Path(argv0).name
    return "python -m basket_segments.cli" if name == "__main__.py" else name


def run() -> None:
    """The program (``basket-segments``, ``python -m basket_segments.cli``): ``main``,
    then exit without the interpreter's teardown.

    Python's exit frees, one by one, every object the run and its imports made
    (pandas, pyarrow, scikit-learn): 0.2-0.6 s of a 2.7 s run on the medium benchmark,
    spent after the results are written. Nothing is left to clean up by then (files
    closed, output flushed here); when worker processes are still running, the
    ordinary exit stops them.
    """
    status = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # reader gone, stream closed
            stream.flush()
    if multiprocessing.active_children():
        sys.exit(status)
    os._exit(status)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "sample":
            generate_sample(args.customers).to_csv(args.path, index=False)
            say(f"wrote {args.path}")
            return 0
        return _analyze(args)
    except DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (MemoryError, ImportError, OSError, RuntimeError) as error:
        if not out_of_address_space(error):
            raise
        # No size limit here (your machine, your file), but say so plainly.
        print(f"error: {OUT_OF_MEMORY}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def say(line: str) -> None:
    """Print a progress line. When whoever reads our output has gone (``... | head``), the
    work goes on and its files are written, quietly: no traceback, now or at exit."""
    try:
        print(line, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _analyze(args: argparse.Namespace) -> int:
    options = _options(args)
    source = _source(args)
    if choose_engine(args.engine, os.environ) == "spark":
        return _analyze_spark(args, source, options)
    if args.spark_master or args.spark_conf or args.segments_out:
        raise DataError("--spark-master, --spark-conf and --segments-out need --engine spark.")
    budget = table_budget(args.max_table_mb)
    engine = LocalEngine(scikit_learn_process=options.segment, max_table_bytes=budget)
    try:
        with fewer_collections(), arrow_memory_from_jemalloc():
            result = analyze(engine, source, options, say=say)
    finally:
        engine.close()
    _finish(result, Path(args.out))
    return 0


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Python's cyclic garbage collector, set for one analysis in a short-lived process.

    Its full collections walk every object alive, including the hundreds of thousands
    that importing pandas, pyarrow and scikit-learn left, and mining, which builds
    tuples by the hundred thousand, set off dozens of them: 0.2-0.3 s of a 2.7 s run
    on the medium benchmark. What is alive now (imports) is frozen, never walked again,
    and the young generation is collected every 50,000 allocations instead of 700.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


@contextmanager
def arrow_memory_from_jemalloc() -> Iterator[None]:
    """pyarrow's memory, for one analysis, from jemalloc instead of its default mimalloc.

    Reading the large benchmark file, mimalloc hands freed memory back to the system at
    once and faults it in again for the next column: 1.2-1.7 s of kernel time against
    jemalloc's 0.5 s, and 0.6 s of a 5.6 s run. Set here, for this process, and not in
    the dashboard, whose host site may have its own use of pyarrow. Builds of pyarrow
    without jemalloc (Windows) keep their pool.
    """
    previous = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:
        yield
        return
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def _source(args: argparse.Namespace) -> str | pd.DataFrame:
    """The file to analyse, or the generated sample."""
    if args.sample:
        return generate_sample()
    if not args.data:
        raise DataError("Name a data file, or use --sample.")
    return args.data


def _finish(result: Analysis, out: Path) -> None:
    write_results(result, out)
    written = ["segments", "profiles", "rules", "top_products", "summary"]
    if "periods" in result.summary:
        written += [name.removesuffix(".csv") for name in PERIOD_FILES.values()]
    say(f"wrote {out}/ ({', '.join(written)})")


def _analyze_spark(
    args: argparse.Namespace, source: str | pd.DataFrame, options: AnalysisOptions
) -> int:
    """The same analysis on Spark: Spark reads DATA itself (a path or URI)."""
    # Here: the local engine's runs never load the Spark engine's modules.
    from basket_segments.analytics.spark.engine import SparkEngine
    from basket_segments.analytics.spark.session import out_of_memory_in_words, spark_session

    out = Path(args.out)
    started = time.perf_counter()
    environ = os.environ
    master = (
        args.spark_master
        or environ.get("BASKET_SEGMENTS_SPARK_MASTER")
        or environ.get("SPARK_MASTER")
        or None
    )
    with spark_session(master, _spark_conf(args.spark_conf)) as spark, out_of_memory_in_words():
        start = round(time.perf_counter() - started, 3)
        say(f"spark: {spark.sparkContext.master}, Spark {spark.version} ({start:.2f} s)")
        engine = SparkEngine(spark, args.segments_out, (out / "segments").resolve().as_uri())
        result = analyze(engine, source, options, say=say)
    result.summary["timings"] = {"spark_start": start, **result.summary["timings"]}
    _finish(result, out)
    return 0


def _spark_conf(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` settings as a mapping.

    >>> _spark_conf(["spark.driver.memory=4g"])
    {'spark.driver.memory': '4g'}
    """
    conf = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise DataError(f"--spark-conf takes KEY=VALUE, not '{pair}'.")
        conf[key.strip()] = value.strip()
    return conf


def _options(args: argparse.Namespace) -> AnalysisOptions:
    return AnalysisOptions(
        features=args.features,
        k=_parse_k(args.k),
        scale="none" if args.no_scale else args.scale,
        segment=not args.no_segments,
        basket=args.basket,
        n_jobs=args.jobs,
        n_init=_positive(args.n_init, "--n-init"),
        periods=period_rule(args.split_date, args.periods, args.reference),
        rules=RuleParams(
            args.min_support,
            args.min_confidence,
            args.min_lift,
            args.max_length,
            args.single_consequent,
            rule_limit(args.max_rules),
            correction=args.correction,
            significance=args.significance,
        ),
    )


def period_rule(
    split_date: str | None, periods: str | None, reference: int | None = None
) -> PeriodRule | None:
    """``--split-date`` or ``--periods`` as a rule for cutting the dates, the segments
    fitted on period ``reference`` (counted from 1; None: the first); None: neither.

    >>> period_rule("2011-04-01", None).split_date, period_rule(None, "30d", 3).window
    (Timestamp('2011-04-01 00:00:00'), '30d')
    >>> period_rule(MIDDLE, None, 2), period_rule(None, None)
    (PeriodRule(window=None, split_date=None, reference=1), None)
    """
    if periods is None and split_date is None:
        if reference is not None:
            raise DataError("--reference needs --split-date or --periods: periods to choose from.")
        return None
    if reference is not None and reference < 1:
        raise DataError(f"--reference counts periods from 1, not {reference}.")
    number = 0 if reference is None else reference - 1
    if periods is not None:
        return PeriodRule(window=parse_window(periods), reference=number)
    if split_date == MIDDLE:
        return PeriodRule(reference=number)
    return PeriodRule(split_date=parse_date(split_date, "--split-date"), reference=number)


def table_budget(max_table_mb: float | None) -> int | None:
    """``--max-table-mb`` in bytes: 0 means none, None a quarter of the memory there is.

    >>> table_budget(0), table_budget(200), table_budget(None) > 0
    (None, 209715200, True)
    """
    if max_table_mb is None:
        return default_table_budget()
    if max_table_mb < 0:
        raise DataError(f"--max-table-mb must be 0 (no limit) or more, not {max_table_mb:g}.")
    return int(max_table_mb * 2**20) or None


def rule_limit(max_rules: int) -> int | None:
    """``--max-rules`` as a limit: 0 means none.

    >>> rule_limit(0), rule_limit(500)
    (None, 500)
    """
    if max_rules < 0:
        raise DataError(f"--max-rules must be 0 (no limit) or more, not {max_rules}.")
    return max_rules or None


def _positive(value: int | None, option: str) -> int | None:
    if value is not None and value < 1:
        raise DataError(f"{option} must be at least 1, not {value}.")
    return value


def _parse_k(text: str) -> int | None:
    if text == "auto":
        return None
    try:
        return int(text)
    except ValueError:
        raise DataError(f"--k must be a whole number or 'auto', not '{text}'.") from None


def write_results(result: Analysis, out: Path) -> None:
    """Write the five result files; rule item lists become JSON lists of strings."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        if "segments_path" not in result.summary:  # else Spark wrote it there itself
            write_csv(result.segments, out / "segments.csv")
        write_csv(result.profiles, out / "profiles.csv")
        write_rules(result.rules, out / "rules.csv")
        write_csv(result.products, out / "top_products.csv")
        if "periods" in result.summary:
            for attribute, name in PERIOD_FILES.items():
                table = getattr(result, attribute)
                (write_rules if "rules" in name else write_csv)(table, out / name)
        (out / "summary.json").write_text(json.dumps(result.summary, indent=2, default=_json))
    except OSError as error:
        raise DataError(f"Cannot write results to {out}: {error.strerror}.") from error


def write_rules(rules: pd.DataFrame, path: Path) -> None:
    """rules.csv with each product list as JSON, written once per distinct list (tables
    repeat the same antecedents and consequents in many rules)."""
    rules = rules.copy()
    for column in ("antecedent", "consequent"):
        if column in rules:
            lists = rules[column].tolist()
            written = {items: json.dumps(list(items)) for items in set(lists)}
            rules[column] = [written[items] for items in lists]
    write_csv(rules, path)


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """A table as CSV, written by pyarrow: about ten times faster than pandas' ``to_csv``
    on the rules table (its floats), with the same values when read back.

    Text is quoted only where needed, as pandas does; true/false as pyarrow writes them.
    """
    pa_csv.write_csv(
        pa.Table.from_pandas(table, preserve_index=False),
        path,
        pa_csv.WriteOptions(quoting_style="needed", quoting_header="needed"),
    )


def _json(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return str(value)
