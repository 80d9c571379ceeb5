"""What either engine says about its mining, in the same words for both.

The local engine and Spark both import these, so a note reads the same
whichever engine ran the analysis.
"""

from __future__ import annotations

from collections.abc import Mapping

from basket_segments.analytics.mining import MIN_GROUP_BASKETS
from basket_segments.analytics.stages import ALL_CUSTOMERS, ALL_CUSTOMERS_NAME


def small_segment_notes(
    baskets_per_segment: Mapping[int, int], names: Mapping[int, str]
) -> dict[int, str]:
    """A note for each segment too small to mine, by segment; both engines word it the same.

    >>> small_segment_notes({-1: 100, 0: 90, 1: 10}, {0: "Young", 1: "Older"})
    {1: 'Older has 10 baskets, fewer than 20, so no rules were mined for it.'}
    """
    return {
        segment: f"{names.get(segment, segment)} has {n_baskets} baskets, fewer than "
        f"{MIN_GROUP_BASKETS}, so no rules were mined for it."
        for segment, n_baskets in baskets_per_segment.items()
        if segment != ALL_CUSTOMERS and n_baskets < MIN_GROUP_BASKETS
    }


def left_out_notes(
    kept_and_left_out: Mapping[int, tuple[int, int]], names: Mapping[int, str]
) -> dict[int, str]:
    """A note for each group whose weaker rules the rule limit left out, by group.

    >>> left_out_notes({-1: (20000, 960100), 0: (40, 0)}, {0: "Young"})[-1][:60]
    'All customers: kept the 20,000 strongest of 980,100 rules (r'
    """
    labels = {ALL_CUSTOMERS: ALL_CUSTOMERS_NAME, **names}
    return {
        segment: f"{labels.get(segment, segment)}: kept the {kept:,} strongest of "
        f"{kept + left:,} rules (raise the rule limit to see more)."
        for segment, (kept, left) in kept_and_left_out.items()
        if left
    }


def by_group(*notes: Mapping[int, str]) -> dict[int, tuple[str, ...]]:
    """The notes of each group together, for pages that show one group at a time.

    >>> by_group({1: "a"}, {1: "b", -1: "c"})
    {1: ('a', 'b'), -1: ('c',)}
    """
    grouped: dict[int, tuple[str, ...]] = {}
    for group_notes in notes:
        for group, text in group_notes.items():
            grouped[group] = (*grouped.get(group, ()), text)
    return grouped
