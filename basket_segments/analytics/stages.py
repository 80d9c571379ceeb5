"""The stages of an analysis, what each returns, and the engines that compute them.

An ``Engine`` loads data, suggests K, segments, and mines rules and top
products. The local engine (``analytics.local``) and Spark
(``analytics.spark.engine``) both implement it; ``analytics.pipeline.analyze``
runs the stages in one order for either, and the dashboard stores what the
local engine returns. Only the standard library is imported here (pandas names types
only; tests check it), so every engine and the dashboard can share these types cheaply.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from basket_segments.analytics.progress import Report, ignore

if TYPE_CHECKING:
    import pandas as pd

#: A line for the user as a stage finishes (the command line prints them).
Say = Callable[[str], None]
#: Segment number used for rules over all customers together.
ALL_CUSTOMERS = -1
ALL_CUSTOMERS_NAME = "All customers"
#: The numbers of segments Suggest K tries (the K box's range).
SUGGEST_K_RANGE = range(2, 16)
#: Silhouettes this close are a tie (what KMeans restarts vary by): see ``KSuggestion``.
SILHOUETTE_TIE = 0.02
#: Rules kept at most per group (each segment, and all customers): the strongest.
MAX_RULES = 20_000


@dataclass(frozen=True)
class RuleParams:
    """Thresholds of a mining run (all inclusive), and the most rules it keeps per group
    (None: no limit).

    ``correction`` is how each rule's p-value is corrected for the number of rules of its
    group (``analytics.significance.CORRECTIONS``); ``significance`` keeps only rules
    whose corrected p-value is at most that (None: every rule, as arules finds them).
    """

    min_support: float = 0.05
    min_confidence: float = 0.5
    min_lift: float = 0.0
    max_length: int = 3
    single_consequent: bool = False
    max_rules: int | None = MAX_RULES
    correction: str = "holm"
    significance: float | None = None

    def loosest(self, other: RuleParams) -> RuleParams:
        """Params that cover both ``self`` and ``other``: without a significance filter
        (it and the correction are applied when a table is filtered, ``filter_rules``).
        """
        limits = [limit for limit in (self.max_rules, other.max_rules) if limit is not None]
        return RuleParams(
            min(self.min_support, other.min_support),
            min(self.min_confidence, other.min_confidence),
            min(self.min_lift, other.min_lift),
            max(self.max_length, other.max_length),
            self.single_consequent and other.single_consequent,
            max(limits) if len(limits) == 2 else None,
        )


@dataclass(frozen=True)
class StoredTable:
    """A table the dashboard keeps after reading an upload, as every engine loads it.

    ``path`` is a Parquet file of the columns as read (text); a basket file
    (``file_format`` "baskets") is kept in long form, ``basket`` and ``product``.
    ``roles`` are the user's column roles (``PreparedData.choices``); None: detect them.
    ``max_bytes``: refuse to open it when its values take more (``analytics.budget``), as
    at upload, since the limit may have been lowered since; ``name`` is the user's name.
    """

    path: Path
    file_format: str
    roles: Mapping[str, Any] | None = None
    max_bytes: int | None = None
    name: str = "dataset"

    @property
    def is_basket_file(self) -> bool:
        return self.file_format == "baskets"


@dataclass(frozen=True)
class AnalysisOptions:
    """What the user asked for; ``k=None`` means "suggest K"."""

    features: Sequence[str] | None = None
    k: int | None = 5
    #: ``auto`` (log1p of skewed features, then standardise), ``standard`` or ``none``.
    scale: str = "auto"
    segment: bool = True
    basket: str = "customer"
    rules: RuleParams = field(default_factory=RuleParams)
    random_state: int = 0
    n_jobs: int | None = None
    #: KMeans restarts; None: ``segmentation.RESTARTS`` (10) locally, and for Suggest K and
    #: on Spark ``scan_n_init`` (each restart is a full run, on Spark a dozen jobs, so
    #: fewer restarts are the first saving on a cluster).
    n_init: int | None = None
    #: Products listed per segment in the top products table.
    top_products: int = 10
    #: Mine in a worker process even with one job (``rules.mine_groups``): a web server's
    #: request threads then keep the interpreter while a mining runs.
    isolate_mining: bool = False
    #: Count every pair of products too (``support_hint``): the dashboard then names a
    #: lower support that gives rules when a view shows few.
    count_pairs: bool = False
    #: Also compare periods: a ``periods.PeriodRule`` (segments fitted on its reference
    #: period, every period placed in them, the migration and each period's rules).
    periods: Any = None

    @property
    def kmeans(self) -> dict[str, Any]:
        """The keywords every engine's KMeans takes from these options."""
        return {"scale": self.scale, "random_state": self.random_state, "n_init": self.n_init}


@dataclass(frozen=True)
class Segments:
    """Segments found by an engine, numbered 0.. by decreasing size.

    ``labels`` stays where the engine computed it: a pandas Series of segment
    numbers indexed by customer (local), or a Spark DataFrame of ``customer``
    and ``segment``. Everything else is small.
    """

    labels: Any
    profiles: pd.DataFrame
    inertia: float
    silhouette: float | None
    features: list[str]
    scaling: str
    #: What each feature went through before KMeans, in words.
    transformations: dict[str, str] = field(default_factory=dict)

    @property
    def k(self) -> int:
        return len(self.profiles)

    @property
    def names(self) -> dict[int, str]:
        """Segment number to name, as every table and chart labels the segments.

        >>> import pandas as pd
        >>> profiles = pd.DataFrame({"segment": [0, 1], "name": ["Young", "Older"]})
        >>> Segments(None, profiles, 1.0, None, ["Age"], "auto").names
        {0: 'Young', 1: 'Older'}
        """
        return dict(
            zip(self.profiles["segment"].astype(int).tolist(), self.profiles["name"], strict=True)
        )


@dataclass(frozen=True)
class KSuggestion:
    """Inertia and silhouette per K, the K suggested, and why, in a sentence."""

    scores: pd.DataFrame
    suggested_k: int
    reason: str = ""

    @classmethod
    def from_scores(cls, scores: pd.DataFrame) -> KSuggestion:
        """The best-separated K (highest silhouette), except that K = 2 gives way to the
        best K of 3 or more whose silhouette is within ``SILHOUETTE_TIE`` of it.

        Two halves of any cloud of customers look separated, so the silhouette favours
        K = 2 on data without clear clusters, while two segments tell a marketer little;
        and differences of ``SILHOUETTE_TIE`` are within what KMeans restarts vary by.

        >>> import pandas as pd
        >>> scores = pd.DataFrame({"k": [2, 3, 4], "silhouette": [0.41, 0.40, 0.30],
        ...                        "inertia": [9.0, 6.0, 5.0]})
        >>> found = KSuggestion.from_scores(scores)
        >>> found.suggested_k, found.reason.split(";")[0]
        (3, 'K = 3 separates the customers about as well as K = 2 (silhouette 0.40 against 0.41)')
        """
        rated = scores.dropna(subset=["silhouette"])
        if not len(rated):
            k = int(scores["k"].min())
            return cls(scores, k, f"No K could be rated (too few distinct customers); K = {k}.")
        best = rated.loc[rated["silhouette"].idxmax()]
        k, value = int(best["k"]), float(best["silhouette"])
        more = rated[rated["k"] >= 3]
        if k == 2 and len(more):
            second = more.loc[more["silhouette"].idxmax()]
            if value - float(second["silhouette"]) <= SILHOUETTE_TIE:
                chosen = int(second["k"])
                return cls(
                    scores,
                    chosen,
                    f"K = {chosen} separates the customers about as well as K = 2 (silhouette "
                    f"{float(second['silhouette']):.2f} against {value:.2f}); more segments "
                    "tell you more.",
                )
        first, last = int(rated["k"].min()), int(rated["k"].max())
        return cls(
            scores,
            k,
            f"K = {k} separates the customers best (silhouette {value:.2f}, the highest of "
            f"K = {first} to {last}; 1 is perfect, 0 means segments overlap).",
        )


@dataclass(frozen=True)
class Mined:
    """Rules and top products of all customers and of every segment.

    ``baskets`` counts all baskets; ``notes`` say what was left out (segments
    too small to mine); ``reason`` says why the data can hold no rule at all,
    whatever the thresholds (then ``rules`` is empty).
    """

    rules: pd.DataFrame
    products: pd.DataFrame
    baskets: int
    notes: tuple[str, ...] = ()
    reason: str | None = None
    #: The notes about one group (segment number, or ``ALL_CUSTOMERS``), for a page that
    #: shows one group at a time: a note on another segment than the one shown misleads.
    group_notes: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    #: All customers' pairs of products and their counts (``support_hint.PairCounts``),
    #: when asked for (``AnalysisOptions.count_pairs``) and the engine counts them.
    pairs: Any = None


def data_line(shape: str, customers: int, purchase_rows: int, **_other: Any) -> str:
    """What an engine says it loaded, in the same words for every engine.

    >>> data_line("combined", customers=3000, purchase_rows=30514)
    'combined data, 3,000 customers, 30,514 purchase rows'
    """
    return f"{shape} data, {customers:,} customers, {purchase_rows:,} purchase rows"


class StageClock:
    """Times consecutive stages and says each as it finishes.

    ``say`` gets one line per stage (the command line prints them); ``report``
    gets progress fractions within a stage (the dashboard's progress bar, which
    may raise to cancel). Each lap counts the time since the lap before, whichever
    thread made it: stages that run side by side share the clock, and the stage
    times still add up to the whole.
    """

    def __init__(self, say: Say | None = None, report: Report | None = None):
        self._say, self.report = say or (lambda _line: None), report or ignore
        self.start, self.timings = time.perf_counter(), {}
        self._lock = threading.Lock()

    def lap(self, stage: str, detail: str) -> None:
        with self._lock:
            now = time.perf_counter()
            self.timings[stage] = round(self.timings.get(stage, 0.0) + now - self.start, 3)
            self.start = now
            self.say(f"{stage}: {detail} ({self.timings[stage]:.2f} s)")

    def say(self, line: str) -> None:
        self._say(line)


class Engine(Protocol):
    """The stages an engine computes; ``data`` is the engine's own prepared data.

    Prepared data has ``shape``, ``roles``, ``report``, ``features``,
    ``feature_kinds`` and ``has_products``.
    """

    def load(self, source: Any, clock: StageClock) -> Any:
        """Read and prepare ``source``: a path, a DataFrame such as the sample, or a
        ``StoredTable`` (the dashboard's)."""

    def describe(self, data: Any) -> dict:
        """Counts for the summary (customers, purchase_rows, products) and engine facts."""

    def suggest_k(
        self, data: Any, features: list[str], options: AnalysisOptions, clock: StageClock
    ) -> KSuggestion:
        """Scores of K = 2..15, the suggested K and why (``KSuggestion.from_scores``)."""

    def segment(self, data: Any, features: list[str], k: int, options: AnalysisOptions) -> Segments:
        """``k`` segments of the customers on ``features``, with profiles."""

    def cut_periods(self, data: Any, rule: Any) -> Any:
        """The data cut into periods as ``rule`` (a ``periods.PeriodRule``) says, with each
        period's customers and features (``over_time.ByPeriod`` locally)."""

    def over_time(
        self, data: Any, cut: Any, features: list[str], k: int, options: AnalysisOptions
    ) -> Any:
        """Segments fitted on the reference period of ``cut``, every period's customers
        placed in them, and the migration: an ``over_time.OverTime``, in pandas."""

    def period(self, data: Any, cut: Any, found: Any, number: int) -> tuple[Any, Segments]:
        """Period ``number``'s data and its segments in ``found``, to mine as the whole
        file's are."""

    def segment_table(self, data: Any, segments: Segments) -> pd.DataFrame | str:
        """Customer, segment, name and features; or where the engine wrote that table."""

    def baskets(self, data: Any, options: AnalysisOptions, clock: StageClock) -> Any:
        """The baskets ``mine`` mines; ``analyze`` builds them while segmenting."""

    def mine(
        self,
        data: Any,
        segments: Segments | None,
        options: AnalysisOptions,
        clock: StageClock,
        baskets: Any = None,
    ) -> Mined:
        """Rules and top products of all customers and of each segment, in ``baskets``
        (built here when None)."""
