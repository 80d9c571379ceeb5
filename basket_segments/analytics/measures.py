"""Interest measures of a rule beyond lift, from the counts of its baskets.

Lift says how much more often the consequent comes with the antecedent than usual,
but not in how many baskets, nor whether the items are bought *instead of* each
other. These four are the ones analysts use besides ours, with the definitions of
mlxtend's ``association_rules`` (0.25), which tests compare rule by rule. They are
computed from whole numbers of baskets, so each is rounded once:

- **Zhang's metric** (-1 to 1): leverage scaled by its largest possible value; negative
  when the items are bought instead of each other, 1 when the consequent never comes
  without the antecedent.
- **Jaccard** (0 to 1): of the baskets with either side, the share with both.
- **Kulczynski** (0 to 1): the mean of the rule's confidence and of its reverse's.
- **Certainty** (at most 1): how much of the room above the consequent's usual share
  the confidence takes; negative when the antecedent makes the consequent less likely.
  mlxtend's form, ``(confidence - s(C)) / (1 - s(C))`` for either sign (Shortliffe and
  Buchanan's certainty factor divides by ``s(C)`` below it, so it stays above -1).

Where mlxtend divides by zero it gives 0 (Zhang's metric when the antecedent is in
every basket and the consequent only with it; certainty when the consequent is in
every basket): so do we. Jaccard's and Kulczynski's denominators are never zero for
a rule found in at least one basket.
"""

from __future__ import annotations

import numpy as np

#: The measures' columns in the rules table, in this order.
MEASURE_COLUMNS = ("zhangs_metric", "jaccard", "kulczynski", "certainty")


def interest_measures(
    count: np.ndarray, antecedent: np.ndarray, consequent: np.ndarray, baskets: np.ndarray
) -> dict[str, np.ndarray]:
    """Zhang's metric, Jaccard, Kulczynski and certainty of each rule, from the number of
    baskets with both sides (``count``), with each side, and in the group.

    >>> found = interest_measures(np.array([2, 1]), np.array([2, 2]), np.array([3, 3]),
    ...                           np.array([4, 4]))
    >>> {name: values.round(3).tolist() for name, values in found.items()}
    {'zhangs_metric': [0.5, -0.5], 'jaccard': [0.667, 0.25], 'kulczynski': [0.833, 0.417], \
'certainty': [1.0, -1.0]}
    """
    c, a, b, n = (
        np.asarray(values, dtype=np.float64) for values in (count, antecedent, consequent, baskets)
    )
    excess = c * n - a * b  # leverage times n squared
    return {
        "zhangs_metric": _ratio_or_zero(excess, np.maximum(c * (n - a), a * (b - c))),
        "jaccard": c / (a + b - c),
        "kulczynski": (c / a + c / b) / 2,
        "certainty": _ratio_or_zero(excess, a * (n - b)),
    }


def _ratio_or_zero(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator``, and 0 where the denominator is 0, as mlxtend gives.

    >>> _ratio_or_zero(np.array([1.0, 0.0]), np.array([2.0, 0.0])).tolist()
    [0.5, 0.0]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator == 0, 0.0, numerator / denominator)
