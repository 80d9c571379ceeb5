"""Analysis results per user, dataset and parameters: computed once, then reused.

The dashboard asks for the same results over and over (a drill-down click, a
page switch, a tightened threshold). Each function here looks in ``storage``
first and computes with ``analytics`` only what is missing, so answers come
from disk after the first time and any worker process finds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from basket_segments import storage
from basket_segments.analytics.baskets import build_baskets
from basket_segments.analytics.errors import DataError
from basket_segments.analytics.mining import no_rules_reason
from basket_segments.analytics.pipeline import segment_table
from basket_segments.analytics.prepare import PreparedData
from basket_segments.analytics.products import top_products
from basket_segments.analytics.profiles import profile_segments
from basket_segments.analytics.progress import Report, ignore, part
from basket_segments.analytics.rules import RuleParams, filter_rules, mine_rules
from basket_segments.analytics.segmentation import (
    project_2d,
    segment_customers,
    silhouette_per_customer,
    suggest_k,
)

#: Rules are mined at least this loosely, so most slider moves only filter.
LOOSEST_MINING = RuleParams(min_support=0.02, min_confidence=0.2, max_length=3)


@dataclass(frozen=True)
class SegmentParams:
    """What the user chose on the Segments page."""

    features: tuple[str, ...]
    k: int
    scale: bool = True

    def key(self) -> dict:
        return {"features": list(self.features), "k": self.k, "scale": self.scale}


@dataclass(frozen=True)
class SegmentResult:
    """Segments of one dataset: one row per customer, profiles and quality figures."""

    table: pd.DataFrame
    profiles: pd.DataFrame
    silhouette: float | None
    inertia: float
    silhouettes: pd.Series

    @property
    def names(self) -> dict[int, str]:
        return dict(zip(self.profiles["segment"], self.profiles["name"], strict=True))


def prepared(owner: str, dataset_id: int) -> PreparedData:
    """The dataset prepared with its stored roles (cached per roles)."""

    def compute() -> PreparedData:
        roles = storage.get_dataset(owner, dataset_id).roles
        return storage.open_dataset(owner, dataset_id, roles or None)

    return _cached(owner, dataset_id, "prepared", {}, compute)


def _full_key(owner: str, dataset_id: int, key: dict) -> dict:
    return {**key, "roles": storage.get_dataset(owner, dataset_id).roles}


def segments_ready(owner: str, dataset_id: int, params: SegmentParams) -> bool:
    """Whether these segments are stored, so showing them needs no background job."""
    return storage.has_result(
        owner, dataset_id, "segments", _full_key(owner, dataset_id, params.key())
    )


def rules_ready(
    owner: str,
    dataset_id: int,
    params: SegmentParams | None,
    wanted: RuleParams,
    basket: str = "customer",
) -> bool:
    """Whether the rules and top products for these choices are stored."""
    return storage.has_result(
        owner, dataset_id, "rules", _full_key(owner, dataset_id, _rules_key(params, wanted, basket))
    ) and storage.has_result(
        owner, dataset_id, "products", _full_key(owner, dataset_id, _products_key(params, basket))
    )


def _rules_key(params: SegmentParams | None, wanted: RuleParams, basket: str) -> dict:
    mining = LOOSEST_MINING.loosest(wanted)
    return {
        "segments": params.key() if params else None,
        "basket": basket,
        "mining": asdict(mining),
    }


def _products_key(params: SegmentParams | None, basket: str) -> dict:
    return {"segments": params.key() if params else None, "basket": basket}


def _cached(owner: str, dataset_id: int, kind: str, key: dict, compute, only_cached=False):
    """A stored result for the dataset's current roles, computed and stored if missing.

    With ``only_cached`` a missing result is None instead: the dashboard then
    computes it in a background job with a progress bar.
    """
    full_key = _full_key(owner, dataset_id, key)
    found = storage.load_result(owner, dataset_id, kind, full_key)
    if found is None and not only_cached:
        found = compute()
        storage.save_result(owner, dataset_id, kind, full_key, found)
    return found


def segments(
    owner: str,
    dataset_id: int,
    params: SegmentParams,
    report: Report | None = None,
    only_cached: bool = False,
) -> SegmentResult | None:
    """KMeans segments for the chosen features and K (None if ``only_cached`` and not yet)."""
    report = report or ignore

    def compute() -> SegmentResult:
        report(0.0, "Reading the dataset")
        data = prepared(owner, dataset_id)
        if data.customers.empty:
            raise DataError("This dataset has no customer features to segment on.")
        report(0.2, f"Finding {params.k} segments")
        result = segment_customers(data.customers, list(params.features), params.k, params.scale)
        report(0.6, "Describing the segments")
        profiles = profile_segments(data.customers, result, data.feature_kinds)
        names = dict(zip(profiles["segment"], profiles["name"], strict=True))
        table = segment_table(data.customers, result, names)
        report(0.7, "Projecting for the scatter plot")
        projection = project_2d(data.customers, list(params.features), params.scale)
        table[list(projection.columns)] = projection.to_numpy()
        report(0.8, "Measuring how well separated they are")
        return SegmentResult(
            table,
            profiles,
            result.silhouette,
            result.inertia,
            silhouette_per_customer(data.customers, result),
        )

    return _cached(owner, dataset_id, "segments", params.key(), compute, only_cached)


def k_scores(
    owner: str,
    dataset_id: int,
    features: Sequence[str],
    scale: bool,
    k_values: range = range(2, 11),
    report: Report | None = None,
) -> dict:
    """Inertia and silhouette per K, and the suggested K."""

    def compute() -> dict:
        data = prepared(owner, dataset_id)
        suggestion = suggest_k(data.customers, list(features), k_values, scale, report=report)
        return {"scores": suggestion.scores, "suggested_k": suggestion.suggested_k}

    key = {"features": list(features), "scale": scale, "k": list(k_values)}
    return _cached(owner, dataset_id, "k_scores", key, compute)


def _segment_labels(
    owner: str, dataset_id: int, params: SegmentParams | None, report: Report | None = None
):
    if params is None:
        return None, {}
    result = segments(owner, dataset_id, params, report)
    labels = pd.Series(result.table["segment"].to_numpy(), index=result.table["customer"])
    return labels, result.names


def rules(
    owner: str,
    dataset_id: int,
    params: SegmentParams | None,
    wanted: RuleParams,
    basket: str = "customer",
    report: Report | None = None,
) -> pd.DataFrame:
    """Rules per segment for ``wanted``, filtered from one mining at looser thresholds."""
    key = _rules_key(params, wanted, basket)
    mining = LOOSEST_MINING.loosest(wanted)

    def compute() -> pd.DataFrame:
        data = prepared(owner, dataset_id)
        if data.purchases.empty:
            raise DataError("This dataset has no product column, so it has no rules.")
        baskets = build_baskets(data.purchases, basket)
        reason = no_rules_reason(baskets)
        if reason:  # an empty table would leave the user guessing at thresholds
            raise DataError(reason)
        labels, names = _segment_labels(owner, dataset_id, params, part(report, 0.0, 0.3))
        return mine_rules(baskets, labels, names, mining, report=part(report, 0.3, 1.0))

    def mined_then_filtered() -> pd.DataFrame:
        return filter_rules(_cached(owner, dataset_id, "rules", key, compute), wanted)

    # Every click of a drill-down reads these rules; filtering the whole mined table
    # each time was most of a click's server time, so the filtered table is kept too.
    shown_key = {**key, "wanted": asdict(wanted)}
    return _cached(owner, dataset_id, "rules-shown", shown_key, mined_then_filtered)


def products(
    owner: str,
    dataset_id: int,
    params: SegmentParams | None,
    basket: str = "customer",
) -> pd.DataFrame:
    """Top 20 products of each segment and overall."""
    key = _products_key(params, basket)

    def compute() -> pd.DataFrame:
        data = prepared(owner, dataset_id)
        if data.purchases.empty:
            raise DataError("This dataset has no product column.")
        labels, names = _segment_labels(owner, dataset_id, params)
        return top_products(build_baskets(data.purchases, basket), labels, names, top=20)

    return _cached(owner, dataset_id, "products", key, compute)


def purchases_of(owner: str, dataset_id: int, customer: str) -> list[str]:
    """The distinct products one customer bought, sorted."""
    data = prepared(owner, dataset_id)
    bought = data.purchases.loc[data.purchases["customer"] == customer, "product"]
    return sorted(bought.dropna().unique().tolist())
