"""Is a rule more than chance? Fisher's exact test of each rule, and a correction for
testing many rules at once.

A rule A -> C of a group of ``n`` baskets is tested on the 2x2 table of its baskets
(with or without A, with or without C): the p-value is the chance, were A and C bought
independently, that at least ``count`` of the baskets with A also hold C. That is the
upper tail of a hypergeometric distribution, ``scipy.stats.fisher_exact(table,
alternative="greater")`` and R's ``phyper(count - 1, ..., lower.tail = FALSE)``, which
arules' ``is.significant`` uses.

It is computed for every rule at once with numpy alone (``analytics.hypergeometric``,
R's algorithm), not with ``scipy.stats``, whose import alone took as long as mining the
rules of the 50,000-customer benchmark. Tests check it against ``fisher_exact`` to 1e-12.
"""

from __future__ import annotations

import numpy as np

from basket_segments.analytics.errors import DataError
from basket_segments.analytics.hypergeometric import upper_tail

#: Corrections for testing the many rules of a group: Holm's (controls the chance of any
#: false rule), Benjamini-Hochberg's (the expected share of false rules), or none.
CORRECTIONS = ("holm", "bh", "none")
#: The corrected p-value at or below which the dashboard calls a rule unlikely to be chance.
USUAL_LEVEL = 0.05


def fisher_p_values(
    count: np.ndarray, antecedent: np.ndarray, consequent: np.ndarray, baskets: np.ndarray
) -> np.ndarray:
    """One-sided Fisher's exact test of each rule: the chance of at least ``count`` baskets
    with both sides, had the ``antecedent`` and ``consequent`` baskets (counts) been drawn
    independently from ``baskets``.

    Of 10 baskets, 3 hold the antecedent and 3 the consequent: all 3 together happen by
    chance once in 120 draws; 1 or more, 17 times in 24.

    >>> three, ten = np.array([3, 3]), np.array([10, 10])
    >>> (fisher_p_values(np.array([3, 1]), three, three, ten) * [120, 24]).round(9).tolist()
    [1.0, 17.0]
    """
    count, antecedent, consequent, baskets = (
        np.asarray(values, dtype=np.float64) for values in (count, antecedent, consequent, baskets)
    )
    return upper_tail(count - 1, consequent, baskets - consequent, antecedent)


def adjust_p_values(p_values: np.ndarray, method: str = "holm") -> np.ndarray:
    """P-values corrected for testing them all: Holm's step-down (``holm``),
    Benjamini-Hochberg's false discovery rate (``bh``) or none, as statsmodels'
    ``multipletests`` (``holm``, ``fdr_bh``) and R's ``p.adjust`` compute them.

    >>> p = np.array([0.01, 0.04, 0.03, 0.2])
    >>> adjust_p_values(p, "holm").round(3).tolist(), adjust_p_values(p, "bh").round(3).tolist()
    ([0.04, 0.09, 0.09, 0.2], [0.04, 0.053, 0.053, 0.2])
    """
    check_correction(method)
    p_values = np.asarray(p_values, dtype=np.float64)
    if method == "none" or not len(p_values):
        return p_values.copy()
    order = np.argsort(p_values, kind="stable")
    ranked, m = p_values[order], len(p_values)
    if method == "holm":
        adjusted = np.maximum.accumulate(ranked * np.arange(m, 0, -1))
    else:
        adjusted = np.minimum.accumulate((ranked / (np.arange(1, m + 1) / m))[::-1])[::-1]
    result = np.empty(m)
    result[order] = np.minimum(adjusted, 1.0)
    return result


def adjust_by_group(p_values: np.ndarray, groups: np.ndarray, method: str = "holm") -> np.ndarray:
    """``adjust_p_values`` within each group (segment): a segment's rules are one family.

    >>> adjust_by_group(np.array([0.01, 0.02, 0.01]), np.array([0, 0, 1])).tolist()
    [0.02, 0.02, 0.01]
    """
    p_values, groups = np.asarray(p_values, dtype=np.float64), np.asarray(groups)
    result = np.empty(len(p_values))
    for group in np.unique(groups):
        members = groups == group
        result[members] = adjust_p_values(p_values[members], method)
    return result


def check_significance(significance: float | None, correction: str = "holm") -> None:
    """Raise a ``DataError`` naming ``significance`` or ``correction`` when out of range.

    >>> check_significance(0.05, "bh")
    >>> check_significance(5, "holm")
    Traceback (most recent call last):
    ...
    basket_segments.analytics.errors.DataError: significance must be above 0 and at most 1 \
(0.05 is usual), not 5.
    """
    check_correction(correction)
    if significance is not None and not 0 < significance <= 1:
        raise DataError(
            f"significance must be above 0 and at most 1 (0.05 is usual), not {significance}."
        )


def check_correction(method: str) -> None:
    """Raise a ``DataError`` naming ``correction`` unless it is one of ``CORRECTIONS``."""
    if method not in CORRECTIONS:
        raise DataError(f"correction must be one of {', '.join(CORRECTIONS)}, not '{method}'.")
