"""What a user chooses on the pages: the defaults and the parsing every page shares.

Controls hold plain JSON values (a settings dict in a Store, numbers in
inputs); these turn them into the parameters that analytics and storage
expect, falling back to the defaults the controls show.
"""

from __future__ import annotations

from dataclasses import dataclass

from basket_segments.analytics.rules import RuleParams
from basket_segments.analytics.segmentation import scaling_mode

#: How features may be transformed before KMeans, as the Segments page offers it.
SCALING_CHOICES = [
    {"label": "standardised, skewed ones as logarithms", "value": "auto"},
    {"label": "standardised", "value": "standard"},
    {"label": "as they are", "value": "none"},
]
#: The K the slider offers, and where it starts.
MIN_K, MAX_K, DEFAULT_K = 2, 15, 5
#: The Rules page's thresholds until the user changes them (one product on the right).
RULE_DEFAULTS = RuleParams(
    min_support=0.05, min_confidence=0.5, min_lift=1.0, max_length=3, single_consequent=True
)


@dataclass(frozen=True)
class SegmentParams:
    """What the user chose on the Segments page."""

    features: tuple[str, ...]
    k: int
    scale: str = "auto"

    def key(self) -> dict:
        """The choice as plain values, for storage keys."""
        return {"features": list(self.features), "k": self.k, "scale": self.scale}


def segment_params(settings: dict | None) -> SegmentParams | None:
    """The stored choice as parameters, or None when nothing usable was chosen.

    >>> segment_params({"features": ["Age"], "k": 4, "scale": True})
    SegmentParams(features=('Age',), k=4, scale='auto')
    >>> segment_params({"features": [], "k": 4}) is None
    True
    """
    if not settings or not settings.get("features"):
        return None
    return SegmentParams(
        tuple(settings["features"]),
        int(settings.get("k") or DEFAULT_K),
        scaling_mode(settings.get("scale")),
    )


def rule_params(support, confidence, lift, length) -> RuleParams:
    """Thresholds from the Rules page's inputs; empty boxes fall back to the defaults.

    >>> rule_params(0.1, None, None, 2).min_confidence
    0.5
    """
    defaults = RULE_DEFAULTS
    return RuleParams(
        float(support if support is not None else defaults.min_support),
        float(confidence if confidence is not None else defaults.min_confidence),
        float(lift if lift is not None else defaults.min_lift),
        int(length if length is not None else defaults.max_length),
        single_consequent=defaults.single_consequent,
    )
