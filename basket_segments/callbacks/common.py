"""Glue several pages share: which dataset and segmentation a page works on."""

from __future__ import annotations

from basket_segments import results
from basket_segments.choices import DEFAULT_K, SegmentParams, segment_params

NO_DATASET = "Open a dataset on the Data page first."


def params_or_default(owner: str, active, settings) -> SegmentParams | None:
    """The segmentation chosen on the Segments page, else all features with the default K;
    None when the dataset has no features (a basket file)."""
    chosen = segment_params(settings)
    if chosen is not None:
        return chosen
    features = results.prepared(owner, active).features
    return SegmentParams(tuple(features), DEFAULT_K, True) if features else None
