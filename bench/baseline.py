"""The original design, run as the benchmark's baseline: crosstab baskets and mlxtend Apriori.

Before the coded baskets and efficient-apriori of ``analytics/``, the app
built one dense customer x product one-hot matrix per segment with
``pd.crosstab`` and mined it with mlxtend. This script redoes that as its own
process, so ``bench/run.py`` can compare time and peak memory on the same
file. It imports nothing from ``analytics`` on purpose: the baseline must
not borrow from the code it is compared with.

Usage: python bench/baseline.py FILE --k 5 --min-support S --min-confidence C
       --max-length N --out DIR
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from mlxtend.frequent_patterns import apriori, association_rules
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

CUSTOMER = "CustomerID"
PRODUCT = "Product"
FEATURES = ["Age", "Annual Income", "Spending Score"]
STAGES = ("load", "kmeans", "baskets", "mining", "rules")
RULE_MEASURES = ["support", "confidence", "lift"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Baseline: crosstab + mlxtend per segment.")
    parser.add_argument("data", type=Path, help="combined-format CSV or Parquet file")
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--n-init", type=int, default=10, help="KMeans restarts (default 10)")
    parser.add_argument("--min-support", type=float, default=0.05)
    parser.add_argument("--min-confidence", type=float, default=0.5)
    parser.add_argument(
        "--max-length", type=int, default=3, help="most items in an itemset (0: no limit)"
    )
    parser.add_argument("--out", type=Path, default=Path("results-baseline"))
    return parser


class Stopwatch:
    """Adds up seconds per stage, because the per-segment loop re-enters the same stages."""

    def __init__(self) -> None:
        self.timings = dict.fromkeys(STAGES, 0.0)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] += time.perf_counter() - start


def load(path: Path) -> pd.DataFrame:
    """The whole file, as the original design read it (Parquet or CSV, by suffix)."""
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    return pd.read_csv(path)


def segment(frame: pd.DataFrame, k: int, n_init: int, random_state: int = 0) -> pd.Series:
    """KMeans labels per customer on the standardised features (labels as KMeans gives them)."""
    customers = frame.groupby(CUSTOMER, sort=True)[FEATURES].first()
    scaled = StandardScaler().fit_transform(customers.to_numpy(dtype="float64"))
    model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(scaled)
    return pd.Series(model.labels_, index=customers.index, name="segment")


def onehot(rows: pd.DataFrame) -> pd.DataFrame:
    """Dense customer x product matrix, True where the customer bought the product."""
    return pd.crosstab(rows[CUSTOMER], rows[PRODUCT]).astype(bool)


def segment_rules(itemsets: pd.DataFrame, n_baskets: int, min_confidence: float) -> pd.DataFrame:
    """mlxtend's rules of one segment; mlxtend refuses an empty itemset table, so guard it."""
    if itemsets.empty:
        return pd.DataFrame(columns=["antecedents", "consequents", *RULE_MEASURES])
    return association_rules(
        itemsets, num_itemsets=n_baskets, metric="confidence", min_threshold=min_confidence
    )


def mine_segments(
    frame: pd.DataFrame, labels: pd.Series, args: argparse.Namespace, watch: Stopwatch
) -> tuple[pd.DataFrame, dict[str, dict[int, int]]]:
    """Rules of every segment in one table, plus baskets and itemsets per segment.

    One segment's dense matrix is alive at a time, as in the original loop.
    """
    with watch.stage("baskets"):
        row_segment = frame[CUSTOMER].map(labels).to_numpy()
    tables, counts = [], {"baskets": {}, "itemsets": {}}
    for number in sorted(labels.unique().tolist()):
        with watch.stage("baskets"):
            matrix = onehot(frame[row_segment == number])
        with watch.stage("mining"):
            itemsets = apriori(
                matrix,
                min_support=args.min_support,
                use_colnames=True,
                max_len=args.max_length or None,
            )
        with watch.stage("rules"):
            tables.append(segment_rules(itemsets, len(matrix), args.min_confidence))
            tables[-1].insert(0, "segment", number)
        counts["baskets"][number], counts["itemsets"][number] = len(matrix), len(itemsets)
        del matrix
    with watch.stage("rules"):
        rules = pd.concat(tables, ignore_index=True)
    return rules, counts


def write_results(out: Path, labels: pd.Series, rules: pd.DataFrame, summary: dict) -> None:
    """segments.csv, rules.csv (items as sorted JSON lists) and summary.json."""
    out.mkdir(parents=True, exist_ok=True)
    labels.rename_axis("customer").reset_index().to_csv(out / "segments.csv", index=False)
    table = pd.DataFrame(
        {
            "segment": rules["segment"],
            "antecedent": rules["antecedents"].map(lambda items: json.dumps(sorted(items))),
            "consequent": rules["consequents"].map(lambda items: json.dumps(sorted(items))),
            **{measure: rules[measure] for measure in RULE_MEASURES},
        }
    )
    table.to_csv(out / "rules.csv", index=False)
    (out / "summary.json").write_text(json.dumps(summary, indent=2))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    watch = Stopwatch()
    with watch.stage("load"):
        frame = load(args.data)
    with watch.stage("kmeans"):
        labels = segment(frame, args.k, args.n_init)
    rules, counts = mine_segments(frame, labels, args, watch)
    per_segment = rules.groupby("segment").size()
    summary = {
        "design": "pd.crosstab one-hot per segment + mlxtend apriori/association_rules",
        "customers": len(labels),
        "purchase_rows": len(frame),
        "products": int(frame[PRODUCT].nunique()),
        "k": args.k,
        "n_init": args.n_init,
        "rule_params": {
            "min_support": args.min_support,
            "min_confidence": args.min_confidence,
            "max_length": args.max_length,
        },
        "segment_sizes": {int(s): int(n) for s, n in labels.value_counts().sort_index().items()},
        "baskets_per_segment": counts["baskets"],
        "itemsets_per_segment": counts["itemsets"],
        "rules": len(rules),
        "rules_per_segment": {s: int(per_segment.get(s, 0)) for s in counts["baskets"]},
        "timings": {stage: round(seconds, 3) for stage, seconds in watch.timings.items()},
    }
    write_results(args.out, labels, rules, summary)
    print(json.dumps(summary["timings"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
